"""Test accuracy of single models and of their probability-averaged ensemble, with and without TTA.

Run: python benchmarks/bench_ensemble.py --models fer2013 runs/x/vgg_small.fer2013.onnx [--ferplus] [--split
PrivateTest] [--select] [--stack]
All models must share one label list; --ferplus scores on FER+ majority labels, else FER2013's. --select also picks
members greedily on PublicTest (forward selection with replacement, Caruana et al. 2004) and scores that mix on --split;
--stack fits a multinomial logistic regression on the members' log-probabilities on PublicTest (its strength by 5-fold
cross-validation there) and scores it on --split.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
from pathlib import Path

import numpy as np

from emopy.data import load_dataset
from emopy.predict.runtime import Classifier

HERE = Path(__file__).parent


def truth_of(ds, labels: list[str]) -> np.ndarray:
    return np.array([labels.index(ds.label_names[i]) for i in ds.labels])


def subsets(items) -> list[tuple]:
    """Every non-empty combination of `items`, smallest first (members to mix, scales to average)."""
    items = list(items)
    return [c for r in range(1, len(items) + 1) for c in itertools.combinations(items, r)]


def greedy(probs: list[np.ndarray], truth: np.ndarray, steps: int) -> list[int]:
    """Members (repeats allowed) added one at a time while the mix's accuracy on `truth` rises."""
    chosen: list[int] = []
    total, best = np.zeros_like(probs[0]), -1.0
    for _ in range(steps):
        score, pick = max(((float(((total + p).argmax(1) == truth).mean()), i) for i, p in enumerate(probs)))
        if score <= best:
            break
        chosen.append(pick)
        total, best = total + probs[pick], score
    return chosen


def stack(val_probs: list[np.ndarray], val_truth: np.ndarray, probs: list[np.ndarray], truth: np.ndarray) -> dict:
    """Stacking: a logistic regression over the members' log-probabilities, fit on validation, scored on `truth`."""
    from sklearn.linear_model import LogisticRegressionCV

    def features(ps: list[np.ndarray]) -> np.ndarray:
        return np.hstack([np.log(np.clip(p, 1e-6, 1.0)) for p in ps])

    clf = LogisticRegressionCV(Cs=[0.003, 0.01, 0.03, 0.1, 0.3, 1.0], cv=5, max_iter=3000)
    clf.fit(features(val_probs), val_truth)
    return {"C": float(clf.C_[0]), "accuracy": round(float((clf.predict(features(probs)) == truth).mean()), 4)}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--models", nargs="+", required=True)
    p.add_argument("--ferplus", action="store_true")
    p.add_argument("--split", default="PrivateTest")
    p.add_argument("--select", action="store_true", help="pick members greedily on PublicTest, score them on --split")
    p.add_argument("--stack", action="store_true", help="fit a logistic regression on PublicTest, score it on --split")
    p.add_argument(
        "--data", type=Path, default=Path(os.environ.get("EMOPY_DATA", HERE.parent.parent / "shared" / "data"))
    )
    args = p.parse_args()
    full = load_dataset(
        args.data / "fer2013/fer2013.csv.gz",
        ferplus_labels=args.data / "ferplus/fer2013new.csv" if args.ferplus else None,
    )
    ds = full.select_split(args.split)
    val = full.select_split("PublicTest") if args.select or args.stack else None
    models = [Classifier(m) for m in args.models]
    labels = models[0].labels
    if any(m.labels != labels for m in models):
        raise SystemExit("the models do not share one label list")
    truth = truth_of(ds, labels)
    out = {"split": args.split, "n": len(truth), "models": [f"{m.card.name} ({m.path})" for m in models]}
    for tta in (False, "flip", "tencrop"):
        probs = [m.predict_proba(ds.images, tta=tta) for m in models]
        key = tta or "none"
        out[key] = {
            "single": [round(float((pr.argmax(1) == truth).mean()), 4) for pr in probs],
            "ensemble": round(float((sum(probs).argmax(1) == truth).mean()), 4),
        }
        if val is None:
            continue
        val_probs, val_truth = [m.predict_proba(val.images, tta=tta) for m in models], truth_of(val, labels)
        if args.select:
            chosen = greedy(val_probs, val_truth, 2 * len(models))
            mix = sum(probs[i] for i in chosen)
            out[key]["selected"] = {"members": chosen, "accuracy": round(float((mix.argmax(1) == truth).mean()), 4)}
        if args.stack:
            out[key]["stacked"] = stack(val_probs, val_truth, probs, truth)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
