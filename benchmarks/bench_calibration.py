"""Per-viewer calibration on CK+48, grouped by subject, through `FERModel` (6 shared classes).

For every sequence of a subject, the model is calibrated (`FERModel.calibrate(..., resting=False)`)
on the frames of that subject's *other* sequences and scores this sequence's frames; subjects
with a single sequence have nothing to calibrate on and are scored uncalibrated (counted apart).
Also printed: the crude baseline of the issue (subtract the person's mean log-probability, no
population reference) and a population adjustment (subtract the model's mean log-probability over validation faces, a
stand-in for logit adjustment by the training prior).
The crops are CK+48's own 48x48 faces (detect=False): detection + alignment scores the same.
Run: python benchmarks/bench_calibration.py [--model default] [--data ../shared/data] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np

from emopy import FERModel, load_dataset, resolve

HERE = Path(__file__).parent
SIX = ["anger", "disgust", "fear", "happiness", "sadness", "surprise"]


def recall_table(truth: np.ndarray, pred: np.ndarray) -> dict:
    """Accuracy and per-class recall over the six classes."""
    return {
        "accuracy": round(float((truth == pred).mean()), 4),
        "recall": {e: round(float((pred[truth == i] == i).mean()), 3) for i, e in enumerate(SIX)},
    }


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="default")
    p.add_argument(
        "--data", type=Path, default=Path(os.environ.get("EMOPY_DATA", HERE.parent.parent / "shared" / "data"))
    )
    p.add_argument("--json", type=Path)
    args = p.parse_args()
    files = sorted((args.data / "ckplus48").glob("*/*.png"))
    images = np.stack([cv2.imread(str(f), cv2.IMREAD_GRAYSCALE) for f in files])
    subj = np.array([re.match(r"S(\d+)_(\d+)_", f.name).group(1) for f in files])
    seq = np.array([re.match(r"S(\d+)_(\d+)_", f.name).group(2) for f in files])
    label = np.array([resolve(f.parent.name) for f in files])
    keep = np.isin(label, SIX)
    truth = np.array([SIX.index(x) if x in SIX else -1 for x in label])
    groups = defaultdict(list)
    for i, (s, q) in enumerate(zip(subj, seq)):
        groups[(s, q)].append(i)
    full = FERModel(None, args.model, balance=0.0)  # raw probabilities for the crude check
    all_logp = np.log(np.maximum(full.predict_proba(images), 1e-12))
    cols = [full.emotions.index(e) for e in SIX]
    out = {"model": full.classifier.card.name, "card_balance": full.classifier.card.balance, "n": int(keep.sum())}
    plus = "contempt" in full.emotions  # FER+ labels, else FER2013's
    fer = load_dataset(
        args.data / "fer2013/fer2013.csv.gz", ferplus_labels=args.data / "ferplus/fer2013new.csv" if plus else None
    )
    for balance in (0.0, 0.25, 0.5, 1.0):
        model = FERModel(SIX, args.model, balance=balance)
        for split in ("PublicTest", "PrivateTest"):
            part = fer.select_split(split)
            pred = FERModel(None, args.model, balance=balance).predict_proba(part.images).argmax(1)
            names = [full.emotions[i] for i in pred]
            out.setdefault(f"balance {balance}", {})[f"fer_{split}"] = round(
                float(np.mean([n == part.label_names[t] for n, t in zip(names, part.labels)])), 4
            )
        plain = model.predict_proba(images)
        calibrated, crude = plain.copy(), plain.copy()
        single = np.zeros(len(label), bool)
        for (s, q), idx in groups.items():
            others = np.flatnonzero((subj == s) & (seq != q))
            if len(others) == 0:
                single[idx] = True
                continue
            person = model.calibrate(list(images[others]), resting=False, detect=False)
            calibrated[idx] = person.predict_proba(images[idx])
            z = all_logp[idx][:, cols] - all_logp[others][:, cols].mean(0)  # the crude check: no reference
            crude[idx] = np.exp(z - z.max(1, keepdims=True))
        out[f"balance {balance}"].update(
            ckplus=recall_table(truth[keep], plain[keep].argmax(1)),
            ckplus_calibrated=recall_table(truth[keep], calibrated[keep].argmax(1)),
        )
        if balance == 0.0:
            out["crude_no_reference"] = recall_table(truth[keep], crude[keep].argmax(1))
    out["single_sequence_uncalibrated"] = int((single & keep).sum())
    print(json.dumps(out, indent=1))
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
