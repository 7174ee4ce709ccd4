"""Face detectors: one module per detector, `get_detector` by name, "auto" = the best one installed.

To add a detector: a module here with a class that has `name` and `detect(image) -> list[Detection]`
(boxes mapped to the training framing with a `BoxCalibration` measured by benchmarks/detection.py),
and an entry in `DETECTORS` below.
"""

from __future__ import annotations

from collections.abc import Callable

from ...errors import EmopyError
from .base import BoxCalibration, Detection, FaceDetector

__all__ = ["DETECTORS", "BoxCalibration", "Detection", "FaceDetector", "available_detectors", "get_detector"]


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
