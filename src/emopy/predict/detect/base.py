"""What every detector reports: `Detection` boxes framed like the training crops, the `FaceDetector`
protocol, and `BoxCalibration`, which maps a detector's raw box to that framing.

The framing was found by calibrating each detector's raw box on pasted face crops
(benchmarks/detection.py), so the crop margin means the same thing whichever detector is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


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
            "landmarks": {k: [round(x, 1), round(y, 1)] for k, (x, y) in self.landmarks.items()}
            if self.landmarks
            else None,
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
