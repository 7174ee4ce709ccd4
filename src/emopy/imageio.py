"""Decoding image files and bytes into numpy arrays, refusing bad data with a clear reason.

Used by the dataset loaders, by prediction (Python, CLI, batch) and by the server, so a truncated,
oversized or bogus file is treated the same way everywhere.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from .errors import ImageDecodeError
from .pixels import MAX_PIXELS

FORMATS = (
    "JPEG",
    "PNG",
    "GIF",
    "BMP",
    "WEBP",
    "TIFF",
    "PPM",
    "JPEG2000",
)  # Pillow reads their headers, OpenCV decodes them
_SCAN_END = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")  # in entropy-coded JPEG data: a marker, not stuffing or a restart
MAX_JPEG_SCANS = 500  # libjpeg-turbo's advice: progressive JPEGs of thousands of empty scans take minutes to decode
UNREADABLE = "not a readable image (unknown format or corrupt data)"  # what OpenCV's failure to decode says


def _png_complete(data: bytes) -> bool:
    """Whether the PNG's chunks reach IEND; bytes after it are allowed."""
    i = 8
    while i + 12 <= len(data):
        length, kind = int.from_bytes(data[i : i + 4], "big"), data[i + 4 : i + 8]
        i += 12 + length
        if kind == b"IEND":
            return i <= len(data)
    return False


def _jpeg_scans(data: bytes) -> int | None:
    """How many scans the JPEG holds, or None when its segments and scans end before the end-of-image marker (bytes
    after it are allowed)."""
    i, scans = 2, 0
    while i + 2 <= len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xD9:
            return scans
        if marker == 0xFF or marker == 0x01 or 0xD0 <= marker <= 0xD7:  # fill byte, or a marker without a length
            i += 1 if marker == 0xFF else 2
            continue
        i += 2 + int.from_bytes(data[i + 2 : i + 4], "big")
        if marker == 0xDA:  # start of scan: skip the entropy-coded data up to the next real marker
            scans += 1
            end = _SCAN_END.search(data, i)
            if end is None:
                return None
            i = end.start()
    return None


def _check_complete(data: bytes) -> None:
    """Refuse PNG and JPEG files that end before their end marker (OpenCV decodes those silently), and JPEGs of more
    scans than MAX_JPEG_SCANS."""
    if data.startswith(b"\x89PNG") and not _png_complete(data):
        raise ImageDecodeError("truncated PNG: the IEND chunk is missing")
    if data.startswith(b"\xff\xd8"):
        scans = _jpeg_scans(data)
        if scans is None:
            raise ImageDecodeError("truncated JPEG: the end-of-image marker is missing")
        if scans > MAX_JPEG_SCANS:
            raise ImageDecodeError(
                f"JPEG has {scans} scans, over the limit of {MAX_JPEG_SCANS} (a decoding bomb: each scan is a pass "
                "over the whole image; real photos have a few dozen at most)"
            )


def image_size(data: bytes) -> tuple[int, int]:
    """Width and height from the header (Pillow's lazy open, no pixels decoded); refuses unknown formats."""
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as img:
            return img.size
    except Image.DecompressionBombError as exc:  # Pillow's own cap (2 x its MAX_IMAGE_PIXELS), far above ours
        raise ImageDecodeError(f"image is over the limit of pixels Pillow will open: {exc}") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ImageDecodeError(
            f"not a readable image (unknown format or corrupt header; accepted: {', '.join(FORMATS)})"
        ) from exc


def check_image(data: bytes, *, max_pixels: int = MAX_PIXELS) -> tuple[int, int]:
    """Width and height of encoded image bytes, from their header and markers alone (nothing decoded).

    Raises ImageDecodeError naming the problem: empty, truncated, too many pixels or JPEG scans, or not an image.
    """
    if not data:
        raise ImageDecodeError("empty input: 0 bytes")
    _check_complete(data)
    width, height = image_size(data)
    if width * height > max_pixels:
        raise ImageDecodeError(
            f"image has {width}x{height} pixels, over the limit of {max_pixels} "
            "(possible decompression bomb; raise EMOPY_MAX_PIXELS if this is intended)"
        )
    return width, height


def decode_image(data: bytes, *, gray: bool = False, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Decode encoded image bytes to uint8 (H x W if gray, else H x W x 3 BGR), once `check_image` passes."""
    check_image(data, max_pixels=max_pixels)
    flag = cv2.IMREAD_GRAYSCALE if gray else cv2.IMREAD_COLOR
    try:
        img = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), flag)
    except cv2.error:  # OpenCV's own pixel cap (OPENCV_IO_MAX_IMAGE_PIXELS), or a decoder that gave up
        img = None
    if img is None:
        raise ImageDecodeError(UNREADABLE)
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
