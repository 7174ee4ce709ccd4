"""`FERModel`: images in, faces with emotion probabilities out (detection, alignment, onnxruntime)."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..cards import check_share
from ..emotions import resolve_many, subset_indices
from ..errors import CalibrationError, EmopyError, ImageDecodeError, ModelFileError
from ..geometry import largest, to_gray
from ..results import Face
from .align import align_face
from .detect import Detection, FaceDetector, get_detector
from .inputs import load_image
from .runtime import Classifier


@dataclass(frozen=True)
class ImageFaces:
    """One image's share of `FERModel.predict_batch`: its faces, detections, the crops classified, or the error."""

    faces: tuple[Face, ...]
    detections: tuple[Detection, ...]
    crops: np.ndarray  # N x S x S aligned gray crops, in the order of `faces`
    probs: np.ndarray  # N x len(emotions)
    error: str | None = None


# Share of the shift `calibrate(resting=False)` applies: chosen by leave-one-subject-out cross-validation on
# CK+48 (every fold picks 0.125 from 0, 0.125, ..., 1; benchmarks/bench_calibration.py, RESULTS.md).
MIXED_STRENGTH = 0.125


def _is_batch(images) -> bool:
    """Lists, tuples and iterators hold several images; anything else is one image."""
    return isinstance(images, (list, tuple, Iterator))


