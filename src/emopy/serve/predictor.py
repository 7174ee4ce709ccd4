"""The server's one way to predict: one `FERModel` per shipped model file, emotion subsets as views of it."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..cards import names, resolve_model
from ..errors import ModelFileError
from ..predict import Detection, Face, FaceDetector, FERModel, get_detector


@dataclass
class Prediction:
    """Faces found in one image and the aligned gray crops the model classified."""

    faces: list[Face]
    crops: np.ndarray
    model: str


class Predictor:
    """Thread-safe front of FERModel: request-chosen shipped models, loaded once each; any emotion subset is a
    cheap view."""

    def __init__(self, model: str = "default", detector: str = "auto", threads: int | None = None, device: str = "cpu"):
        self.default = model
        self.threads, self.device = threads, device
        self.detector = _Serialised(get_detector(detector))
        self._models: dict[Path, FERModel] = {}  # at most one per model file: no request can make it grow further
        self._loading = threading.Lock()  # a model file loads once, without holding up detection meanwhile
        self.get(model, None)

    def get(self, model: str | None, emotions=None) -> FERModel:
        """The FERModel for a shipped model name (None: the server's) over an emotion subset (None: all)."""
        name = model or self.default
        if name != self.default and name not in names():
            raise ModelFileError(f"unknown model {name!r}; this server offers: {', '.join(self.models())}")
        path = resolve_model(name)
        with self._loading:
            if path not in self._models:
                self._models[path] = FERModel(
                    None, path, detector=self.detector, threads=self.threads, providers=self.device
                )
        return self._models[path].subset(emotions)

    def models(self) -> list[str]:
        """Model names a request may choose."""
        return sorted({self.default, *names()})

    def predict(
        self, image: np.ndarray, *, model: str | None = None, emotions=None, viewer: FERModel | None = None
    ) -> Prediction:
        """Detect, align and classify the faces of one decoded BGR image (with `viewer`: that calibrated model)."""
        fer = viewer.subset(emotions) if viewer is not None else self.get(model, emotions)
        found = fer.predict_batch([image])[0]
        return Prediction(list(found.faces), found.crops, fer.classifier.card.name)


class _Serialised:
    """A detector that runs one image at a time: OpenCV's detector nets are not safe to run from two threads.

    (Classification stays concurrent: onnxruntime sessions are thread-safe.)
    """

    def __init__(self, detector: FaceDetector):
        self.detector, self.name = detector, detector.name
        self._lock = threading.Lock()

    def detect(self, image: np.ndarray) -> list[Detection]:
        with self._lock:
            return self.detector.detect(image)
