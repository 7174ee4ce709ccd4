"""The architecture registry (timm-style): `create_model(name, num_classes)` builds what `MODELS` declares."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from ..errors import EmopyError
from ..registry import Entry, Registry


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
class ModelInfo(Entry):
    """An architecture's entry: its builder `fn(num_classes, **kwargs) -> nn.Module` and what is known before it."""

    needs: str | None = "torch"
    install: str | None = "'emopy-fer[train]'"
    temporal: bool = False  # input N x T x 1 x H x W instead of N x 1 x H x W
    input: InputConfig = InputConfig()


MODELS: Registry[ModelInfo] = Registry("architecture")
Builder = TypeVar("Builder", bound=Callable)


def register_model(name: str) -> Callable[[Builder], Builder]:
    """Decorator on the builder that `MODELS` declares for `name`: refuses a builder the declaration does not name."""

    def check(fn: Builder) -> Builder:
        target = f"{fn.__module__}:{fn.__qualname__}"
        if name not in MODELS or MODELS.get(name).target != target:
            raise EmopyError(
                f"architecture {name!r} is not declared as {target}: add ModelInfo({name!r}, {target!r}, "
                "'description') to MODELS in emopy/models/__init__.py"
            )
        return fn

    return check


def model_info(name: str) -> ModelInfo:
    """Registry entry for `name` (no PyTorch needed), with close matches suggested when it is unknown."""
    return MODELS.get(name)


def list_models() -> list[str]:
    """Names of all registered architectures, sorted."""
    return sorted(MODELS.names())


def create_model(name: str, num_classes: int, **kwargs):
    """Build architecture `name` with `num_classes` outputs; None-valued kwargs are ignored."""
    info = MODELS.get(name)
    if not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(f"num_classes must be an integer >= 2, got {num_classes!r}")
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    model = MODELS.load(name)(num_classes=num_classes, **kwargs)
    model.emopy_arch = name
    model.emopy_temporal = info.temporal
    return model
