"""Training throughput (images/s) of every registered architecture on this machine.

Times `steps` SGD steps at batch 64 on random 48x48 faces (44x44 crops, crop+flip
augmentation, channels-last), after 3 warm-up steps, through the real Trainer.
Run: python benchmarks/bench_train.py [--steps 20] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time

import numpy as np


def bench(arch: str, steps: int, batch: int, threads: int) -> float:
    from emopy.models import model_info
    from emopy.train.recipe import Recipe
    from emopy.train.tasks import Head
    from emopy.train.trainer import Trainer

    rng = np.random.default_rng(0)
    n = batch * (steps + 3)
    shape = (n, 3, 48, 48) if model_info(arch).temporal else (n, 48, 48)
    images = rng.integers(0, 256, shape, dtype=np.uint8)
    labels = rng.integers(0, 7, n)
    head = Head("bench", tuple("abcdefg"), np.eye(7, dtype=np.float32)[labels], np.ones(n, bool), labels)
    with tempfile.TemporaryDirectory() as out:
        recipe = Recipe().with_values({"model.arch": arch, "optimisation.epochs": 1, "threads": threads})
        tr = Trainer(recipe, out, images, [head], np.full(n, "Training"))
        tr.model.train()
        times = []
        for i in range(steps + 3):
            idx = np.arange(i * batch, (i + 1) * batch)
            t = time.perf_counter()
            loss = tr.loss(tr.model(tr.batch_input(idx, True)), idx)
            tr.opt.zero_grad()
            loss.backward()
            tr.opt.step()
            times.append(time.perf_counter() - t)
    return batch * steps / sum(times[3:])


def main() -> None:
    from emopy.models import list_models

    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    for arch in list_models():
        print(
            json.dumps({"arch": arch, "images_per_s": round(bench(arch, args.steps, args.batch, args.threads), 1)}),
            flush=True,
        )


if __name__ == "__main__":
    main()
