"""Draw face boxes and emotion labels on an image (for `emopy predict --annotate` and `emopy video --annotate`)."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from .model import Face

FONT = cv2.FONT_HERSHEY_SIMPLEX
COLOUR = (0, 200, 255)  # BGR orange: face boxes and label backgrounds
MIN_SCALE = 0.1  # below this a label is unreadable anyway; it is no longer shrunk to fit


def _ink_box(text: str, scale: float, thick: int) -> tuple[int, int, int, int]:
    """(left, top, width, height) of the pixels putText inks for `text`, relative to its origin: measured by drawing
    it, as getTextSize's box misses the ends of thick strokes and the tallest glyphs by a few pixels."""
    (tw, th), base = cv2.getTextSize(text, FONT, scale, thick)
    pad = th + thick
    mask = np.zeros((th + base + 2 * pad, tw + 2 * pad), np.uint8)
    cv2.putText(mask, text, (pad, pad + th), FONT, scale, 255, thick, cv2.LINE_AA)
    x, y, w, h = cv2.boundingRect(mask)
    return x - pad, y - pad - th, w, h


def _fitted(text: str, scale: float, thick: int, room: tuple[int, int]) -> tuple[float, tuple[int, int, int, int]]:
    """The scale (shrunk until the label, margins included, fits `room` = (width, height)) and its ink box."""
    while True:
        box = _ink_box(text, scale, thick)
        fit = min((room[0] - 2 * thick) / max(box[2], 1), (room[1] - 2 * thick) / max(box[3], 1))
        if fit >= 1 or scale <= MIN_SCALE:
            return scale, box
        scale = max(MIN_SCALE, scale * fit * 0.95)


def annotate(image: np.ndarray, faces: Sequence[Face]) -> np.ndarray:
    """A BGR copy of `image` with each face's box and "dominant 87%" on a filled box that holds the text as drawn:
    above the face, else below it, else inside the image's top; never past the image's borders."""
    out = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR) if image.ndim == 2 else image.copy()
    height, width = out.shape[:2]
    thick = max(1, round(max(height, width) / 400))
    for face in faces:
        x, y, w, h = face.box
        cv2.rectangle(out, (x, y), (x + w, y + h), COLOUR, thick)
        text = f"{face.dominant} {face.emotions[face.dominant]:.0%}"
        scale, (left, top, tw, th) = _fitted(text, max(0.4, w / 200), thick, (width, height))
        bw, bh = tw + 2 * thick, th + 2 * thick
        by = y - bh if y - bh >= 0 else y + h if y + h + bh <= height else max(0, min(y, height - bh))
        bx = max(0, min(x, width - bw))
        cv2.rectangle(out, (bx, by), (bx + bw - 1, by + bh - 1), COLOUR, -1)
        origin = (bx + thick - left, by + thick - top)
        cv2.putText(out, text, origin, FONT, scale, (0, 0, 0), thick, cv2.LINE_AA)
    return out
