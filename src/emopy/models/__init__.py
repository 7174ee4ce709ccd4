"""Model registry: `create_model(name, num_classes)` and `list_models()` (needs emopy-fer[train])."""

from ..errors import require

require("torch", "train")

from . import emopy_nets, resnet, temporal, transfer, vgg  # noqa: E402,F401  (importing registers)
from ._registry import InputConfig, ModelInfo, UnknownModelError, create_model, list_models, model_info, register_model  # noqa: E402

__all__ = [
    "InputConfig",
    "ModelInfo",
    "UnknownModelError",
    "create_model",
    "list_models",
    "model_info",
    "register_model",
]
