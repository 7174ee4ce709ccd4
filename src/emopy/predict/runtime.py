"""Run an exported emopy model with onnxruntime (no PyTorch): face crops in, probabilities out."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort

from ..cards import ModelCard, resolve_model, verify
from ..errors import ConfigError, ModelFileError


def with_temperature(probs: np.ndarray, t: float) -> np.ndarray:
    """softmax(logits / t) computed from softmax(logits): p ** (1/t), renormalised."""
    if t == 1.0 or not len(probs):
        return probs
    logp = np.log(np.maximum(probs, 1e-12)) / t
    e = np.exp(logp - logp.max(1, keepdims=True))
    return (e / e.sum(1, keepdims=True)).astype(np.float32)


DEVICES = {  # short names for onnxruntime execution providers
    "cpu": "CPUExecutionProvider",
    "cuda": "CUDAExecutionProvider",
    "tensorrt": "TensorrtExecutionProvider",
    "rocm": "ROCMExecutionProvider",
    "coreml": "CoreMLExecutionProvider",
    "directml": "DmlExecutionProvider",
    "dml": "DmlExecutionProvider",
    "openvino": "OpenVINOExecutionProvider",
}


def execution_providers(providers: str | Sequence[str] | None) -> list[str]:
    """onnxruntime provider names for `providers` (short names such as "cuda" or full names, in preference order),
    with the CPU provider last as the fallback; ConfigError naming what this install offers when one is missing."""
    if providers is None:
        return ["CPUExecutionProvider"]
    wanted = [providers] if isinstance(providers, str) else list(providers)
    names = [DEVICES.get(p.strip().lower(), p.strip()) for p in wanted if p.strip()]
    have = ort.get_available_providers()
    missing = [n for n in names if n not in have]
    if missing:
        short = {v: k for k, v in DEVICES.items()}
        offered = ", ".join(f"{short.get(h, h)} ({h})" for h in have)
        raise ConfigError(
            f"execution provider {', '.join(missing)} is not available in this onnxruntime install; available: "
            f"{offered}. For NVIDIA GPUs install onnxruntime-gpu instead of onnxruntime."
        )
    return list(dict.fromkeys([*names, "CPUExecutionProvider"]))


class Classifier:
    """An emopy .onnx file: `predict_proba(faces)` for grayscale face crops of any size.

    `providers`: onnxruntime execution providers to run on, e.g. "cuda" or ["CUDAExecutionProvider"]; CPU by default.
    """

    def __init__(self, model: str | Path = "default", threads: int | None = None, providers=None):
        chosen = execution_providers(providers)  # an unavailable provider fails before the file is read
        self.path = resolve_model(model)
        verify(self.path)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or int(os.environ.get("EMOPY_THREADS", 0)) or min(os.cpu_count() or 1, 4)
        opts.inter_op_num_threads = 1
        try:
            self.session = ort.InferenceSession(str(self.path), opts, providers=chosen)
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise ModelFileError(f"{self.path}: onnxruntime cannot load this file ({exc})") from None
        self.card = ModelCard.from_metadata(self.session.get_modelmeta().custom_metadata_map, str(self.path))

    @property
    def labels(self) -> tuple[str, ...]:
        return self.card.labels

    def preprocess(self, faces, offset: tuple[int, int] | None = None) -> np.ndarray:
        """Grayscale crops (N x H x W, or N x T x H x W for sequence models) -> model input.

        The input window is centred, or at `offset` (y, x) inside the `image_size` face (ten-crop TTA).
        """
        c = self.card
        faces = np.asarray(faces)
        if c.frames == 1 and faces.ndim == 3:  # a one-frame sequence model takes still images as they are
            faces = faces[:, None]
        want = 4 if c.frames else 3
        if faces.ndim != want:
            raise ValueError(
                f"expected {'N x T x H x W' if c.frames else 'N x H x W'} grayscale crops, got shape {faces.shape}"
            )
        if faces.shape[-2:] != (c.image_size, c.image_size):
            flat = faces.reshape(-1, *faces.shape[-2:])
            flat = np.stack([cv2.resize(f, (c.image_size, c.image_size), interpolation=cv2.INTER_AREA) for f in flat])
            faces = flat.reshape(*faces.shape[:-2], c.image_size, c.image_size)
        centre = (c.image_size - c.input_size) // 2
        oy, ox = offset or (centre, centre)
        x = faces[..., oy : oy + c.input_size, ox : ox + c.input_size].astype(np.float32)
        return x[:, :, None] if c.frames else x[:, None]

    def predict_proba(
        self, faces, *, tta: bool | str = False, calibrated: bool = True, batch_size: int = 256
    ) -> np.ndarray:
        """N x len(labels) probabilities.

        `tta`: True or "flip" averages with the mirrored faces; "tencrop" over the centre and four corner
        windows and their mirrors. `calibrated` applies the card's temperature (fitted on validation).
        """
        if tta not in (False, True, "flip", "tencrop"):
            raise ValueError(f"tta must be False, 'flip' or 'tencrop', got {tta!r}")
        m = self.card.image_size - self.card.input_size
        offsets = [None, (0, 0), (0, m), (m, 0), (m, m)] if tta == "tencrop" else [None]
        views = []
        for off in offsets:
            x = self.preprocess(faces, off)
            views.append(x)
            if tta:
                views.append(np.ascontiguousarray(x[..., ::-1]))
        out = np.mean([self._batched(x, batch_size) for x in views], axis=0)
        return with_temperature(out, self.card.temperature) if calibrated else out

    def _batched(self, x: np.ndarray, batch_size: int) -> np.ndarray:
        if not len(x):
            return np.zeros((0, len(self.labels)), np.float32)
        return np.concatenate([self._run(x[i : i + batch_size]) for i in range(0, len(x), batch_size)])

    def _run(self, x: np.ndarray) -> np.ndarray:
        return self.session.run(None, {"pixels": x})[0]
