"""Hostile and unusual image files: headers claiming huge sizes in every format, trailers after the image, EXIF."""

from __future__ import annotations

import io
import zlib
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


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + (len(payload) + 2).to_bytes(2, "big") + payload


def scan_bomb(scans: int, size: int = 7000) -> bytes:
    """A progressive gray JPEG, size x size, of `scans` empty scans: 10 bytes each on the wire, but each one a pass
    over every block for the decoder (20,000 at 7000 x 7000: ~200 KB, ~80 s to decode)."""
    one_code = bytes([1] + [0] * 15) + b"\x00"  # a Huffman table of one 1-bit code for symbol 0
    head = (
        b"\xff\xd8"
        + _segment(0xDB, b"\x00" + bytes([1] * 64))  # quantization table 0
        + _segment(0xC2, b"\x08" + size.to_bytes(2, "big") * 2 + b"\x01\x01\x11\x00")  # SOF2: 1 component
        + _segment(0xC4, b"\x00" + one_code + b"\x10" + one_code)  # DC and AC tables 0
    )
    dc = _segment(0xDA, b"\x01\x01\x00\x00\x00\x00")  # the DC scan: spectral range 0..0
    ac = _segment(0xDA, b"\x01\x01\x00\x01\x3f\x00")  # an AC scan: 1..63, no data follows
    return head + dc + ac * (scans - 1) + b"\xff\xd9"


def bilevel_png(size: int = 7000) -> bytes:
    """A black 1-bit PNG, size x size: ~6 KB on the wire, 3 bytes per pixel once decoded to BGR."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    rows = (b"\x00" + bytes((size + 7) // 8)) * size  # filter byte 0, then the row's bits
    header = size.to_bytes(4, "big") * 2 + bytes([1, 0, 0, 0, 0])  # bit depth 1, gray
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


@lru_cache(maxsize=1)
def jpeg2000_bomb() -> bytes:
    """An ~800-byte colour JPEG 2000 of 7000 x 7000 black pixels: OpenJPEG needs ~720 MB to decode it."""
    buf = io.BytesIO()
    Image.new("RGB", (7000, 7000)).save(buf, "JPEG2000", tile_size=(7000, 7000))
    return buf.getvalue()
