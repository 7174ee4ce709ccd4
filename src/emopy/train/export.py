"""Export a trained head to a self-describing ONNX file, and check it against PyTorch."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from .._version import __version__
from ..cards import ModelCard, write_card
from ..errors import require

require("torch", "train")
require("onnx", "train")
import onnx
import torch
from torch import nn


class ExportWrapper(nn.Module):
    """Raw 0..255 pixels in, probabilities of one head out (normalisation inside the graph)."""

    def __init__(self, model: nn.Module, start: int, stop: int, mean: float, std: float):
        super().__init__()
        self.model, self.start, self.stop, self.mean, self.std = model, start, stop, mean, std

    def forward(self, x):
        x = (x / 255.0 - self.mean) / self.std
        return torch.softmax(self.model(x)[:, self.start : self.stop], dim=1)


def weights_digest(model: nn.Module) -> str:
    """sha256 over the model's tensors in state-dict order."""
    h = hashlib.sha256()
    for k, v in model.state_dict().items():
        h.update(k.encode())
        h.update(v.detach().cpu().numpy().tobytes())
    return h.hexdigest()


def export_onnx(
    model: nn.Module, card: ModelCard, path: str | Path, head_slice: tuple[int, int] | None = None, check: bool = True
) -> Path:
    """Write `model` (one head of it) to `path` with `card` as metadata, plus `path`.json.

    With `check`, runs the ONNX checker and compares onnxruntime with PyTorch on random input.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Module.to documents the memory_format keyword; torch's overloads of it leave it out
    model = model.eval().to(memory_format=torch.contiguous_format)  # type: ignore[call-overload]
    start, stop = head_slice or (0, len(card.labels))
    wrapper = ExportWrapper(model, start, stop, card.mean, card.std).eval()
    s = card.input_size
    shape = (2, card.frames, 1, s, s) if card.frames else (2, 1, s, s)
    dummy = torch.rand(*shape) * 255
    params = sum(p.numel() for p in model.parameters())
    card = replace(
        card,
        params=params,
        weights_sha256=weights_digest(model),
        emopy_version=__version__,
        created=card.created or datetime.now(UTC).isoformat(timespec="seconds"),
    )
    torch.onnx.export(
        wrapper,
        (dummy,),
        str(path),
        input_names=["pixels"],
        output_names=["probabilities"],
        dynamic_axes={"pixels": {0: "batch"}, "probabilities": {0: "batch"}},
        opset_version=17,
        dynamo=False,
        do_constant_folding=False,
    )  # keeps batch norm and state-dict names (transfer learning reads them); onnxruntime fuses at load
    write_card(path, card)
    if check:
        onnx.checker.check_model(str(path))
        diff = max_abs_diff(wrapper, path, torch.rand(*(5,) + shape[1:]) * 255)
        if diff >= 1e-4:
            raise RuntimeError(f"ONNX export of {card.name} differs from PyTorch by {diff:.2e}")
    return path


def max_abs_diff(wrapper: nn.Module, path: Path, x: torch.Tensor) -> float:
    """Largest difference between PyTorch and onnxruntime probabilities on `x`."""
    import onnxruntime as ort

    with torch.no_grad():
        ref = wrapper(x).numpy()
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = sess.run(None, {"pixels": x.numpy().astype(np.float32)})[0]
    return float(np.abs(ref - got).max())
