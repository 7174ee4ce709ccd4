"""`Recognizer`: what emopy.stream and emopy.batch need from a model, so they are typed without importing
emopy.predict (which builds on them); `FERModel` is one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from .results import Face


class Located(Protocol):
    """A face the detector found: its box (x, y, w, h), which a later frame can follow."""

    @property
    def box(self) -> tuple[float, float, float, float]: ...


class Recognized(Protocol):
    """One image's share of `Recognizer.predict_batch`."""

    @property
    def faces(self) -> Sequence[Face]: ...

    @property
    def detections(self) -> Sequence[Located]: ...

    @property
    def crops(self) -> np.ndarray: ...  # N x S x S aligned gray crops, in the order of `faces`

    @property
    def probs(self) -> np.ndarray: ...  # N x len(emotions)

    @property
    def error(self) -> str | None: ...


class Recognizer(Protocol):
    """Faces and their emotions for a batch of decoded images, over a fixed list of emotions; calibratable."""

    @property
    def emotions(self) -> tuple[str, ...]: ...

    def predict_batch(
        self,
        images: Sequence[np.ndarray],
        *,
        detect: bool = True,
        detections: Sequence[Sequence[Any] | None] | None = None,
        errors: str = "raise",
    ) -> Sequence[Recognized]:
        """Locate and classify the faces of each image; `detections[i]` (an earlier frame's) are followed instead of
        detecting; errors="keep" gives a failing image an `error` instead of raising."""
        ...

    def calibrate(
        self, faces: Any, *, resting: bool = True, strength: float | None = None, detect: bool = True
    ) -> Recognizer:
        """A copy whose probabilities are relative to one viewer's faces (`FERModel.calibrate`)."""
        ...
