"""Fixed image features for the classical baselines: HOG, and embeddings of a shipped FER backbone."""

from __future__ import annotations

import numpy as np

from ..errors import require


def hog_features(images: np.ndarray, cell: int = 8, orientations: int = 9) -> np.ndarray:
    """N x D histogram-of-oriented-gradients features of 48x48 grayscale faces (2x2-cell blocks)."""
    feature = require("skimage.feature", "train")
    return np.stack(
        [
            feature.hog(
                im,
                orientations=orientations,
                pixels_per_cell=(cell, cell),
                cells_per_block=(2, 2),
                block_norm="L2-Hys",
                feature_vector=True,
            )
            for im in images
        ]
    ).astype(np.float32)


class Embedder:
    """Global-pooled penultimate features of a trained vgg_small backbone (a shipped model's ONNX hides them).

    `weights`: a shipped model name, an exported .onnx or a run's best-*.pt; faces are centre-cropped
    and normalised as in training (the backbone architecture's InputConfig).
    """

    def __init__(self, weights: str = "default", backbone: str = "vgg_small", threads: int = 0):
        torch = require("torch", "train")
        from ..models import model_info
        from ..models.transfer import TransferLearningNN

        if threads:
            torch.set_num_threads(threads)
        self.torch = torch
        self.net = TransferLearningNN(2, backbone=backbone, weights=weights).backbone.eval()
        self.input = cfg = model_info(backbone).input
        self.window = slice((cfg.image_size - cfg.input_size) // 2, (cfg.image_size + cfg.input_size) // 2)

    def __call__(self, images: np.ndarray, batch: int = 512) -> np.ndarray:
        """N x F float32 features."""
        out = []
        with self.torch.no_grad():
            for i in range(0, len(images), batch):
                crops = images[i : i + batch, self.window, self.window].astype(np.float32)
                x = self.torch.from_numpy(crops[:, None]).div_(255.0).sub_(self.input.mean).div_(self.input.std)
                out.append(self.net.forward_features(x).numpy())
        return np.concatenate(out) if out else np.zeros((0, self.net.num_features), np.float32)
