"""Where a `POST /v1/predict` request spends its time: the whole request in-process vs `Predictor.predict` alone,
and the SSD detector's cost per input size on the benchmark's 640x480 frame.

  OMP_NUM_THREADS=1 python benchmarks/profile_server.py [--requests 60]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time

import cv2
import numpy as np
from fastapi.testclient import TestClient

from bench_server import frame_jpeg
from emopy.predict.detect.ssd import SSDDetector
from emopy.serve import Settings, create_app


def per_call_ms(fn, n: int) -> float:
    fn()
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return round((time.perf_counter() - t0) / n * 1000, 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=60)
    n = ap.parse_args().requests
    data = frame_jpeg()
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    cv2.setNumThreads(1)
    out = {}
    with (
        tempfile.TemporaryDirectory() as tmp,
        TestClient(create_app(Settings(db=f"sqlite:///{tmp}/e.db", threads=1))) as client,
    ):
        out["request_ms"] = per_call_ms(
            lambda: client.post("/v1/predict", files={"image": ("f.jpg", data, "image/jpeg")}), n
        )
        out["predictor_ms"] = per_call_ms(lambda: client.app.state.predictor.predict(image), n)
    out["ssd_ms_by_size"] = {}
    for size in (128, 160, 192, 224, 256, 320):
        det = SSDDetector(sizes=(size,))
        out["ssd_ms_by_size"][size] = {
            "ms": per_call_ms(lambda det=det: det.detect(image), 20),
            "faces": len(det.detect(image)),
        }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
