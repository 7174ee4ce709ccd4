"""Classical baselines on the 7 FER2013 classes: fixed features + linear SVM (C chosen on PublicTest)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from ..errors import require
from ..train.evaluate import score
from .features import Embedder, hog_features
from .plan import Settings
from .scoring import fer_split, keep
from .store import Row

C_GRID = (0.001, 0.01, 0.1)  # larger C overfits HOG here and takes liblinear many minutes to converge
METHODS = ("hog-svm", "cnn-embedding-svm")
Featurizer = Callable[[np.ndarray], np.ndarray]  # face crops in, one feature row per face out


class Predictor(Protocol):
    """A fitted classifier (here an sklearn pipeline): labels for rows of features."""

    def predict(self, x: np.ndarray) -> np.ndarray: ...


def fit_svm(
    train: tuple[np.ndarray, np.ndarray], val: tuple[np.ndarray, np.ndarray], grid: Sequence[float] = C_GRID
) -> tuple[Predictor, dict]:
    """Standardised features + LinearSVC, the C with the best PublicTest accuracy; (model, {C: val acc})."""
    sk_pipe, sk_pre, sk_svm = (
        require(m, "train") for m in ("sklearn.pipeline", "sklearn.preprocessing", "sklearn.svm")
    )
    best: tuple[float, Predictor] | None = None
    tried: dict[float, float] = {}
    for c in grid:
        model = sk_pipe.make_pipeline(sk_pre.StandardScaler(), sk_svm.LinearSVC(C=c, dual="auto", max_iter=5000))
        model.fit(*train)
        tried[c] = float((model.predict(val[0]) == val[1]).mean()) if len(val[1]) else 0.0
        if best is None or tried[c] > tried[best[0]]:
            best = (c, model)
    if best is None:
        raise ValueError("fit_svm needs at least one C in its grid")
    return best[1], {"chosen_C": best[0], "val_accuracy_by_C": tried}


def svm_row(make_featurizer: Callable[[], Featurizer], settings: Settings) -> Callable[[Path], dict]:
    """A row: features of Training / PublicTest / PrivateTest, SVM fit and selection, PrivateTest scores."""

    def go(folder: Path) -> dict:
        featurize = make_featurizer()
        parts = {s: fer_split(settings, s) for s in ("Training", "PublicTest", "PrivateTest")}
        feats = {s: (featurize(ds.images), ds.labels) for s, ds in parts.items()}
        model, chosen = fit_svm(feats["Training"], feats["PublicTest"])
        labels = list(parts["PrivateTest"].label_names)
        pred = {s: model.predict(feats[s][0]) for s in ("PublicTest", "PrivateTest")}
        return {
            "val": keep(score(feats["PublicTest"][1], pred["PublicTest"], labels)),
            "test": keep(score(feats["PrivateTest"][1], pred["PrivateTest"], labels)),
            "feature_dim": int(feats["Training"][0].shape[1]),
            **chosen,
        }

    return go


def plan_baselines(out: Path, settings: Settings, methods: list[str], backbone: str = "default") -> list[Row]:
    """The HOG and CNN-embedding SVM rows; `backbone` is a shipped model name or a vgg_small checkpoint/ONNX file."""
    featurizers: dict[str, tuple[Callable[[], Featurizer], str, dict[str, str]]] = {
        "hog-svm": (lambda: hog_features, "HOG (8x8 cells, 9 orientations) + linear SVM", {}),
        "cnn-embedding-svm": (
            lambda: Embedder(backbone, threads=settings.threads),
            f"vgg_small features of {Path(backbone).name} + linear SVM",
            {"backbone": str(backbone)},
        ),
    }
    rows = []
    for method in methods:
        make, label, extra = featurizers[method]
        rows.append(
            Row(
                f"baselines {method}",
                out / "baselines" / method,
                {"limit": settings.limit, **extra},
                svm_row(make, settings),
                {"method": label, "kind": method},
            )
        )
    return rows
