"""Decoding image files and bytes into numpy arrays, refusing bad data with a clear reason.

Used by the dataset loaders and by prediction, so a truncated or bogus file is treated the
same way everywhere.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import cv2
import numpy as np

from .errors import ImageDecodeError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff", ".pgm", ".ppm")
MAX_PIXELS = int(os.environ.get("EMOPY_MAX_PIXELS", 64_000_000))


def _check_complete(data: bytes) -> None:
    """Refuse PNG and JPEG files that end before their end marker (OpenCV decodes those silently)."""
    if data.startswith(b"\x89PNG") and b"IEND" not in data[-64:]:
        raise ImageDecodeError("truncated PNG: the IEND chunk is missing")
    if data.startswith(b"\xff\xd8") and b"\xff\xd9" not in data[-64:]:
        raise ImageDecodeError("truncated JPEG: the end-of-image marker is missing")


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from a PNG, JPEG, GIF or WebP header without decoding, or None if unknown."""
    if data.startswith(b"\x89PNG") and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP" and len(data) >= 30:
        chunk = data[12:16]
        if chunk == b"VP8X":  # 24-bit canvas size minus one
            return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
        if chunk == b"VP8L":  # 14-bit sizes minus one, packed after the 0x2f signature byte
            bits = int.from_bytes(data[21:25], "little")
            return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
        if chunk == b"VP8 ":
            return int.from_bytes(data[26:28], "little") & 0x3FFF, int.from_bytes(data[28:30], "little") & 0x3FFF
    if data.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
                h = int.from_bytes(data[i + 5 : i + 7], "big")
                w = int.from_bytes(data[i + 7 : i + 9], "big")
                return w, h
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                i += 2
                continue
            i += 2 + int.from_bytes(data[i + 2 : i + 4], "big")
    return None


def decode_image(data: bytes, *, gray: bool = False, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Decode encoded image bytes to uint8 (H x W if gray, else H x W x 3 BGR).

    Raises ImageDecodeError naming the problem: empty, truncated, too many pixels, or not an image.
    """
    if not data:
        raise ImageDecodeError("empty input: 0 bytes")
    _check_complete(data)
    size = image_size(data)
    if size is not None and size[0] * size[1] > max_pixels:
        raise ImageDecodeError(
            f"image has {size[0]}x{size[1]} pixels, over the limit of {max_pixels} "
            "(possible decompression bomb; raise EMOPY_MAX_PIXELS if this is intended)"
        )
    flag = cv2.IMREAD_GRAYSCALE if gray else cv2.IMREAD_COLOR
    img = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), flag)
    if img is None:
        raise ImageDecodeError("not a readable image (unknown format or corrupt data)")
    if img.shape[0] * img.shape[1] > max_pixels:
        raise ImageDecodeError(f"image has {img.shape[1]}x{img.shape[0]} pixels, over {max_pixels}")
    return img


def read_image(path: str | os.PathLike, *, gray: bool = False) -> np.ndarray:
    """Read and decode an image file; errors name the file."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImageDecodeError(f"{path}: cannot read file ({exc.strerror or exc})") from exc
    try:
        return decode_image(data, gray=gray)
    except ImageDecodeError as exc:
        raise ImageDecodeError(f"{path}: {exc}") from None


def natural_key(path: Path) -> list:
    """Sort key that orders frame2 before frame10."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", path.name)]


def list_images(folder: Path) -> list[Path]:
    """Image files directly inside `folder`, in natural name order (frame2 before frame10)."""
    return sorted((p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES), key=natural_key)