class FERModel:
    """Facial expression recognition on any subset of a model's emotions.

    `balance` (0..1) subtracts that share of the log class prior of the training data (logit adjustment):
    rare emotions (disgust, fear, contempt) are found more often, at some cost in accuracy on data whose
    class frequencies match the training data's (benchmarks/RESULTS.md has the trade-off). None: the model
    card's `balance` (0.5 for the default model, chosen on CK+48; 0 for the others).
    `providers` chooses onnxruntime execution providers for the classifier ("cuda", "coreml", "directml", ...;
    CPU by default); the face detector runs on the CPU (OpenCV).

    Examples:
        >>> model = FERModel(["calm", "anger", "happiness"])
        >>> faces = model.predict("photo.jpg")          # list of Face, [] when no face
        >>> faces[0].dominant, faces[0].emotions        # probabilities renormalised over the subset
    """

    def __init__(
        self,
        emotions: Sequence[str] | str | None = None,
        model: str | Path = "default",
        *,
        detector: str | FaceDetector = "auto",
        margin: float | None = None,
        rotate: bool = True,
        threads: int | None = None,
        balance: float | None = None,
        providers: str | Sequence[str] | None = None,
    ):
        self.classifier = Classifier(model, threads=threads, providers=providers)
        card = self.classifier.card
        balance = check_share(card.balance if balance is None else balance)
        if balance and "prior" not in card.reference:
            raise ModelFileError(
                f"{card.name}: its card has no class prior for balance=; re-measure it with `emopy measure`"
            )
        self.balance = balance
        labels = card.labels
        self.emotions: tuple[str, ...] = tuple(resolve_many(emotions)) if emotions is not None else tuple(labels)
        self._index = subset_indices(labels, self.emotions)
        self.margin = card.face_margin if margin is None else float(margin)
        self.rotate = rotate
        self._detector_spec = detector
        self._detector: FaceDetector | None = None
        self.shift: np.ndarray | None = None  # per-viewer log-probability offset over the model's labels (calibrate)
        self.calibrated_on = 0  # faces used by calibrate
        self.calibration_skipped: list[str] = []  # inputs calibrate skipped, with the reason

    @property
    def detector(self) -> FaceDetector:
        """The face detector, created on first use (so detect=False never loads one)."""
        if self._detector is None:
            self._detector = get_detector(self._detector_spec)
        return self._detector

    def __repr__(self) -> str:
        calibrated = f", calibrated on {self.calibrated_on} faces" if self.shift is not None else ""
        name = self.classifier.card.name
        return f"FERModel(emotions={list(self.emotions)}, model={name!r}, margin={self.margin}{calibrated})"

    def subset(self, emotions: Sequence[str] | str | None) -> FERModel:
        """This model over another subset or order of its emotions (None: all): a view sharing classifier and
        detector."""
        view = copy.copy(self)
        view.emotions = tuple(resolve_many(emotions)) if emotions is not None else tuple(self.classifier.labels)
        view._index = subset_indices(self.classifier.labels, view.emotions)
        return view

    # --- steps, public so batch tools can interleave them -------------------------------------------------

    def locate(self, image: np.ndarray, *, detect: bool = True) -> tuple[list[Detection], np.ndarray]:
        """Detections and their aligned gray crops (N x S x S) for one decoded image; the whole image when
        detect=False."""
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
        p = self.classifier.predict_proba(crops)
        offset = self._log_offset()
        if offset is not None and len(p):
            p = p * np.exp(offset - offset.max())
        p = p[:, self._index]
        return p / np.maximum(p.sum(1, keepdims=True), 1e-12)

    def _log_offset(self) -> np.ndarray | None:
        """What is added to the log-probabilities: the viewer's calibration shift and the prior correction."""
        if self.shift is None and not self.balance:
            return None
        shift = self.shift if self.shift is not None else 0.0
        prior = np.asarray(self.classifier.card.reference["prior"]) if self.balance else 0.0
        return np.asarray(shift - self.balance * prior)  # an array already: a shift or a prior is one

    def calibrate(
        self,
        faces,
        *,
        resting: bool = True,
        strength: float | None = None,
        detect: bool = True,
        channels: str = "bgr",
    ) -> FERModel:
        """A copy of this model whose probabilities are relative to one person's own baseline.

        `faces`: images of that person (paths, arrays, ... as for `predict`; the largest face of each is
        used; detect=False: each image is a face crop, and an N x H x W array is N crops). With `resting`, they show
        the person at rest and are mapped onto the typical neutral face of the validation data; otherwise they
        are a mix of expressions and are mapped onto the average face. `strength` (0..1) is the share of that shift
        applied; None: all of it for resting faces, `MIXED_STRENGTH` for a mix of expressions, whose mean is
        mostly the expressions shown, not the person. Raises CalibrationError when no face is found.
        """
        strength = check_share(
            (1.0 if resting else MIXED_STRENGTH) if strength is None else strength, "strength", "the whole shift"
        )
        if isinstance(faces, np.ndarray) and faces.ndim == 3 and not detect:  # N x H x W crops, as predict_proba takes
            faces = list(faces)
        items = list(faces) if _is_batch(faces) else [faces]
        if not items:
            raise CalibrationError("no resting faces given: pass a few images of the person at rest")
        crops, skipped = [], []
        for i, item in enumerate(items):
            name = str(item) if isinstance(item, (str, Path)) else f"image {i}"
            try:
                dets, c = self.locate(load_image(item, channels=channels), detect=detect)
            except ImageDecodeError as exc:  # one unreadable photo does not spoil the others
                skipped.append(f"{name}: {str(exc).removeprefix(f'{name}: ')}")
                continue
            if len(c):
                crops.append(c[largest([d.box for d in dets])])
            else:
                skipped.append(f"{name}: no face found")
        if not crops:
            raise CalibrationError(
                f"no face found in any of the {len(items)} calibration image(s): " + "; ".join(skipped[:5])
            )
        logp = np.log(np.maximum(self.classifier.predict_proba(np.stack(crops)), 1e-12)).mean(0)
        ref = self.classifier.card.reference.get("rest" if resting else "all")
        out = copy.copy(self)
        out.shift = strength * ((np.asarray(ref, np.float64) if ref else np.zeros_like(logp)) - logp)
        out.calibrated_on, out.calibration_skipped = len(crops), skipped
        return out

    def faces(self, dets: Sequence[Detection], probs: np.ndarray, *, detect: bool = True) -> list[Face]:
        """Face results from detections and their probability rows."""
        out = []
        for d, p in zip(dets, probs):
            x, y, w, h = d.box
            out.append(
                Face(
                    box=(round(x), round(y), round(w), round(h)),
                    score=float(d.score) if detect else None,
                    emotions={e: float(v) for e, v in zip(self.emotions, p)},
                    dominant=self.emotions[int(np.argmax(p))],
                    landmarks=d.landmarks,
                )
            )
        return out

    # --- the one call most users need ---------------------------------------------------------------------

    def predict_batch(
        self,
        images: Sequence[np.ndarray],
        *,
        detect: bool = True,
        detections: Sequence[Sequence[Detection] | None] | None = None,
        errors: str = "raise",
    ) -> list[ImageFaces]:
        """The prediction step every caller shares: locate the faces of decoded images, classify all crops at once.

        `detections[i]` (when given and not None) are boxes to align instead of detecting, e.g. tracked from an
        earlier frame. `errors="keep"`: an image that fails to locate gets `error` and the others go on.
        """
        if errors not in ("raise", "keep"):
            raise ValueError(f"errors must be 'raise' or 'keep', got {errors!r}")
        size = self.classifier.card.image_size
        located: list[tuple[list[Detection], np.ndarray, str | None]] = []
        for i, image in enumerate(images):
            given = detections[i] if detections is not None else None
            try:
                if given is not None:
                    dets = list(given)
                    located.append((dets, self.align(image, dets), None))
                else:
                    located.append((*self.locate(image, detect=detect), None))
            except (EmopyError, ValueError) as exc:  # one bad image must not stop the batch
                if errors == "raise":
                    raise
                located.append(([], np.zeros((0, size, size), np.uint8), str(exc)))
        crops = [c for _, c, _ in located if len(c)]
        probs = self.classify(np.concatenate(crops)) if crops else np.zeros((0, len(self.emotions)))
        out, start = [], 0
        for dets, c, error in located:
            p = probs[start : start + len(c)]
            start += len(c)
            out.append(ImageFaces(tuple(self.faces(dets, p, detect=detect)), tuple(dets), c, p, error))
        return out

    def predict(self, images, *, detect: bool = True, channels: str = "bgr"):
        """Faces in one image (list of Face) or in each of a list of images (list of lists).

        An image is a path, encoded bytes, a numpy array (BGR, or RGB with channels="rgb", or gray) or a
        PIL image. detect=False treats each image as one face crop. Raises ImageDecodeError for bad input.
        """
        batch = _is_batch(images)
        items = list(images) if batch else [images]
        found = self.predict_batch([load_image(item, channels=channels) for item in items], detect=detect)
        out = [list(r.faces) for r in found]
        return out if batch else out[0]

    def predict_video(self, source, *, fps: float | None = None, **options):
        """An `EmotionStream` over this model: iterate it for one `StreamFrame` per processed frame, or call
        `.to_pandas()` for a DataFrame with one row per face per frame.

        `source`: a video file, a camera index or a stream URL; `fps` thins a file to about that many frames per
        second (times are the container's timestamps). `options` are EmotionStream's (smoothing, detect_every,
        calibrate_s, ...).
        """
        from ..stream.stream import EmotionStream

        return EmotionStream(source, self, fps=fps, **options)

    def predict_proba(self, faces) -> np.ndarray:
        """N x len(emotions) probabilities for face crops (N x H x W gray uint8, or a list of crops of any size)."""
        if isinstance(faces, np.ndarray) and faces.ndim == 3:
            faces = list(faces)
        crops = [self.locate(load_image(f), detect=False)[1] for f in faces]
        return self.classify(np.concatenate(crops)) if crops else np.zeros((0, len(self.emotions)))
