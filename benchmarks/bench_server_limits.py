"""Hostile load on `emopy serve` (issue #35): memory under huge images, and a face photo's latency during decode bombs.

  python benchmarks/bench_server_limits.py [--requests 40] [--size 7000]

Starts its own server on 127.0.0.1 with default limits (as the tests do: a temporary SQLite file, one onnxruntime
thread), then:
1. `--requests` concurrent size x size 1-bit PNGs (a few KB each) with annotate_image=true, to the last answer,
   sampling the resident memory of the server and its decoder processes together (VmRSS summed) every 50 ms;
2. two scan-bomb JPEGs (20,000 empty scans each), then a face photo: its latency;
3. two slow JPEGs under the scan limit (480 scans: seconds of decoding each), then a face photo: its latency;
4. one ~800-byte colour JPEG 2000 of 7000 x 7000 (~720 MB in its decoder): its status and the peak memory.
Prints one JSON object. The images are built by the test helpers (tests/_image_helpers.py).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from _image_helpers import bilevel_png, jpeg2000_bomb, scan_bomb  # noqa: E402
from _serve_helpers import ServerProcess, face_jpeg, tree_rss_mb  # noqa: E402


def post(url: str, data: bytes, **fields) -> tuple[int, float]:
    """Status and seconds of one POST /v1/predict."""
    t0 = time.perf_counter()
    r = httpx.post(url + "/v1/predict", files={"image": ("f", data)}, data=fields, timeout=300)
    return r.status_code, round(time.perf_counter() - t0, 2)


def peak_during(server: ServerProcess, uploads: list[bytes], **fields) -> dict:
    """Statuses, seconds and the peak resident memory of the server's process tree while `uploads` are answered
    (sent all at once)."""
    peak, done = [tree_rss_mb(server.proc.pid)], threading.Event()
    idle = peak[0]

    def sample() -> None:
        while not done.wait(0.05):
            peak[0] = max(peak[0], tree_rss_mb(server.proc.pid))

    sampler = threading.Thread(target=sample)
    sampler.start()
    t0 = time.perf_counter()
    with ThreadPoolExecutor(len(uploads)) as pool:
        answers = list(pool.map(lambda data: post(server.url, data, **fields), uploads))
    done.set()
    sampler.join()
    return {
        "requests": len(uploads),
        "statuses": sorted({s for s, _ in answers}),
        "seconds": round(time.perf_counter() - t0, 1),
        "idle_rss_mb": round(idle),
        "peak_rss_mb": round(peak[0]),
    }


def photo_during(server: ServerProcess, bomb: bytes) -> dict:
    """Statuses and seconds of two `bomb` uploads and of a face photo sent half a second after them."""
    with ThreadPoolExecutor(2) as pool:
        bombs = [pool.submit(post, server.url, bomb) for _ in range(2)]
        time.sleep(0.5)
        status, seconds = post(server.url, face_jpeg())
        return {"photo_status": status, "photo_s": seconds, "bombs": [b.result() for b in bombs]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=40)
    ap.add_argument("--size", type=int, default=7000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = ServerProcess(
            [sys.executable, "-c", "from emopy.cli import main; main()"],
            f"sqlite:///{tmp}/bench.db",
            Path(tmp) / "server.log",
        )
        try:
            server.wait_ready()
            post(server.url, face_jpeg())  # warm-up: the first decoder process starts
            png = bilevel_png(args.size)
            result = {
                "image": f"{args.size}x{args.size} 1-bit PNG, {len(png)} bytes, annotate_image=true",
                "memory": peak_during(server, [png] * args.requests, annotate_image="true"),
                "photo_during_scan_bombs": photo_during(server, scan_bomb(20_000)),
                "photo_during_slow_jpegs": photo_during(server, scan_bomb(480)),
                "jpeg2000": peak_during(server, [jpeg2000_bomb()]),
            }
        finally:
            server.stop()
    print(json.dumps({"cpu_count": os.cpu_count(), **result}, indent=1))


if __name__ == "__main__":
    main()
