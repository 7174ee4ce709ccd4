"""Face alignment: rotate so the eyes are level, crop the training framing plus margin, grayscale, resize.

Training crops (FER2013) are upright, tight face squares; `align_face` turns a detection into the
same kind of square so that inference sees what training saw. One affine warp does rotation, crop
and resize; large faces are first shrunk with area averaging so the small crop is not aliased.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from ..geometry import to_gray, warp_crop
from .detect.base import Detection


def eye_angle(detection: Detection) -> float:
    """Degrees to rotate the image (counter-clockwise positive, as cv2) so the eyes are level; 0 without eyes."""
    eyes = detection.eyes()
    if eyes is None:
        return 0.0
    (x1, y1), (x2, y2) = eyes
    return math.degrees(math.atan2(y2 - y1, x2 - x1))


# The training-crop centre sits this share of the box side above the middle of (eye centre, mouth centre),
# along the face's vertical axis (benchmarks/detection.py: 0.098 on CK+48, 0.084 on FER2013 pastes).
CENTRE_SHIFT = 0.09


def face_centre(detection: Detection) -> tuple[float, float]:
    """Crop centre: from eyes and mouth when the detector gives them (stable under rotation), else the box centre."""
    x, y, w, h = detection.box
    eyes, mouth = detection.eyes(), detection.mouth()
    if eyes is None or mouth is None:
        return x + w / 2, y + h / 2
    (x1, y1), (x2, y2) = eyes
    mid_x, mid_y = ((x1 + x2) / 2 + mouth[0]) / 2, ((y1 + y2) / 2 + mouth[1]) / 2
    t = math.atan2(y2 - y1, x2 - x1)
    shift = CENTRE_SHIFT * max(w, h)
    return mid_x + shift * math.sin(t), mid_y - shift * math.cos(t)


def face_transform(detection: Detection, margin: float, size: int, *, rotate: bool = True) -> np.ndarray:
    """2x3 affine taking image pixels to the size x size aligned crop of this face."""
    x, y, w, h = detection.box
    side = max(w, h) * (1 + 2 * margin)
    centre = face_centre(detection) if rotate else (x + w / 2, y + h / 2)
    m: np.ndarray = cv2.getRotationMatrix2D(centre, eye_angle(detection) if rotate else 0.0, size / side)
    m[:, 2] += size / 2 - np.array(centre)
    return m


def align_face(
    image: np.ndarray, detection: Detection, *, margin: float = 0.0, size: int = 48, rotate: bool = True
) -> np.ndarray:
    """The size x size grayscale crop a model sees for this face: eyes level, box enlarged by `margin` each side."""
    return warp_crop(to_gray(image), face_transform(detection, margin, size, rotate=rotate), size)
