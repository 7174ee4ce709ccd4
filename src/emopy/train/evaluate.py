"""Evaluate an exported model on a dataset through the prediction runtime (onnxruntime)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from ..data import load_dataset
from ..data.dataset import Dataset, resolve_split
from ..emotions import resolve_many, subset_indices
from ..errors import require
from ..predict.runtime import Classifier


def score(y_true: np.ndarray, y_pred: np.ndarray, labels: list[str]) -> dict:
    """Accuracy, macro F1, confusion matrix (rows true, columns predicted), per-class P/R."""
    metrics = require("sklearn.metrics", "train")
    ids = list(range(len(labels)))
    p, r, f, support = metrics.precision_recall_fscore_support(y_true, y_pred, labels=ids, zero_division=0)
    return {
        "accuracy": float(metrics.accuracy_score(y_true, y_pred)) if len(y_true) else 0.0,
        # over the classes present in the data: a class the data lacks (neutral in CK+) is not scored as F1 0
        "macro_f1": float(metrics.f1_score(y_true, y_pred, labels=sorted(set(np.asarray(y_true).tolist())) or ids,
                                           average="macro", zero_division=0)),
        "n": int(len(y_true)),
        "labels": labels,
        "confusion_matrix": metrics.confusion_matrix(y_true, y_pred, labels=ids).tolist(),
        "per_class": {lab: {"precision": round(float(p[i]), 4), "recall": round(float(r[i]), 4), "f1": round(float(f[i]), 4),
                            "support": int(support[i])} for i, lab in enumerate(labels)},
    }


def evaluate_dataset(clf: Classifier, ds: Dataset, emotions=None, tta: bool = False) -> dict:
    """Score `clf` on every image of `ds` whose label the model (or `emotions`) covers."""
    labels = resolve_many(emotions) if emotions else list(clf.labels)
    cols = subset_indices(clf.labels, labels)
    covered = np.array([name in labels for name in ds.label_names])
    keep = covered[ds.labels]
    excluded = Counter(ds.label_names[i] for i in ds.labels[~keep])
    truth = np.array([labels.index(ds.label_names[i]) for i in ds.labels[keep]], np.int64)
    probs = clf.predict_proba(ds.images[keep], tta=tta)[:, cols] if keep.any() else np.zeros((0, len(labels)))
    pred = probs.argmax(1) if len(probs) else np.zeros(0, np.int64)
    out = score(truth, pred, labels)
    out["excluded"] = {"n": int((~keep).sum()), "by_label": dict(excluded)}
    return out


def card_metrics(clf: Classifier, val: Dataset | None, test: Dataset | None) -> tuple[dict, dict | None]:
    """The metrics a model card carries (val, test, test with flip TTA) and the full test result."""
    metrics, full = {}, None
    for key, ds in (("val", val), ("test", test)):
        if ds is not None and len(ds):
            m = evaluate_dataset(clf, ds)
            metrics[key] = {"accuracy": round(m["accuracy"], 4), "macro_f1": round(m["macro_f1"], 4), "n": m["n"]}
            if key == "test":
                full = m
                metrics["test_flip_tta"] = {"accuracy": round(evaluate_dataset(clf, ds, tta=True)["accuracy"], 4), "n": m["n"]}
    return metrics, full


def evaluate(model: str | Path, data: str | Path, *, ferplus_labels=None, split: str | None = None, emotions=None,
             tta: bool = False) -> dict:
    """`emopy evaluate`: load data (one split; PrivateTest by default), run the ONNX model, score."""
    clf = Classifier(model)
    ds = load_dataset(data, ferplus_labels=ferplus_labels, frames=clf.card.frames or 3)
    used_split = None
    if ds.split is not None:
        used_split = resolve_split(split or "PrivateTest")  # report "PublicTest" when asked for "valid"
        ds = ds.select_split(used_split)
    out = evaluate_dataset(clf, ds, emotions, tta)
    out.update({"model": str(clf.path), "model_name": clf.card.name, "data": str(data), "split": used_split, "tta": tta})
    return out
