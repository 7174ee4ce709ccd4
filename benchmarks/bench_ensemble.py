"""Test accuracy of single models and of their probability-averaged ensemble, with and without TTA.

Run: python benchmarks/bench_ensemble.py --models fer2013 runs/x/vgg_small.fer2013.onnx [--ferplus] [--split
PrivateTest]
All models must share one label list; --ferplus scores on FER+ majority labels, else FER2013's.
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


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--models", nargs="+", required=True)
    p.add_argument("--ferplus", action="store_true")
    p.add_argument("--split", default="PrivateTest")
    p.add_argument(
        "--data", type=Path, default=Path(os.environ.get("EMOPY_DATA", HERE.parent.parent / "shared" / "data"))
    )
    args = p.parse_args()
    ds = load_dataset(
        args.data / "fer2013/fer2013.csv.gz",
        ferplus_labels=args.data / "ferplus/fer2013new.csv" if args.ferplus else None,
    ).select_split(args.split)
    models = [Classifier(m) for m in args.models]
    labels = models[0].labels
    if any(m.labels != labels for m in models):
        raise SystemExit("the models do not share one label list")
    truth = np.array([labels.index(ds.label_names[i]) for i in ds.labels])
    out = {"split": args.split, "n": len(truth), "models": [f"{m.card.name} ({m.path})" for m in models]}
    for tta in (False, "flip", "tencrop"):
        probs = [m.predict_proba(ds.images, tta=tta) for m in models]
        key = tta or "none"
        out[key] = {
            "single": [round(float((pr.argmax(1) == truth).mean()), 4) for pr in probs],
            "ensemble": round(float((sum(probs).argmax(1) == truth).mean()), 4),
        }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
