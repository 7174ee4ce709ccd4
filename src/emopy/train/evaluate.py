"""Evaluate an exported model on a dataset through the prediction runtime (onnxruntime), and re-measure its card."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from ..cards import ModelCard, check_share, update_card
from ..data import load_dataset
from ..data.dataset import Dataset, resolve_split
from ..emotions import resolve_many, subset_indices
from ..errors import require
from ..predict.runtime import Classifier, with_temperature


def score(y_true: np.ndarray, y_pred: np.ndarray, labels: list[str]) -> dict:
    """Accuracy, macro F1, confusion matrix (rows true, columns predicted), per-class P/R."""
    metrics = require("sklearn.metrics", "train")
    ids = list(range(len(labels)))
    p, r, f, support = metrics.precision_recall_fscore_support(y_true, y_pred, labels=ids, zero_division=0)
    return {
        "accuracy": float(metrics.accuracy_score(y_true, y_pred)) if len(y_true) else 0.0,
        # over the classes present in the data: a class the data lacks (neutral in CK+) is not scored as F1 0
        "macro_f1": float(
            metrics.f1_score(
                y_true, y_pred, labels=sorted(set(np.asarray(y_true).tolist())) or ids, average="macro", zero_division=0
            )
        ),
        "n": int(len(y_true)),
        "labels": labels,
        "confusion_matrix": metrics.confusion_matrix(y_true, y_pred, labels=ids).tolist(),
        "per_class": {
            lab: {
                "precision": round(float(p[i]), 4),
                "recall": round(float(r[i]), 4),
                "f1": round(float(f[i]), 4),
                "support": int(support[i]),
            }
            for i, lab in enumerate(labels)
        },
    }


def dataset_probs(clf: Classifier, ds: Dataset, emotions=None, tta: bool | str = False, calibrated: bool = True):
    """(labels, true indices, probabilities, kept mask) for every image of `ds` whose label the model (or
    `emotions`) covers."""
    labels = resolve_many(emotions) if emotions else list(clf.labels)
    cols = subset_indices(clf.labels, labels)
    covered = np.array([name in labels for name in ds.label_names])
    keep = covered[ds.labels]
    truth = np.array([labels.index(ds.label_names[i]) for i in ds.labels[keep]], np.int64)
    probs = (
        clf.predict_proba(ds.images[keep], tta=tta, calibrated=calibrated)[:, cols]
        if keep.any()
        else np.zeros((0, len(labels)))
    )
    if emotions:
        probs = probs / np.maximum(probs.sum(1, keepdims=True), 1e-12)
    return labels, truth, probs, keep


def evaluate_dataset(clf: Classifier, ds: Dataset, emotions=None, tta: bool | str = False) -> dict:
    """Score `clf` on every image of `ds` whose label the model (or `emotions`) covers."""
    labels, truth, probs, keep = dataset_probs(clf, ds, emotions, tta)
    pred = probs.argmax(1) if len(probs) else np.zeros(0, np.int64)
    out = score(truth, pred, labels)
    out["ece"] = round(calibration_error(probs, truth), 4)
    out["excluded"] = {"n": int((~keep).sum()), "by_label": dict(Counter(ds.label_names[i] for i in ds.labels[~keep]))}
    return out


def calibration_error(probs: np.ndarray, truth: np.ndarray, bins: int = 15) -> float:
    """Expected calibration error: |accuracy - confidence| over equal-width confidence bins, weighted by count."""
    if not len(probs):
        return 0.0
    conf, hit = probs.max(1), probs.argmax(1) == truth
    which = np.minimum((conf * bins).astype(int), bins - 1)
    return float(
        sum(
            abs(hit[which == b].mean() - conf[which == b].mean()) * (which == b).sum()
            for b in range(bins)
            if (which == b).any()
        )
        / len(probs)
    )


def fit_temperature(probs: np.ndarray, truth: np.ndarray) -> float:
    """The temperature minimising the negative log-likelihood of `truth` (grid 0.5..3, then refined)."""
    logp = np.log(np.maximum(probs, 1e-12))

    def nll(t: float) -> float:
        z = logp / t
        z = z - z.max(1, keepdims=True)
        return float(-(z[np.arange(len(z)), truth] - np.log(np.exp(z).sum(1))).mean())

    grid = np.arange(0.5, 3.0001, 0.05)
    best = grid[int(np.argmin([nll(t) for t in grid]))]
    fine = np.arange(best - 0.05, best + 0.0501, 0.005)
    return round(float(fine[int(np.argmin([nll(t) for t in fine]))]), 3)


def reference_logp(probs: np.ndarray, truth: np.ndarray, labels: list[str]) -> dict[str, list[float]]:
    """Population baselines: mean log-probabilities over all faces and over neutral ones (per-viewer calibration),
    and the log class prior of the labels (`FERModel(balance=...)`, add-one smoothed)."""
    logp = np.log(np.maximum(probs, 1e-12))
    counts = np.bincount(truth, minlength=len(labels)) + 1.0
    out = {
        "all": [round(float(v), 4) for v in logp.mean(0)],
        "prior": [round(float(v), 4) for v in np.log(counts / counts.sum())],
    }
    if "neutral" in labels and (truth == labels.index("neutral")).any():
        out["rest"] = [round(float(v), 4) for v in logp[truth == labels.index("neutral")].mean(0)]
    return out


def card_fields(
    clf: Classifier, val: Dataset | None, test: Dataset | None, balance: float = 0.0
) -> tuple[dict, dict | None]:
    """What a model card measures: metrics (val, test, test with flip TTA; ECE after calibration; with `balance`,
    accuracy under that prior correction), the temperature fitted on `val` and the per-viewer calibration reference;
    plus the full test result."""
    sets = {key: ds for key, ds in (("val", val), ("test", test)) if ds is not None and len(ds)}
    raw = {key: dataset_probs(clf, ds, calibrated=False) for key, ds in sets.items()}
    temperature, reference, metrics, full = 1.0, {}, {}, None
    if "val" in raw:
        labels, truth, probs, _ = raw["val"]
        temperature = fit_temperature(probs, truth)
        reference = reference_logp(with_temperature(probs, temperature), truth, labels)
    for key, (labels, truth, probs, _) in raw.items():
        m = score(truth, probs.argmax(1), labels)
        calibrated = with_temperature(probs, temperature)  # as the runtime gives them to FERModel
        metrics[key] = {
            "accuracy": round(m["accuracy"], 4),
            "macro_f1": round(m["macro_f1"], 4),
            "n": m["n"],
            "ece": round(calibration_error(calibrated, truth), 4),
            "ece_uncalibrated": round(calibration_error(probs, truth), 4),
        }
        if balance and "prior" in reference:  # what FERModel gives by default for a card with this balance
            adjusted = np.log(np.maximum(calibrated, 1e-12)) - balance * np.asarray(reference["prior"])
            metrics[f"{key}_balanced"] = {
                "accuracy": round(score(truth, adjusted.argmax(1), labels)["accuracy"], 4),
                "balance": balance,
                "n": m["n"],
            }
        if key == "test":
            full = m
            tta = dataset_probs(clf, sets[key], tta=True, calibrated=False)[2]
            metrics["test_flip_tta"] = {
                "accuracy": round(score(truth, tta.argmax(1), labels)["accuracy"], 4),
                "n": m["n"],
            }
    return {"metrics": metrics, "temperature": temperature, "reference": reference}, full


def measure_card(path: str | Path, val: Dataset | None = None, test: Dataset | None = None, balance=None) -> ModelCard:
    """Re-measure the card of the model file at `path` in place (`emopy measure`, quantisation, fusion): metrics,
    temperature, calibration reference; `balance` (0..1) sets the prior correction FERModel applies by default (None:
    keep the card's). Runs through onnxruntime only."""
    clf = Classifier(path)
    balance = clf.card.balance if balance is None else check_share(balance)
    fields = card_fields(clf, val, test, balance)[0] if val is not None or test is not None else {}
    return update_card(clf.path, balance=balance, **fields)


def evaluate(
    model: str | Path,
    data: str | Path,
    *,
    ferplus_labels=None,
    split: str | None = None,
    emotions=None,
    tta: bool | str = False,
) -> dict:
    """`emopy evaluate`: load data (one split; PrivateTest by default), run the ONNX model, score."""
    clf = Classifier(model)
    ds = load_dataset(data, ferplus_labels=ferplus_labels, frames=clf.card.frames or 3)
    used_split = None
    if ds.split is not None:
        used_split = resolve_split(split or "PrivateTest")  # report "PublicTest" when asked for "valid"
        ds = ds.select_split(used_split)
    out = evaluate_dataset(clf, ds, emotions, tta)
    out.update(
        {"model": str(clf.path), "model_name": clf.card.name, "data": str(data), "split": used_split, "tta": tta}
    )
    return out
