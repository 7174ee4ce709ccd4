"""A timm-style model registry: architectures register a builder under a unique name."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import EmopyError, UnknownModelError


@dataclass(frozen=True)
class InputConfig:
    """How an architecture's input is made (timm's pretrained-cfg idea), the one source for trainer, card and embedder.

    A grayscale face crop is resized to `image_size` square; training takes random `input_size` windows of it,
    prediction the centre one; pixels are normalised as (x / 255 - mean) / std.
    """

    image_size: int = 48
    input_size: int = 44
    mean: float = 0.5
    std: float = 0.25


@dataclass(frozen=True)
class ModelInfo:
    """What the registry knows about an architecture before building it."""

    name: str
    builder: Callable
    temporal: bool  # input N x T x 1 x H x W instead of N x 1 x H x W
    description: str
    input: InputConfig = InputConfig()


_REGISTRY: dict[str, ModelInfo] = {}


def register_model(name: str, *, temporal: bool = False, input: InputConfig = InputConfig()):
    """Decorator: register `fn(num_classes, **kwargs) -> nn.Module` under `name`, with its input configuration."""

    def wrap(fn: Callable) -> Callable:
        if name in _REGISTRY:
            raise EmopyError(f"model {name!r} is already registered")
        doc = (fn.__doc__ or "").strip().splitlines()
        _REGISTRY[name] = ModelInfo(name, fn, temporal, doc[0] if doc else "", input)
        return fn

    return wrap


def model_info(name: str) -> ModelInfo:
    """Registry entry for `name`, with close matches suggested when it is unknown."""
    if name not in _REGISTRY:
        close = difflib.get_close_matches(name, list(_REGISTRY), n=3, cutoff=0.4)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UnknownModelError(f"unknown architecture {name!r}{hint} (available: {', '.join(list_models())})")
    return _REGISTRY[name]


def list_models() -> list[str]:
    """Names of all registered architectures, sorted."""
    return sorted(_REGISTRY)


def create_model(name: str, num_classes: int, **kwargs):
    """Build architecture `name` with `num_classes` outputs; None-valued kwargs are ignored."""
    info = model_info(name)
    if not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(f"num_classes must be an integer >= 2, got {num_classes!r}")
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    model = info.builder(num_classes=num_classes, **kwargs)
    model.emopy_arch = name
    model.emopy_temporal = info.temporal
    return model
