"""Draw face boxes and emotion labels on an image (for `emopy predict --annotate`)."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from .model import Face


def annotate(image: np.ndarray, faces: Sequence[Face]) -> np.ndarray:
    """A BGR copy of `image` with each face's box and "dominant 87%" above it."""
    out = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR) if image.ndim == 2 else image.copy()
    thick = max(1, round(max(out.shape[:2]) / 400))
    for face in faces:
        x, y, w, h = face.box
        cv2.rectangle(out, (x, y), (x + w, y + h), (0, 200, 255), thick)
        text = f"{face.dominant} {face.emotions[face.dominant]:.0%}"
        scale = max(0.4, w / 200)
        (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
        ty = y - 4 if y - th - 6 >= 0 else y + h + th + 4
        cv2.rectangle(out, (x, ty - th - 2), (x + tw + 2, ty + base), (0, 200, 255), -1)
        cv2.putText(out, text, (x + 1, ty), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), thick, cv2.LINE_AA)
    return out
