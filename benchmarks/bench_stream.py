"""End-to-end stream speed: frames per second for a 640x480 video with one face (decode, detect, classify, smooth).

  python benchmarks/bench_stream.py [--seconds 10] [--threads 2] [--detector ssd blazeface] [--detect-every 1 3]
  python benchmarks/bench_stream.py --quick        # a 1-second functional run, not a timing

Writes a synthetic 30 fps video of the shipped public-domain face drifting across a textured background, then runs
`EmotionStream` over it for each detector x detect-every setting and prints a table plus one JSON line.
The target is >= 30 fps on 2 cores. Run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

ASTRONAUT = Path(__file__).resolve().parents[1] / "src" / "emopy" / "assets" / "astronaut.jpg"
FACE_BOX = (180, 82, 94, 94)


def make_video(path: Path, seconds: float, fps: int = 30, size: tuple[int, int] = (640, 480)) -> Path:
    """One face (about 150 px) drifting slowly over a noisy background, written with mp4v."""
    import cv2

    w, h = size
    img = cv2.imread(str(ASTRONAUT))
    x, y, fw, fh = FACE_BOX
    patch = img[max(0, y - 60) : y + fh + 60, max(0, x - 60) : x + fw + 60]
    ph, pw = patch.shape[:2]
    rng = np.random.default_rng(0)
    background = cv2.GaussianBlur(rng.integers(40, 200, (h, w, 3), dtype=np.uint8), (0, 0), 3)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    for i in range(int(seconds * fps)):
        frame = background.copy()
        ox = (w - pw) // 2 + int(60 * np.sin(i / 45))
        oy = (h - ph) // 2 + int(20 * np.cos(i / 60))
        frame[oy : oy + ph, ox : ox + pw] = patch
        writer.write(frame)
    writer.release()
    return path


def decode_fps(path: Path) -> float:
    """Frames per second of decoding alone."""
    import cv2

    cap = cv2.VideoCapture(str(path))
    n, start = 0, time.perf_counter()
    while cap.read()[0]:
        n += 1
    return n / (time.perf_counter() - start)


def stream_fps(path: Path, detector: str, every: int, threads: int, model: str) -> dict:
    """End-to-end frames per second, and how many frames had exactly one face."""
    from emopy.predict import FERModel
    from emopy.stream import EmotionStream

    fer = FERModel(None, model, detector=detector, threads=threads)
    _ = fer.detector  # load outside the timing
    n = one = 0
    start = time.perf_counter()
    for frame in EmotionStream(path, fer, detect_every=every):
        n += 1
        one += len(frame.faces) == 1
    secs = time.perf_counter() - start
    return {
        "detector": detector,
        "detect_every": every,
        "frames": n,
        "one_face": one,
        "fps": round(n / secs, 1),
        "ms_per_frame": round(1000 * secs / n, 2),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--threads", type=int, default=2, help="onnxruntime and OpenCV threads")
    p.add_argument("--detector", nargs="+", default=None, help="default: every installed detector except haar")
    p.add_argument("--detect-every", nargs="+", type=int, default=[1, 3])
    p.add_argument("--model", default="default")
    p.add_argument("--quick", action="store_true", help="1 second, first detector, detect-every 1: a functional check")
    a = p.parse_args()

    import cv2

    from emopy.predict.detect import available_detectors

    cv2.setNumThreads(a.threads)
    detectors = a.detector or [d for d in available_detectors() if d != "haar"]
    if a.quick:
        a.seconds, detectors, a.detect_every = 1.0, detectors[:1], [1]
    with tempfile.TemporaryDirectory() as tmp:
        video = make_video(Path(tmp) / "bench.mp4", a.seconds)
        results = {
            "video": "640x480 30fps one face",
            "seconds": a.seconds,
            "threads": a.threads,
            "cpus": os.cpu_count(),
            "decode_fps": round(decode_fps(video), 1),
            "runs": [],
        }
        print(f"decode only: {results['decode_fps']} fps")
        print(f"{'detector':<10} {'every':>5} {'fps':>7} {'ms/frame':>9} {'1 face':>8}")
        for det in detectors:
            for every in a.detect_every:
                r = stream_fps(video, det, every, a.threads, a.model)
                results["runs"].append(r)
                print(f"{det:<10} {every:>5} {r['fps']:>7} {r['ms_per_frame']:>9} {r['one_face']:>4}/{r['frames']}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
