"""The model files shipped inside the package (src/emopy/weights) as a typed registry, in torchvision's manner: one
frozen `Weights` per file (name, aliases, use, card, sha256), looked up by name or alias, with the closest names on
a miss."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..errors import ModelFileError, did_you_mean
from .card import ModelCard
from .files import read_sidecar

WEIGHTS_DIR = Path(__file__).resolve().parents[1] / "weights"

SHIPPED = (  # (file name without .onnx, aliases, what it is for); the default first
    (
        "vgg_small.crossdomain.int8",
        ("default",),
        "webcam frames and photos, in the wild or posed: best on the cross-domain scoreboard, and fast",
    ),
    (
        "vgg_wide.fer2013.int8",
        ("fer2013",),
        "research on FER2013's own labels (7 emotions): the most accurate FER2013 model",
    ),
    (
        "vgg_wide.ferplus.int8",
        ("ferplus",),
        "research on FER+ majority labels (8 emotions with contempt): the most accurate FER+ model",
    ),
)


@dataclass(frozen=True)
class Weights:
    """One shipped model file: its name, the short names that also pick it, what it is for, its card and the sha256
    its sidecar records (checked on every load)."""

    name: str
    aliases: tuple[str, ...]
    use: str
    card: ModelCard
    sha256: str

    @property
    def path(self) -> Path:
        return WEIGHTS_DIR / f"{self.name}.onnx"


@lru_cache(maxsize=1)
def registry() -> tuple[Weights, ...]:
    """Every shipped model file, the default first; card and sha256 read from each file's sidecar."""
    return tuple(
        Weights(name, aliases, use, *read_sidecar(WEIGHTS_DIR / f"{name}.onnx")) for name, aliases, use in SHIPPED
    )


def list_pretrained() -> list[str]:
    """Names of the shipped model files (without .onnx), the default first."""
    return [w.name for w in registry()]


def names() -> list[str]:
    """Every name a shipped model answers to: file names and aliases."""
    return [n for w in registry() for n in (w.name, *w.aliases)]


def get_weights(name: str) -> Weights:
    """The shipped weights called `name` (file name or alias); ModelFileError naming the closest names otherwise."""
    for w in registry():
        if name == w.name or name in w.aliases:
            return w
    raise _unknown(name)


def _unknown(name: str) -> ModelFileError:
    """The error for a name that is neither shipped nor a file, with the closest shipped names."""
    return ModelFileError(
        f"unknown model {name!r}{did_you_mean(name, names())} "
        f"(shipped: {', '.join(names())}; or give a path to an .onnx file)"
    )


def resolve_model(name_or_path: str | Path) -> Path:
    """A shipped name/alias ("default", "fer2013", "vgg_wide.ferplus.int8") or a path to an .onnx file.

    A shipped name wins over a file or folder of the same name in the working directory; write ./name for that.
    """
    s = str(name_or_path)
    pathlike = isinstance(name_or_path, Path) or "/" in s or os.sep in s or s.endswith(".onnx")
    if not pathlike and s in names():
        return get_weights(s).path
    path = Path(s)
    if path.is_file():
        return path
    if pathlike or path.exists():
        raise ModelFileError(f"{path}: no such model file")
    raise _unknown(s)
