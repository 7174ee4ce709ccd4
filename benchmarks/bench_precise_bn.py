"""Precise batch-norm statistics: recompute a run's running means/variances over all Training faces, then score.

A model's BN statistics are a running average over the last few dozen training batches, so they move from epoch to
epoch even when the learning rate is near zero. This recomputes them once over the whole Training split (centre
crops as at test time, or augmented as in training) for a run's selected weights and scores both validation and
test splits. Float weights, no TTA.
Run: python benchmarks/bench_precise_bn.py RUN [RUN ...] [--head fer2013]
"""

from __future__ import annotations

import argparse
import copy

import numpy as np
import torch

from emopy.train.run import load_run


def bn_variants(tr):
    """(what, model) pairs: the selected weights with their running statistics, then recomputed two ways."""
    yield "as trained (running averages)", tr.model
    for augmented in (False, True):
        model = copy.deepcopy(tr.model)
        torch.manual_seed(0)
        batches = (tr.batch_input(tr.train_idx[i : i + 256], augmented) for i in range(0, len(tr.train_idx), 256))
        torch.optim.swa_utils.update_bn(batches, model)
        yield ("recomputed on augmented Training faces" if augmented else "recomputed on centre crops"), model


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+", help="run folders of `emopy train` (checkpoint.pt, best-HEAD.pt)")
    ap.add_argument("--head", default="fer2013")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    print("| run | epoch | BN statistics | validation | test |\n| --- | --- | --- | --- | --- |")
    for run in args.runs:
        tr = load_run(run)
        tr.load_best(args.head)
        epoch = torch.load(tr.out / f"best-{args.head}.pt", map_location="cpu", weights_only=True)["epoch"]
        splits = [np.flatnonzero(tr.split == s) for s in ("PublicTest", "PrivateTest")]
        for what, model in bn_variants(tr):
            val, test = (100 * tr.accuracy(idx, model)[args.head] for idx in splits)
            print(f"| {tr.out.name} | {epoch} | {what} | {val:.2f}% | {test:.2f}% |", flush=True)


if __name__ == "__main__":
    main()
