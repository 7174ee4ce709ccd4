"""Speed figures for `emopy bench`: classifier faces/s, end-to-end ms per 640x480 frame, import + load time."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np

from ..imageio import read_image
from .model import FERModel

EXAMPLE = Path(__file__).resolve().parents[1] / "assets" / "astronaut.jpg"


def example_frame() -> np.ndarray:
    """A 640x480 BGR frame with one face (~150 px, a webcam at arm's length), cut from the shipped example photo."""
    img = read_image(EXAMPLE)
    img = cv2.resize(img, (800, 800), interpolation=cv2.INTER_LINEAR)
    return np.ascontiguousarray(img[:480, 35:675])


def _timed(fn, seconds: float, min_runs: int = 5) -> list[float]:
    """Per-call wall seconds of `fn` over about `seconds` (after one warm-up call)."""
    fn()
    times: list[float] = []
    end = time.perf_counter() + seconds
    while len(times) < min_runs or time.perf_counter() < end:
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return times


def classifier_rate(model: FERModel, batch: int, seconds: float = 2.0) -> float:
    """Faces per second through the classifier alone at this batch size (median call time)."""
    size = model.classifier.card.image_size
    crops = np.random.default_rng(0).integers(0, 256, (batch, size, size), dtype=np.uint8)
    return batch / statistics.median(_timed(lambda: model.classify(crops), seconds))


def frame_ms(model: FERModel, seconds: float = 3.0) -> dict:
    """Milliseconds per 640x480 frame: detection + alignment + classification (decode excluded)."""
    frame = example_frame()
    n_faces = len(model.predict(frame))
    times = _timed(lambda: model.predict(frame), seconds)
    return {
        "median": round(statistics.median(times) * 1000, 2),
        "p90": round(float(np.percentile(times, 90)) * 1000, 2),
        "faces": n_faces,
        "frames": len(times),
    }


def load_seconds(model: str, detector: str, device: str | None = None) -> float:
    """Fresh interpreter: `from emopy import FERModel; FERModel(...)` wall time, detector included."""
    code = (
        "import time; t = time.perf_counter(); from emopy import FERModel; "
        f"m = FERModel(model={model!r}, detector={detector!r}, providers={device!r}); m.detector; "
        "print(time.perf_counter() - t)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return round(float(out.stdout.strip().splitlines()[-1]), 3)


def run(
    model: str = "default",
    detector: str = "auto",
    threads: int | None = None,
    seconds: float = 2.0,
    device: str | None = None,
) -> dict:
    """All figures as one JSON-ready dict; `device` is where the classifier runs (see `execution_providers`)."""
    m = FERModel(model=model, detector=detector, threads=threads, providers=device)
    return {
        "model": m.classifier.card.name,
        "detector": m.detector.name,
        "providers": m.classifier.session.get_providers(),
        "threads": m.classifier.session.get_session_options().intra_op_num_threads,
        "cpu_count": os.cpu_count(),
        "classifier_faces_per_s": {
            "batch_1": round(classifier_rate(m, 1, seconds)),
            "batch_64": round(classifier_rate(m, 64, seconds)),
        },
        "frame_ms": frame_ms(m, seconds),
        "import_and_load_s": load_seconds(model, detector, device),
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=1))
