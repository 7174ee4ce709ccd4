"""The server's one way to predict: `FERModel` instances per (model, emotions), sharing one detector."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..emotions import resolve_many
from ..errors import ModelFileError
from ..predict import Face, FERModel, get_detector
from ..pretrained import aliases, list_pretrained


@dataclass
class Prediction:
    """Faces found in one image and the aligned gray crops the model classified."""

    faces: list[Face]
    crops: np.ndarray
    model: str


class Predictor:
    """Thread-safe front of FERModel: request-chosen shipped models and emotion subsets, cached."""

    def __init__(self, model: str = "default", detector: str = "auto", threads: int | None = None, cache: int = 16):
        self.default = model
        self.threads = threads
        self.detector = get_detector(detector)
        self._cache: dict[tuple[str, tuple[str, ...] | None], FERModel] = {}
        self._size = cache
        self._lock = threading.Lock()  # OpenCV's detector nets are not safe to run from two threads
        self.get(model, None)

    def get(self, model: str | None, emotions: Sequence[str] | str | None) -> FERModel:
        """The FERModel for a shipped model name (None: the server's) and an emotion subset (None: all)."""
        name = model or self.default
        if name != self.default and name not in list_pretrained() and name not in aliases():
            raise ModelFileError(f"unknown model {name!r}; this server offers: {', '.join(self.models())}")
        key = (name, tuple(resolve_many(emotions)) if emotions else None)
        with self._lock:
            if key not in self._cache:
                if len(self._cache) >= self._size:
                    self._cache.pop(next(k for k in self._cache if k != (self.default, None)))
                self._cache[key] = FERModel(key[1], name, detector=self.detector, threads=self.threads)
            return self._cache[key]

    def models(self) -> list[str]:
        """Model names a request may choose."""
        return sorted({self.default, *list_pretrained(), *aliases()})

    def predict(self, image: np.ndarray, *, model: str | None = None, emotions=None) -> Prediction:
        """Detect, align and classify the faces of one decoded BGR image."""
        fer = self.get(model, emotions)
        with self._lock:
            dets, crops = fer.locate(image)
        probs = fer.classify(crops) if len(crops) else np.zeros((0, len(fer.emotions)))
        return Prediction(fer.faces(dets, probs), crops, fer.classifier.card.name)
