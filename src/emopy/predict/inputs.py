"""Turn whatever a user passes (path, bytes, numpy array, PIL image) into a uint8 BGR or gray array."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import ImageDecodeError
from ..imageio import MAX_PIXELS, decode_image, read_image

CHANNELS = ("bgr", "rgb")


def _from_array(a: np.ndarray, channels: str) -> np.ndarray:
    """Check and normalise an array: gray H x W (or H x W x 1), colour H x W x 3/4 in `channels` order."""
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (3, 4)):
        raise ImageDecodeError(
            f"array of shape {a.shape} is not an image: expected H x W (gray) or H x W x 3/4 (colour)"
        )
    if a.shape[0] < 1 or a.shape[1] < 1:
        raise ImageDecodeError(f"array of shape {a.shape} has no pixels")
    if a.shape[0] * a.shape[1] > MAX_PIXELS:
        raise ImageDecodeError(
            f"array of {a.shape[1]}x{a.shape[0]} pixels is over the limit of {MAX_PIXELS} (EMOPY_MAX_PIXELS)"
        )
    if a.dtype == np.bool_:
        a = a.astype(np.uint8) * 255
    elif a.dtype == np.uint16:
        a = (a >> 8).astype(np.uint8)
    elif np.issubdtype(a.dtype, np.floating):
        if not np.isfinite(a).all():
            raise ImageDecodeError("array has NaN or infinite values")
        a = np.clip(a * 255 if a.max() <= 1.0 else a, 0, 255).round().astype(np.uint8)
    elif a.dtype != np.uint8:
        if a.min() < 0 or a.max() > 255:
            raise ImageDecodeError(f"{a.dtype} array has values outside 0..255")
        a = a.astype(np.uint8)
    if a.ndim == 3:
        a = a[:, :, :3]
        if channels == "rgb":
            a = a[:, :, ::-1]
    return np.ascontiguousarray(a)


def _from_pil(img) -> np.ndarray:
    w, h = img.size
    if w * h > MAX_PIXELS:
        raise ImageDecodeError(f"PIL image of {w}x{h} pixels is over the limit of {MAX_PIXELS} (EMOPY_MAX_PIXELS)")
    try:
        gray = img.mode in ("L", "I", "I;16", "F", "1")
        a = np.asarray(img.convert("L" if gray else "RGB"))
    except Exception as exc:  # PIL decodes lazily: truncated files fail here
        raise ImageDecodeError(f"PIL image cannot be read ({exc})") from None
    return _from_array(a, "rgb")


def load_image(source, *, channels: str = "bgr") -> np.ndarray:
    """uint8 BGR (H x W x 3) or gray (H x W) from a path, encoded bytes, a numpy array or a PIL image.

    `channels` says how to read 3/4-channel numpy arrays: "bgr" (as OpenCV gives) or "rgb" (PIL, matplotlib).
    """
    if channels not in CHANNELS:
        raise ValueError(f"channels must be 'bgr' or 'rgb', not {channels!r}")
    if isinstance(source, (str, os.PathLike)):
        return read_image(Path(source))
    if isinstance(source, (bytes, bytearray, memoryview)):
        return decode_image(bytes(source))
    if isinstance(source, np.ndarray):
        return _from_array(source, channels)
    if hasattr(source, "convert") and hasattr(source, "size") and hasattr(source, "mode"):
        return _from_pil(source)
    raise TypeError(
        f"cannot read an image from {type(source).__name__}; give a path, bytes, a numpy array or a PIL image"
    )
