"""Synthetic videos for the stream and story tests: the shipped public-domain face, brightness-coded."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from _predict_helpers import face_patch
from emopy import FERModel

# Brightness of the pasted face stands for an expression; `BrightnessModel` reads it back from the aligned crop.
SCALES = {"anger": 1.4, "neutral": 0.8, "fear": 0.5}


def make_video(
    path: Path,
    script: list[tuple[float, str | None]],
    fps: float = 6.0,
    size: tuple[int, int] = (320, 240),
    drift: int = 0,
) -> Path:
    """Write a video: for each (seconds, emotion or None) the face with that brightness (or no face)."""
    w, h = size
    patch = face_patch(0.6)
    patch = cv2.resize(patch, (patch.shape[1] * 2 // 3, patch.shape[0] * 2 // 3), interpolation=cv2.INTER_AREA)
    ph, pw = patch.shape[:2]
    code = "MJPG" if path.suffix == ".avi" else "mp4v"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*code), fps, (w, h))
    assert writer.isOpened()
    i = 0
    for seconds, emotion in script:
        for _ in range(round(seconds * fps)):
            frame = np.full((h, w, 3), 90, np.uint8)
            if emotion is not None:
                x = (w - pw) // 2 + (i * drift) % 40 - 20 * (drift > 0)
                y = (h - ph) // 2
                frame[y : y + ph, x : x + pw] = np.clip(patch * SCALES[emotion], 0, 255).astype(np.uint8)
            writer.write(frame)
            i += 1
    writer.release()
    return path


class BrightnessModel(FERModel):
    """A FERModel whose classifier is replaced by the crop's brightness: real decoding, detection and alignment."""

    def __init__(self, fer: FERModel):
        self.__dict__.update(fer.__dict__)

    def classify(self, crops: np.ndarray) -> np.ndarray:
        out = np.full((len(crops), len(self.emotions)), 0.2 / (len(self.emotions) - 1))
        for k, crop in enumerate(crops):
            m = float(crop.mean())
            name = "fear" if m < 90 else "neutral" if m < 150 else "anger"
            out[k, self.emotions.index(name)] = 0.8
        return out
