"""Images for the prediction tests, all made from the shipped public-domain example photo."""

from __future__ import annotations

import zlib
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

ASTRONAUT = Path(__file__).resolve().parents[1] / "src" / "emopy" / "assets" / "astronaut.jpg"
FACE_BOX = (180, 82, 94, 94)  # the face in astronaut.jpg (x, y, w, h), as the detectors find it


@lru_cache(maxsize=1)
def _astronaut() -> np.ndarray:
    img = cv2.imread(str(ASTRONAUT), cv2.IMREAD_COLOR)
    assert img is not None, ASTRONAUT
    return img


def astronaut() -> np.ndarray:
    """The example photo as BGR (512 x 512 x 3), a fresh copy."""
    return _astronaut().copy()


def face_patch(pad: float = 0.6) -> np.ndarray:
    """The astronaut's face with `pad` box sizes of context on each side (BGR)."""
    x, y, w, h = FACE_BOX
    p = int(pad * w)
    return astronaut()[max(0, y - p) : y + h + p, max(0, x - p) : x + w + p].copy()


def compose(n: int, size: tuple[int, int] = (960, 360)) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """A gray frame with `n` face patches side by side; returns it and the pasted rectangles."""
    w, h = size
    frame = np.full((h, w, 3), 90, np.uint8)
    patch = face_patch()
    ph, pw = patch.shape[:2]
    step = w // n
    rects = []
    for i in range(n):
        x, y = i * step + (step - pw) // 2, (h - ph) // 2
        frame[y : y + ph, x : x + pw] = patch
        rects.append((x, y, pw, ph))
    return frame, rects


def rotate(image: np.ndarray, angle: float, centre: tuple[float, float]) -> np.ndarray:
    """`image` rotated by `angle` degrees (counter-clockwise, as cv2) about `centre`, borders replicated."""
    m = cv2.getRotationMatrix2D(centre, angle, 1.0)
    return cv2.warpAffine(image, m, image.shape[1::-1], borderMode=cv2.BORDER_REPLICATE)


def encode(image: np.ndarray, ext: str = ".png") -> bytes:
    ok, buf = cv2.imencode(ext, image)
    assert ok
    return buf.tobytes()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height pixels (a decompression-bomb header, valid CRC)."""
    data = bytearray(encode(np.zeros((8, 8), np.uint8)))
    data[16:20], data[20:24] = width.to_bytes(4, "big"), height.to_bytes(4, "big")
    data[29:33] = zlib.crc32(bytes(data[12:29])).to_bytes(4, "big")
    return bytes(data)


def inside(box, rect) -> bool:
    """The centre of `box` lies inside `rect` (both x, y, w, h)."""
    cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
    return rect[0] <= cx <= rect[0] + rect[2] and rect[1] <= cy <= rect[1] + rect[3]


def webp_claiming(width: int, height: int) -> bytes:
    """A tiny lossless WebP whose header claims width x height pixels (at most 16384 each)."""
    data = bytearray(encode(np.zeros((8, 8, 3), np.uint8), ".webp"))
    assert data[12:16] == b"VP8L"
    bits = int.from_bytes(data[21:25], "little") & ~0x0FFFFFFF | (width - 1) | (height - 1) << 14
    data[21:25] = bits.to_bytes(4, "little")
    return bytes(data)


def missing_device() -> str:
    """A `--device` name whose onnxruntime execution provider this install lacks (cuda on a CPU-only machine)."""
    import onnxruntime as ort

    from emopy.predict.runtime import DEVICES

    return next(n for n in ("cuda", "coreml", "directml", "rocm") if DEVICES[n] not in ort.get_available_providers())


def assert_device_refused(exit_code: int, output: str, device: str) -> None:
    """The CLI refused `device` at once: exit 2 and the one-line ConfigError naming what this install offers."""
    from emopy.predict.runtime import DEVICES

    line = f"error: execution provider {DEVICES[device]} is not available in this onnxruntime install; available: "
    assert exit_code == 2 and line in output and "cpu (CPUExecutionProvider)" in output, output
