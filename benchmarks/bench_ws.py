"""Frames answered per second over the webcam WebSocket (/v1/ws) of a real `emopy serve`: the web app's speed target.

  python benchmarks/bench_ws.py [--seconds 10]

Starts its own server (bench_server.start_server), sends the 640x480 one-face JPEG as the web app does (one frame
in flight: the next is sent when the answer arrives) and prints one JSON object: frames/s and median ms per frame.
The target (>= 10 frames/s, the web app's live view) is judged here, not in the browser test.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import tempfile
import time

from websockets.sync.client import connect

from bench_server import frame_jpeg, free_port, start_server


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--seconds", type=float, default=10.0)
    args = p.parse_args()
    frame, port = frame_jpeg(), free_port()
    with tempfile.TemporaryDirectory() as tmp:
        proc = start_server(port, f"sqlite:///{tmp}/bench.db", 1)
        try:
            times = []
            with connect(f"ws://127.0.0.1:{port}/v1/ws", max_size=None) as ws:
                end = time.monotonic() + args.seconds
                while time.monotonic() < end:
                    t0 = time.monotonic()
                    ws.send(frame)
                    assert "faces" in json.loads(ws.recv()), "the server answered without faces"
                    times.append(time.monotonic() - t0)
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(30)
    print(
        json.dumps(
            {
                "frames": len(times),
                "frames_per_s": round(len(times) / sum(times), 1),
                "median_ms": round(1000 * statistics.median(times), 1),
                "target_frames_per_s": 10,
            }
        )
    )


if __name__ == "__main__":
    main()
