"""`FERModel`: images in, faces with emotion probabilities out (detection, alignment, onnxruntime)."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..emotions import resolve_many, subset_indices
from .align import align_face, to_gray
from .detection import Detection, FaceDetector, get_detector
from .inputs import load_image
from .runtime import Classifier


@dataclass(frozen=True)
class Face:
    """One face: square box (x, y, w, h), detector score (None without detection), probabilities, dominant emotion."""

    box: tuple[int, int, int, int]
    score: float | None
    emotions: dict[str, float]
    dominant: str
    landmarks: dict[str, tuple[float, float]] | None = None

    def to_dict(self) -> dict:
        """Plain JSON-ready form: {"box", "score", "emotions", "dominant", "landmarks"}."""
        return {
            "box": list(self.box),
            "score": None if self.score is None else round(self.score, 4),
            "emotions": {k: round(v, 4) for k, v in self.emotions.items()},
            "dominant": self.dominant,
            "landmarks": {k: [round(x, 1), round(y, 1)] for k, (x, y) in self.landmarks.items()} if self.landmarks else None,
        }


def _is_batch(images) -> bool:
    """Lists, tuples and iterators hold several images; anything else is one image."""
    return isinstance(images, (list, tuple, Iterator))


class FERModel:
    """Facial expression recognition on any subset of a model's emotions.

    >>> model = FERModel(["calm", "anger", "happiness"])
    >>> faces = model.predict("photo.jpg")          # list of Face, [] when no face
    >>> faces[0].dominant, faces[0].emotions        # probabilities renormalised over the subset
    """

    def __init__(self, emotions: Sequence[str] | str | None = None, model: str | Path = "default", *,
                 detector: str | FaceDetector = "auto", margin: float | None = None, rotate: bool = True,
                 threads: int | None = None):
        self.classifier = Classifier(model, threads=threads)
        card = self.classifier.card
        labels = card.labels
        self.emotions: tuple[str, ...] = tuple(resolve_many(emotions)) if emotions is not None else tuple(labels)
        self._index = subset_indices(labels, self.emotions)
        self.margin = card.face_margin if margin is None else float(margin)
        self.rotate = rotate
        self._detector_spec = detector
        self._detector: FaceDetector | None = None

    @property
    def detector(self) -> FaceDetector:
        """The face detector, created on first use (so detect=False never loads one)."""
        if self._detector is None:
            self._detector = get_detector(self._detector_spec)
        return self._detector

    def __repr__(self) -> str:
        return f"FERModel(emotions={list(self.emotions)}, model={self.classifier.card.name!r}, margin={self.margin})"

    def subset(self, emotions: Sequence[str] | str | None) -> FERModel:
        """This model over another subset or order of its emotions (None: all): a view sharing classifier and detector."""
        view = copy.copy(self)
        view.emotions = tuple(resolve_many(emotions)) if emotions is not None else tuple(self.classifier.labels)
        view._index = subset_indices(self.classifier.labels, view.emotions)
        return view

    # --- steps, public so batch tools can interleave them -------------------------------------------------

    def locate(self, image: np.ndarray, *, detect: bool = True) -> tuple[list[Detection], np.ndarray]:
        """Detections and their aligned gray crops (N x S x S) for one decoded image; the whole image when detect=False."""
        size = self.classifier.card.image_size
        if not detect:
            gray = to_gray(image)
            interp = cv2.INTER_AREA if min(gray.shape) > size else cv2.INTER_LINEAR
            crop = cv2.resize(gray, (size, size), interpolation=interp)  # stretched like training crops
            h, w = gray.shape
            return [Detection((0.0, 0.0, float(w), float(h)), float("nan"))], crop[None]
        dets = self.detector.detect(image)
        return dets, self.align(image, dets)

    def align(self, image: np.ndarray, dets: Sequence[Detection]) -> np.ndarray:
        """Aligned gray crops (N x S x S) of given detections, e.g. boxes tracked from an earlier frame."""
        size = self.classifier.card.image_size
        crops = [align_face(image, d, margin=self.margin, size=size, rotate=self.rotate) for d in dets]
        return np.stack(crops) if crops else np.zeros((0, size, size), np.uint8)

    def classify(self, crops: np.ndarray) -> np.ndarray:
        """N x len(emotions) probabilities for aligned gray crops, renormalised over the chosen emotions."""
        p = self.classifier.predict_proba(crops)[:, self._index]
        return p / np.maximum(p.sum(1, keepdims=True), 1e-12)

    def faces(self, dets: Sequence[Detection], probs: np.ndarray, *, detect: bool = True) -> list[Face]:
        """Face results from detections and their probability rows."""
        out = []
        for d, p in zip(dets, probs):
            x, y, w, h = d.box
            out.append(Face(
                box=(round(x), round(y), round(w), round(h)),
                score=float(d.score) if detect else None,
                emotions={e: float(v) for e, v in zip(self.emotions, p)},
                dominant=self.emotions[int(np.argmax(p))],
                landmarks=d.landmarks,
            ))
        return out

    # --- the one call most users need ---------------------------------------------------------------------

    def predict(self, images, *, detect: bool = True, channels: str = "bgr"):
        """Faces in one image (list of Face) or in each of a list of images (list of lists).

        An image is a path, encoded bytes, a numpy array (BGR, or RGB with channels="rgb", or gray) or a
        PIL image. detect=False treats each image as one face crop. Raises ImageDecodeError for bad input.
        """
        batch = _is_batch(images)
        items = list(images) if batch else [images]
        located = [self.locate(load_image(item, channels=channels), detect=detect) for item in items]
        crops = [c for _, c in located]
        probs = self.classify(np.concatenate(crops)) if crops else np.zeros((0, len(self.emotions)))
        out, start = [], 0
        for dets, c in located:
            out.append(self.faces(dets, probs[start : start + len(c)], detect=detect))
            start += len(c)
        return out if batch else out[0]

    def predict_proba(self, faces) -> np.ndarray:
        """N x len(emotions) probabilities for face crops (N x H x W gray uint8, or a list of crops of any size)."""
        if isinstance(faces, np.ndarray) and faces.ndim == 3:
            faces = list(faces)
        crops = [self.locate(load_image(f), detect=False)[1] for f in faces]
        return self.classify(np.concatenate(crops)) if crops else np.zeros((0, len(self.emotions)))
