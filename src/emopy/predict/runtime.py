"""Run an exported emopy model with onnxruntime (no PyTorch): face crops in, probabilities out."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort

from ..errors import ModelFileError
from ..modelcard import ModelCard
from ..pretrained import resolve_model, verify


def with_temperature(probs: np.ndarray, t: float) -> np.ndarray:
    """softmax(logits / t) computed from softmax(logits): p ** (1/t), renormalised."""
    if t == 1.0 or not len(probs):
        return probs
    logp = np.log(np.maximum(probs, 1e-12)) / t
    e = np.exp(logp - logp.max(1, keepdims=True))
    return (e / e.sum(1, keepdims=True)).astype(np.float32)


class Classifier:
    """An emopy .onnx file: `predict_proba(faces)` for grayscale face crops of any size."""

    def __init__(self, model: str | Path = "default", threads: int | None = None):
        self.path = resolve_model(model)
        verify(self.path)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or int(os.environ.get("EMOPY_THREADS", 0)) or min(os.cpu_count() or 1, 4)
        opts.inter_op_num_threads = 1
        try:
            self.session = ort.InferenceSession(str(self.path), opts, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise ModelFileError(f"{self.path}: onnxruntime cannot load this file ({exc})") from None
        self.card = ModelCard.from_metadata(self.session.get_modelmeta().custom_metadata_map, str(self.path))

    @property
    def labels(self) -> tuple[str, ...]:
        return self.card.labels

    def preprocess(self, faces) -> np.ndarray:
        """Grayscale crops (N x H x W, or N x T x H x W for sequence models) -> model input."""
        c = self.card
        faces = np.asarray(faces)
        want = 4 if c.frames else 3
        if faces.ndim != want:
            raise ValueError(f"expected {'N x T x H x W' if c.frames else 'N x H x W'} grayscale crops, got shape {faces.shape}")
        if faces.shape[-2:] != (c.image_size, c.image_size):
            flat = faces.reshape(-1, *faces.shape[-2:])
            flat = np.stack([cv2.resize(f, (c.image_size, c.image_size), interpolation=cv2.INTER_AREA) for f in flat])
            faces = flat.reshape(*faces.shape[:-2], c.image_size, c.image_size)
        o = (c.image_size - c.input_size) // 2
        x = faces[..., o : o + c.input_size, o : o + c.input_size].astype(np.float32)
        return x[:, :, None] if c.frames else x[:, None]

    def predict_proba(self, faces, *, tta: bool = False, calibrated: bool = True, batch_size: int = 256) -> np.ndarray:
        """N x len(labels) probabilities; `tta` averages with the mirrored faces.

        `calibrated` applies the card's temperature (fitted on validation; argmax unchanged).
        """
        x = self.preprocess(faces)
        out = np.concatenate([self._run(x[i : i + batch_size]) for i in range(0, len(x), batch_size)]) if len(x) else np.zeros((0, len(self.labels)), np.float32)
        if tta and len(x):
            flipped = np.ascontiguousarray(x[..., ::-1])
            out = (out + np.concatenate([self._run(flipped[i : i + batch_size]) for i in range(0, len(x), batch_size)])) / 2
        return with_temperature(out, self.card.temperature) if calibrated else out

    def _run(self, x: np.ndarray) -> np.ndarray:
        return self.session.run(None, {"pixels": x})[0]
