"""Hostile and unusual image files: headers claiming huge sizes in every format, trailers after the image, EXIF."""

from __future__ import annotations

import io
from functools import lru_cache

import numpy as np
from PIL import Image

from _predict_helpers import ASTRONAUT, encode, png_claiming, webp_claiming


def _patched(data: bytes, at: int, *values: tuple[int, int, str]) -> bytes:
    """`data` with integers written from offset `at` on: (value, size, byte order) each."""
    out = bytearray(data)
    for value, size, order in values:
        out[at : at + size] = value.to_bytes(size, order)
        at += size
    return bytes(out)


def _jpeg_claiming(width: int, height: int) -> bytes:
    data = encode(np.zeros((8, 8, 3), np.uint8), ".jpg")
    sof = data.index(b"\xff\xc0")
    return _patched(data, sof + 5, (height, 2, "big"), (width, 2, "big"))


def _gif_claiming(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    Image.new("L", (8, 8)).save(buf, "GIF")
    return _patched(buf.getvalue(), 6, (width, 2, "little"), (height, 2, "little"))


def claiming(fmt: str, width: int, height: int) -> bytes:
    """A tiny file of format `fmt` whose header claims width x height pixels."""
    makers = {
        "PNG": png_claiming,
        "WEBP": webp_claiming,
        "JPEG": _jpeg_claiming,
        "GIF": _gif_claiming,
        "BMP": lambda w, h: _patched(
            encode(np.zeros((8, 8, 3), np.uint8), ".bmp"), 18, (w, 4, "little"), (h, 4, "little")
        ),
        "PPM": lambda w, h: b"P6\n%d %d\n255\n" % (w, h) + bytes(192),
    }
    return makers[fmt](width, height)


@lru_cache(maxsize=1)
def tiff_bomb() -> bytes:
    """A ~210 KB deflate TIFF of 12000 x 12000 black pixels: 144 MP, ~430 MB once decoded to BGR."""
    buf = io.BytesIO()
    Image.new("L", (12000, 12000)).save(buf, "TIFF", compression="tiff_adobe_deflate")
    return buf.getvalue()


def with_trailer(data: bytes) -> bytes:
    """An image followed by other data, as in phone motion photos (a JPEG, then an MP4)."""
    return data + b"\xff\xd8\xff\xd9 stray markers\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(4096)


def exif_jpeg(marker: str) -> bytes:
    """The example photo as a JPEG carrying EXIF: `marker` as its description and a GPS position."""
    exif = Image.Exif()
    exif[0x010E] = marker  # ImageDescription
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)}  # GPSInfo: latitude, longitude
    buf = io.BytesIO()
    Image.open(ASTRONAUT).save(buf, "JPEG", exif=exif, quality=90)
    return buf.getvalue()
