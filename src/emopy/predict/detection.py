"""Face detection interface: the `Detection` result, the `FaceDetector` protocol and the detector registry.

Every detector reports the same kind of box: a square around the face framed like the training
crops (FER2013), found by calibrating each detector's raw box on pasted face crops
(benchmarks/detection.py). So the crop margin means the same thing whichever detector is used.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol

import numpy as np

from ..errors import EmopyError


@dataclass(frozen=True)
class Detection:
    """One face: square box (x, y, w, h) in pixels, detector confidence, optional landmarks {name: (x, y)}."""

    box: tuple[float, float, float, float]
    score: float
    landmarks: dict[str, tuple[float, float]] | None = None

    def eyes(self) -> tuple[tuple[float, float], tuple[float, float]] | None:
        """(eye on the image's left, eye on the image's right), when the detector gave both."""
        lm = self.landmarks or {}
        if "right_eye" in lm and "left_eye" in lm:  # the subject's right eye is on the image's left
            return lm["right_eye"], lm["left_eye"]
        return None

    def mouth(self) -> tuple[float, float] | None:
        """Mouth centre: the detector's mouth point, or the middle of the two mouth corners."""
        lm = self.landmarks or {}
        if "mouth" in lm:
            return lm["mouth"]
        if "mouth_right" in lm and "mouth_left" in lm:
            (x1, y1), (x2, y2) = lm["mouth_right"], lm["mouth_left"]
            return (x1 + x2) / 2, (y1 + y2) / 2
        return None

    def to_dict(self) -> dict:
        return {
            "box": [round(v) for v in self.box],
            "score": round(float(self.score), 4),
            "landmarks": {k: [round(x, 1), round(y, 1)] for k, (x, y) in self.landmarks.items()} if self.landmarks else None,
        }


class FaceDetector(Protocol):
    """Anything with `detect(image) -> list[Detection]` for a uint8 BGR (H x W x 3) or gray (H x W) image."""

    name: str

    def detect(self, image: np.ndarray) -> list[Detection]: ...


@dataclass(frozen=True)
class BoxCalibration:
    """Maps a detector's raw box to the training-crop square: centre shifted by (dx, dy) box sizes, side scaled."""

    scale: float = 1.0
    dx: float = 0.0
    dy: float = 0.0

    def apply(self, x: float, y: float, w: float, h: float) -> tuple[float, float, float, float]:
        x, y, w, h = float(x), float(y), float(w), float(h)
        cx, cy = x + w * (0.5 + self.dx), y + h * (0.5 + self.dy)
        side = self.scale * (w * h) ** 0.5
        return cx - side / 2, cy - side / 2, side, side


def package_file(package: str, relative: str) -> Path | None:
    """A data file inside an installed package, found without importing it (some import heavy things)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / relative
    return path if path.is_file() else None


def _haar(**kw) -> FaceDetector:
    from .haar import HaarDetector

    return HaarDetector(**kw)


def _blazeface(**kw) -> FaceDetector:
    from .blazeface import BlazeFaceDetector

    return BlazeFaceDetector(**kw)


def _ssd(**kw) -> FaceDetector:
    from .ssd import SSDDetector

    return SSDDetector(**kw)


# Preference order of "auto", best first by benchmarks/RESULTS.md: detection rate, then speed.
DETECTORS: dict[str, Callable[..., FaceDetector]] = {"ssd": _ssd, "blazeface": _blazeface, "haar": _haar}


def available_detectors() -> list[str]:
    """Detector names whose weights are installed here, in preference order."""
    from .blazeface import weights_path as blaze_weights
    from .ssd import weights_paths as ssd_weights

    have = {"ssd": ssd_weights() is not None, "blazeface": blaze_weights() is not None, "haar": True}
    return [name for name in DETECTORS if have[name]]


def get_detector(detector: str | FaceDetector = "auto", **kwargs) -> FaceDetector:
    """A detector by name ("auto" = best installed), or the given object if it already has `detect`."""
    if not isinstance(detector, str):
        if not callable(getattr(detector, "detect", None)):
            raise TypeError(f"detector must be a name ({', '.join(DETECTORS)}, auto) or an object with .detect(image)")
        return detector
    name = detector.strip().lower()
    if name == "auto":
        name = available_detectors()[0]
    if name not in DETECTORS:
        raise EmopyError(f"unknown detector {detector!r}; choose one of: auto, {', '.join(DETECTORS)}")
    return DETECTORS[name](**kwargs)
