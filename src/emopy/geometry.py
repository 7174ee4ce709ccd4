"""Pixel geometry shared by detection, alignment and calibration: gray conversion, anti-aliased affine crops."""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np


def to_gray(image: np.ndarray) -> np.ndarray:
    """uint8 H x W gray from gray or BGR."""
    return image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def warp_crop(image: np.ndarray, m: np.ndarray, size: int, border: int = cv2.BORDER_REPLICATE) -> np.ndarray:
    """Apply the 2x3 affine `m` (image -> output pixels) into a size x size output, anti-aliased when shrinking."""
    m = np.asarray(m, np.float64).copy()
    scale = math.sqrt(abs(np.linalg.det(m[:, :2])))
    if scale < 0.5:  # shrink the source region with INTER_AREA first, then warp at about 2x -> 1x
        inv = cv2.invertAffineTransform(m)
        corners = np.array([[0, 0, 1], [size, 0, 1], [0, size, 1], [size, size, 1]], np.float64) @ inv.T
        h, w = image.shape[:2]
        x0, y0 = np.clip(np.floor(corners.min(0)).astype(int) - 2, 0, [w, h])
        x1, y1 = np.clip(np.ceil(corners.max(0)).astype(int) + 2, 0, [w, h])
        if x1 > x0 and y1 > y0:
            f = min(1.0, 2 * scale)
            sub = image[y0:y1, x0:x1]
            image = cv2.resize(
                sub, (max(1, round(sub.shape[1] * f)), max(1, round(sub.shape[0] * f))), interpolation=cv2.INTER_AREA
            )
            fx, fy = image.shape[1] / sub.shape[1], image.shape[0] / sub.shape[0]
            # output = m @ [p, 1] with p = (q / f) + (x0, y0) for q in the shrunk sub-image
            m = np.column_stack([m[:, 0] / fx, m[:, 1] / fy, m[:, :2] @ [x0, y0] + m[:, 2]])
    return cv2.warpAffine(image, m, (size, size), flags=cv2.INTER_LINEAR, borderMode=border)


def largest(boxes: Sequence[Sequence[float]]) -> int:
    """Index of the largest (x, y, w, h) box: the viewer, in a one-viewer setting."""
    return int(np.argmax([b[2] * b[3] for b in boxes]))
