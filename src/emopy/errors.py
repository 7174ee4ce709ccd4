"""Exceptions raised by emopy.

EmopyError                      root of everything emopy raises on purpose
 ├── UnknownEmotionError        (also ValueError) a name not in the vocabulary
 ├── DataError                  (also ValueError) a dataset file that cannot be used
 ├── ModelFileError             (also ValueError) a model file without the metadata we need
 ├── ImageDecodeError           (also ValueError) bytes that are not a readable image
 ├── DecodeTimeout              (also TimeoutError) an image whose decoding outlasted the server's deadline
 ├── ConfigError                (also ValueError) training options that cannot work together
 ├── CalibrationError           (also ValueError) resting faces that cannot calibrate a model
 ├── UnknownNameError           (also KeyError, ValueError) a name no registry holds: architecture, detector,
 │                              dataset kind (UnknownModelError is its former name)
 ├── PayloadTooLarge            (also ValueError) a request body or image over the server's limit
 ├── BodyTooSlow                (also TimeoutError) a request body slower than the server's limit
 ├── FetchError                 (also ValueError) an image URL refused or not fetched within the limits
 ├── UnknownStory               (also LookupError) no story of that name on the server
 ├── SourceError                (also ValueError) a video file, camera or URL that cannot be opened
 ├── StoryError                 (also ValueError) a story file that cannot be played
 └── MissingExtraError          (also ImportError) an optional dependency is not installed
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from types import ModuleType


class EmopyError(Exception):
    """Root of every error emopy raises on purpose."""


class UnknownEmotionError(EmopyError, ValueError):
    """An emotion name that is neither canonical nor a known alias."""


class DataError(EmopyError, ValueError):
    """A dataset file or folder that cannot be loaded as asked."""


class ModelFileError(EmopyError, ValueError):
    """A model file that is missing, unreadable or lacks the metadata emopy needs."""


class ImageDecodeError(EmopyError, ValueError):
    """Input that cannot be decoded into an image."""


class DecodeTimeout(EmopyError, TimeoutError):
    """An image whose decoding took longer than the server's deadline (the decoder was stopped)."""


class ConfigError(EmopyError, ValueError):
    """Training options that are unknown or contradict an existing run."""


class CalibrationError(EmopyError, ValueError):
    """Per-viewer calibration input without a usable face (no images, no face found)."""


class UnknownNameError(EmopyError, KeyError, ValueError):
    """A name that its registry (architectures, detectors, dataset kinds) does not hold; says the closest ones."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


UnknownModelError = UnknownNameError  # its name while only architectures had a registry


def did_you_mean(name: str, known: Sequence[str], n: int = 3) -> str:
    """ "; did you mean a, b?" with the names in `known` closest to `name`, or "" (every unknown-name message)."""
    close = difflib.get_close_matches(name, list(known), n=n, cutoff=0.4)
    return f"; did you mean {', '.join(close)}?" if close else ""


def unknown_name(kind: str, name: str, known: Sequence[str]) -> UnknownNameError:
    """The error for a `kind` called `name` that is not among `known`: the closest names, then all of them."""
    return UnknownNameError(f"unknown {kind} {name!r}{did_you_mean(name, known)} (choose from: {', '.join(known)})")


class PayloadTooLarge(EmopyError, ValueError):
    """A request body or image over the configured size limit."""


class BodyTooSlow(EmopyError, TimeoutError):
    """A request body that did not arrive completely within the configured time."""


class FetchError(EmopyError, ValueError):
    """An image URL that is refused or cannot be fetched within the limits."""


class UnknownStory(EmopyError, LookupError):
    """No story of that name in the server's story folder."""


class SourceError(EmopyError, ValueError):
    """A video file, camera or URL that cannot be opened."""


class StoryError(EmopyError, ValueError):
    """A story file that cannot be played; the message names the field."""


class MissingExtraError(EmopyError, ImportError):
    """An optional dependency is not installed: an extra of emopy-fer, or `install` (what pip takes) for another."""

    def __init__(self, package: str, extra: str | None = None, *, install: str | None = None) -> None:
        install = install or f"'emopy-fer[{extra}]'"
        super().__init__(
            f"{package} is required for this feature but is not installed; install it with: pip install {install}"
        )


def require(module: str, extra: str) -> ModuleType:
    """Import `module` or raise MissingExtraError naming the extra that provides it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MissingExtraError(module, extra) from exc
