"""EmoPy's TransferLearningNN: one of our own trained FER backbones with a new head.

No ImageNet weights can be downloaded here, so the backbone is an emopy model trained on
FER2013/FER+ (a shipped model name such as "default", a run's `best-*.pt` or an exported
`.onnx`), fine-tuned to a user's emotion set or small dataset, optionally frozen.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..cards import resolve_model
from ..errors import ConfigError, ModelFileError
from ._registry import create_model, register_model
from .folded import is_quantized, unfold


def weights_state(weights: str | Path, head: bool = False) -> dict[str, torch.Tensor]:
    """Model tensors from a checkpoint or an ONNX file; the classifier (`head.*`) only when `head`.

    emopy exports keep batch norm unfolded, so ONNX initializers carry the state-dict names
    (prefixed `model.` by the export wrapper); int8 exports are dequantised and unfolded (`folded.unfold`).
    """
    try:
        path = resolve_model(
            weights
        )  # a shipped model name such as "default" (wins over a folder of that name), or a file
    except ModelFileError:
        raise ModelFileError(
            f"{weights}: no such weights file or shipped model (give a run's best-*.pt, "
            "an exported .onnx, or a name from `emopy models`)"
        ) from None
    if path.suffix == ".onnx":
        import onnx
        from onnx import numpy_helper

        graph = onnx.load(str(path)).graph
        tensors = {t.name: torch.from_numpy(np.array(numpy_helper.to_array(t))) for t in graph.initializer}
        for node in graph.node:  # the exporter shares equal tensors through Identity nodes
            if node.op_type == "Identity" and node.input[0] in tensors:
                tensors[node.output[0]] = tensors[node.input[0]]
        state = unfold(tensors) if is_quantized(tensors) else {k.removeprefix("model."): v for k, v in tensors.items()}
    else:
        try:  # tensors and plain containers only: a .pt from elsewhere cannot run code while loading
            state = torch.load(path, map_location="cpu", weights_only=True)
        except pickle.UnpicklingError as exc:
            raise ModelFileError(
                f"{path}: not a plain weights file (it holds Python objects torch will not load "
                f"safely: {str(exc).splitlines()[0][:200]})"
            ) from None
        state = state.get("model", state)
    return {k: v for k, v in state.items() if head or not k.startswith("head.")}


class TransferLearningNN(nn.Module):
    """A pretrained emopy backbone (global-pooled features) plus a new linear head."""

    def __init__(
        self,
        num_classes: int,
        backbone: str = "vgg_small",
        weights: str | None = None,
        freeze: bool = False,
        dropout: float = 0.3,
    ):
        super().__init__()
        self.backbone = create_model(backbone, num_classes=2)
        if self.backbone.emopy_temporal or not hasattr(self.backbone, "forward_features"):
            raise ConfigError(
                f"{backbone!r} cannot be a TransferLearningNN backbone; use a still-image architecture such as "
                "vgg_small"
            )
        if weights:
            try:
                missing, _ = self.backbone.load_state_dict(weights_state(weights), strict=False)
            except RuntimeError as exc:  # tensor shapes of another architecture
                raise ModelFileError(
                    f"{weights}: not a {backbone} backbone ({str(exc).splitlines()[-1].strip()})"
                ) from None
            missing = [k for k in missing if not k.startswith("head.")]
            if missing:
                raise ModelFileError(f"{weights}: not a {backbone} backbone (missing {missing[:3]}...)")
        self.backbone.head = nn.Identity()
        self.freeze = freeze
        if freeze:
            for p in self.backbone.parameters():
                p.requires_grad_(False)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(self.backbone.num_features, num_classes)

    def train(self, mode: bool = True):
        super().train(mode)
        if self.freeze:  # frozen batch-norm statistics stay those of the pretrained backbone
            self.backbone.eval()
        return self

    def forward(self, x):
        return self.head(self.dropout(self.backbone.forward_features(x)))


@register_model("TransferLearningNN")
def transfer_learning_nn(num_classes: int, **kwargs) -> TransferLearningNN:
    return TransferLearningNN(num_classes, **kwargs)
