"""Per-viewer calibration on CK+48, grouped by subject, through `FERModel` (6 shared classes).

For every sequence of a subject, the model is calibrated (`FERModel.calibrate(..., resting=False)`)
on the frames of that subject's *other* sequences and scores this sequence's frames; subjects
with a single sequence have nothing to calibrate on and are scored uncalibrated (counted apart).
At the card's balance, every calibration strength of a grid is scored, and leave-one-subject-out
cross-validation picks one per subject from the others (how `MIXED_STRENGTH` was chosen).
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
from emopy.predict.model import MIXED_STRENGTH

HERE = Path(__file__).parent
SIX = ["anger", "disgust", "fear", "happiness", "sadness", "surprise"]
STRENGTHS = [round(a, 3) for a in np.arange(0, 1.0001, 0.125)]


def recall_table(truth: np.ndarray, pred: np.ndarray) -> dict:
    """Accuracy and per-class recall over the six classes."""
    return {
        "accuracy": round(float((truth == pred).mean()), 4),
        "recall": {e: round(float((pred[truth == i] == i).mean()), 3) for i, e in enumerate(SIX)},
    }


def cross_validate(calibrated: dict, truth: np.ndarray, keep: np.ndarray, subj: np.ndarray) -> dict:
    """Leave one subject out: each subject is scored at the strength that is most accurate on all the others."""
    pred = {a: p.argmax(1) for a, p in calibrated.items()}
    final, chosen = np.zeros(len(truth), int), {}
    for s in np.unique(subj):
        rest = keep & (subj != s)
        best = max(pred, key=lambda a: (pred[a][rest] == truth[rest]).mean())
        final[subj == s], chosen[best] = pred[best][subj == s], chosen.get(best, 0) + 1
    return {**recall_table(truth[keep], final[keep]), "chosen": {str(a): n for a, n in chosen.items()}}


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
        grid = STRENGTHS if balance == full.classifier.card.balance else [None, 1.0]  # None: the library default
        calibrated = {a: plain.copy() for a in grid}
        crude = plain.copy()
        single = np.zeros(len(label), bool)
        for (s, q), idx in groups.items():
            others = np.flatnonzero((subj == s) & (seq != q))
            if len(others) == 0:
                single[idx] = True
                continue
            for a in grid:
                person = model.calibrate(list(images[others]), resting=False, strength=a, detect=False)
                calibrated[a][idx] = person.predict_proba(images[idx])
            z = all_logp[idx][:, cols] - all_logp[others][:, cols].mean(0)  # the crude check: no reference
            crude[idx] = np.exp(z - z.max(1, keepdims=True))
        default = calibrated[None if None in calibrated else MIXED_STRENGTH]
        out[f"balance {balance}"].update(
            ckplus=recall_table(truth[keep], plain[keep].argmax(1)),
            ckplus_calibrated=recall_table(truth[keep], default[keep].argmax(1)),
            ckplus_calibrated_full=recall_table(truth[keep], calibrated[1.0][keep].argmax(1)),
        )
        if None not in calibrated:
            out["strength_grid"] = {str(a): recall_table(truth[keep], calibrated[a][keep].argmax(1)) for a in STRENGTHS}
            out["strength_cross_validated"] = cross_validate(calibrated, truth, keep, subj)
        if balance == 0.0:
            out["crude_no_reference"] = recall_table(truth[keep], crude[keep].argmax(1))
    out["single_sequence_uncalibrated"] = int((single & keep).sum())
    print(json.dumps(out, indent=1))
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
