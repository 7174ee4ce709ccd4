"""Shared row steps: load (and slice) the data once, train a row through `emopy.train`, score ONNX files."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from ..data import load_dataset
from ..data.dataset import Dataset
from .plan import Settings

METRIC_KEYS = ("accuracy", "macro_f1", "n", "labels", "confusion_matrix", "per_class", "excluded")


@lru_cache(maxsize=4)
def _load(path: str) -> Dataset:
    return load_dataset(path)


def fer_split(settings: Settings, split: str, emotions=None) -> Dataset:
    """One FER2013 split (restricted to `emotions`), its first `limit` images when a limit is set."""
    ds = _load(str(settings.fer2013))
    ds = (ds.subset(emotions) if emotions else ds).select_split(split)
    return ds.take(slice(0, settings.limit)) if settings.limit else ds


def ckplus(settings: Settings) -> Dataset:
    """CK+48 whole (it has no splits and is small, so `limit` does not apply)."""
    return _load(str(settings.ckplus))


def keep(metrics: dict) -> dict:
    """The parts of an evaluation worth storing in a row."""
    return {k: metrics[k] for k in METRIC_KEYS if k in metrics}


def score_ckplus(clf, settings: Settings, labels: list[str]) -> dict:
    """CK+48 metrics over `labels` (its images of other classes are left out) and the labels it lacks."""
    from ..train.evaluate import evaluate_dataset

    ck = ckplus(settings)
    return {
        "ckplus": keep(evaluate_dataset(clf, ck, labels)),
        "ckplus_missing": [e for e in labels if e not in ck.label_names],
    }


def score_model(model: str | Path, settings: Settings, emotions=None, cross: bool = True) -> dict:
    """PublicTest, PrivateTest and (when `cross`) CK+48 metrics of an ONNX model over `emotions`."""
    from ..train.evaluate import evaluate_dataset

    clf = classifier(model, settings)
    labels = list(emotions or clf.labels)
    out = {
        "val": keep(evaluate_dataset(clf, fer_split(settings, "PublicTest", labels), labels)),
        "test": keep(evaluate_dataset(clf, fer_split(settings, "PrivateTest", labels), labels)),
    }
    return {**out, **score_ckplus(clf, settings, labels)} if cross else out


def classifier(model: str | Path, settings: Settings):
    """An onnxruntime classifier using the experiments' thread count."""
    from ..predict.runtime import Classifier

    return Classifier(model, threads=settings.threads or None)


def train_row(
    folder: Path,
    settings: Settings,
    arch: str,
    model_kwargs: dict | None = None,
    emotions=None,
    merges: dict[str, str] | None = None,
    **fields,
) -> dict:
    """Train one model with `emopy.train` (FER2013 Training -> PublicTest selection) and read its results;
    `fields` are further recipe fields by dotted name (`**{"regularisation.class_weights": "balanced"}`)."""
    from ..train.recipe import Recipe
    from ..train.run import train

    recipe = Recipe().with_values(
        {
            "data.path": str(settings.fer2013),
            "data.heads": ["fer2013"],
            "data.emotions": list(emotions) if emotions else None,
            "data.merges": merges or {},
            "data.limit": settings.limit,
            "model.arch": arch,
            "model.args": dict(model_kwargs or {}),
            "optimisation.epochs": settings.epochs,
            "optimisation.patience": settings.patience,
            "precision": settings.precision,
            "threads": settings.threads,
            **fields,
        }
    )
    result = train(recipe, folder)
    head = result["heads"]["fer2013"]
    test = json.loads(Path(head["onnx"]).with_suffix(".test.json").read_text())
    return {
        "onnx": head["onnx"],
        "val": head.get("val"),
        "test": keep(test),
        "arch": arch,
        "model_kwargs": recipe.model.args,
        "epochs_run": len(result["history"]),
        "train_s": round(sum(r["seconds"] for r in result["history"]), 1),
    }
