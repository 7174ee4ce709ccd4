"""Load benchmark of `emopy serve` on loopback: requests/s and p50/p99 latency of POST /v1/predict.

  python benchmarks/bench_server.py [--clients 8] [--seconds 10] [--max-requests 5000] [--workers 1] [--store]
  [--orderings N]

Starts its own server on 127.0.0.1 (a temporary SQLite file), sends a 640x480 JPEG with one face
(the shipped example photo) from `--clients` concurrent clients until `--seconds` pass or
`--max-requests` are answered, stops the server and prints one JSON object. Traffic stays on loopback.
`--orderings N` sends `emotions` in N different orders, one after another (1: always the same order; 0: no
`emotions` field), to show that orderings share one classifier.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import cv2
import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PHOTO = ROOT / "src" / "emopy" / "assets" / "astronaut.jpg"
EMOTIONS = ["anger", "disgust", "fear", "happiness", "sadness", "surprise", "neutral"]


def orderings(n: int) -> list[str | None]:
    """n distinct orders of the seven emotions, comma-separated ([None]: send no `emotions` field)."""
    rng, seen = random.Random(0), {",".join(EMOTIONS)}
    while len(seen) < n:
        seen.add(",".join(rng.sample(EMOTIONS, len(EMOTIONS))))
    return sorted(seen)[:n] if n else [None]


def frame_jpeg() -> bytes:
    """A 640x480 JPEG with the example photo's one face in it."""
    frame = np.full((480, 640, 3), 90, np.uint8)
    frame[:, 64:576] = cv2.resize(cv2.imread(str(PHOTO)), (512, 480), interpolation=cv2.INTER_AREA)
    return cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, db: str, workers: int) -> subprocess.Popen:
    """`emopy serve` in its own process group, ready once /health answers."""
    cmd = [
        sys.executable,
        "-c",
        "from emopy.cli import main; main()",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--db",
        db,
        "--workers",
        str(workers),
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    end = time.monotonic() + 60
    while time.monotonic() < end:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    raise SystemExit("server did not start within 60 s")


def load(
    url: str, image: bytes, clients: int, seconds: float, max_requests: int, store: bool, orders: list[str | None]
) -> dict:
    """Run the clients, each request with the next of `orders`; latencies of successful requests and the error count."""
    latencies: list[float] = []
    errors = [0]
    sent = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client() -> None:
        with httpx.Client(base_url=url, timeout=30) as c:
            while time.monotonic() < deadline:
                with lock:
                    if len(latencies) + errors[0] >= max_requests:
                        return
                    emotions = orders[sent[0] % len(orders)]
                    sent[0] += 1
                fields = {"store": str(store).lower(), **({"emotions": emotions} if emotions else {})}
                t0 = time.perf_counter()
                try:
                    ok = (
                        c.post("/v1/predict", files={"image": ("f.jpg", image, "image/jpeg")}, data=fields).status_code
                        == 200
                    )
                except httpx.HTTPError:
                    ok = False
                with lock:
                    latencies.append(time.perf_counter() - t0) if ok else errors.__setitem__(0, errors[0] + 1)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    ms = np.array(latencies) * 1000
    return {
        "requests": len(latencies),
        "errors": errors[0],
        "seconds": round(wall, 2),
        "requests_per_s": round(len(latencies) / wall, 1),
        "p50_ms": round(float(np.percentile(ms, 50)), 1) if len(ms) else None,
        "p99_ms": round(float(np.percentile(ms, 99)), 1) if len(ms) else None,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--max-requests", type=int, default=5000)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--store", action="store_true", help="Ask the server to store each image's face crops.")
    ap.add_argument(
        "--orderings", type=int, default=0, help="Rotate through N orders of the emotions (0: no emotions field)."
    )
    args = ap.parse_args()
    image = frame_jpeg()
    orders = orderings(args.orderings)
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        proc = start_server(port, f"sqlite:///{tmp}/bench.db", args.workers)
        try:
            url = f"http://127.0.0.1:{port}"
            load(url, image, 1, 1.0, 20, args.store, orders)  # warm-up
            res = load(url, image, args.clients, args.seconds, args.max_requests, args.store, orders)
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(20)
    print(
        json.dumps(
            {
                "endpoint": "POST /v1/predict",
                "image": "640x480 JPEG, 1 face",
                "clients": args.clients,
                "workers": args.workers,
                "store": args.store,
                "orderings": args.orderings,
                "cpu_count": os.cpu_count(),
                **res,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
