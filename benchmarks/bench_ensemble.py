"""Test accuracy of single models and of their probability-averaged ensemble, with and without TTA.

Run: python benchmarks/bench_ensemble.py --models fer2013 runs/x/vgg_small.fer2013.onnx [--ferplus] [--split
PrivateTest] [--select]
All models must share one label list; --ferplus scores on FER+ majority labels, else FER2013's. --select also picks
members greedily on PublicTest (forward selection with replacement, Caruana et al. 2004) and scores that mix on --split.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np

from emopy.data import load_dataset
from emopy.predict.runtime import Classifier

HERE = Path(__file__).parent


def truth_of(ds, labels: list[str]) -> np.ndarray:
    return np.array([labels.index(ds.label_names[i]) for i in ds.labels])


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


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--models", nargs="+", required=True)
    p.add_argument("--ferplus", action="store_true")
    p.add_argument("--split", default="PrivateTest")
    p.add_argument("--select", action="store_true", help="pick members greedily on PublicTest, score them on --split")
    p.add_argument(
        "--data", type=Path, default=Path(os.environ.get("EMOPY_DATA", HERE.parent.parent / "shared" / "data"))
    )
    args = p.parse_args()
    full = load_dataset(
        args.data / "fer2013/fer2013.csv.gz",
        ferplus_labels=args.data / "ferplus/fer2013new.csv" if args.ferplus else None,
    )
    ds = full.select_split(args.split)
    val = full.select_split("PublicTest") if args.select else None
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
        if val is not None:
            val_probs = [m.predict_proba(val.images, tta=tta) for m in models]
            chosen = greedy(val_probs, truth_of(val, labels), 2 * len(models))
            mix = sum(probs[i] for i in chosen)
            out[key]["selected"] = {"members": chosen, "accuracy": round(float((mix.argmax(1) == truth).mean()), 4)}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
