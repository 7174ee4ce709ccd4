"""How a fusion's weights are chosen, on validation data only: FER+ Valid, and CK+48 cross-validated by subject.

For each setting (per-class or one weight per member; weight of the posed set in the fit), the fusion is fitted
on FER+ Valid plus four fifths of the CK+48 subjects and scores the held-out fifth (5 folds); FER+ Valid is
scored by the fusion fitted on all subjects. No test split is read. `emopy fuse` uses per-class weights with the
posed set weighted as much as FER+ Valid (1.0).
Run: python benchmarks/bench_fusion.py MEMBER.onnx MEMBER.onnx [--data ../shared/data]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from emopy.paths import default_data_dir
from emopy.predict.runtime import Classifier
from emopy.train.domains import load_columns
from emopy.train.fuse import fit_fusion, member_logp

GRID = (0.5, 0.75, 1.0, 1.5, 2.0)
FOLDS = 5


def fused_pred(x: np.ndarray, fusion, classes: np.ndarray) -> np.ndarray:
    """The fused prediction among `classes` (label indices) from M x N x C member log-probabilities."""
    z = np.einsum("mc,mnc->nc", np.asarray(fusion.weights), x) + np.asarray(fusion.bias)
    return classes[z[:, classes].argmax(1)]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("members", nargs="+")
    p.add_argument("--data", type=Path, default=None)
    args = p.parse_args()
    clfs = [Classifier(m) for m in args.members]
    labels = [e for e in clfs[0].labels if all(e in c.labels for c in clfs)]
    cols = load_columns(Path(args.data or default_data_dir()))
    (wild, yw, _), (posed, yp, subjects) = (cols[c].indexed(labels) for c in ("ferplus_valid", "ckplus48"))
    xw, xp = member_logp(clfs, labels, wild, posed)
    posed_classes, wild_classes = np.unique(yp), np.arange(len(labels))
    folds = np.array_split(np.random.default_rng(0).permutation(np.unique(subjects)), FOLDS)
    print(
        "| weights | posed weight | FER+ Valid | CK+48 (subject CV) | lowest CK+48 recall (CV) | validation summary |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for per_class in (False, True):
        for weight in GRID:
            pred = np.zeros(len(yp), int)
            for fold in folds:
                held = np.isin(subjects, fold)
                fusion = fit_fusion((xw, yw), (xp[:, ~held], yp[~held]), weight, per_class=per_class)
                pred[held] = fused_pred(xp[:, held], fusion, posed_classes)  # CK+48 has no neutral
            ck = float((pred == yp).mean())
            lowest = min(float((pred[yp == c] == c).mean()) for c in np.unique(yp))
            fitted = fit_fusion((xw, yw), (xp, yp), weight, per_class=per_class)
            valid = float((fused_pred(xw, fitted, wild_classes) == yw).mean())
            mode = "per class" if per_class else "one per member"
            print(
                f"| {mode} | {weight:g} | {valid:.4f} | {ck:.4f} | {lowest:.2f} | {(valid + ck) / 2:.4f} |", flush=True
            )


if __name__ == "__main__":
    main()
