"""EmoPy: facial expression recognition.

The public surface is `__all__`; heavy parts (PyTorch for training) load only when used.
"""

from __future__ import annotations

from importlib import import_module

from . import pixels  # noqa: F401  (first: sets OpenCV's pixel cap before anything imports cv2)
from ._version import __version__
from .emotions import EMOTIONS, resolve
from .errors import (
    BodyTooSlow,
    CalibrationError,
    ConfigError,
    DataError,
    DecodeTimeout,
    EmopyError,
    FetchError,
    ImageDecodeError,
    MissingExtraError,
    ModelFileError,
    PayloadTooLarge,
    SourceError,
    StoryError,
    UnknownEmotionError,
    UnknownModelError,
    UnknownNameError,
    UnknownStory,
)

_LAZY = {
    "FERModel": "emopy.predict",
    "load_dataset": "emopy.data",
    "Dataset": "emopy.data",
    "create_model": "emopy.models",
    "list_models": "emopy.models",
    "list_pretrained": "emopy.cards",
}

__all__ = [
    "EMOTIONS",
    "BodyTooSlow",
    "CalibrationError",
    "ConfigError",
    "DataError",
    "Dataset",
    "DecodeTimeout",
    "EmopyError",
    "FERModel",
    "FetchError",
    "ImageDecodeError",
    "MissingExtraError",
    "ModelFileError",
    "PayloadTooLarge",
    "SourceError",
    "StoryError",
    "UnknownEmotionError",
    "UnknownModelError",
    "UnknownNameError",
    "UnknownStory",
    "__version__",
    "create_model",
    "list_models",
    "list_pretrained",
    "load_dataset",
    "resolve",
]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'emopy' has no attribute {name!r}")
