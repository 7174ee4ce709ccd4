"""After training: per head, export the selected weights to ONNX, score them on the test split
through onnxruntime, write the confusion matrix and curves, and put the numbers in the card."""

from __future__ import annotations

import json
import os
import shlex
import sys
from dataclasses import asdict

import numpy as np

from ..cards import ModelCard, update_card
from ..data.dataset import Dataset
from ..portable import portable
from ..predict.runtime import Classifier
from .evaluate import card_fields
from .export import export_onnx
from .plots import plot_confusion, plot_curves

PROTOCOLS = {
    "fer2013": "FER2013 labels: trained on Training, selected on PublicTest (best epoch), tested on PrivateTest",
    "ferplus": "FER+ majority labels (emopy.data.ferplus protocol): trained on Train, selected on Valid, "
    "tested on Test",
}


def _split_dataset(trainer, k: int, split: str) -> Dataset:
    head = trainer.heads[k]
    idx = np.flatnonzero((trainer.split == split) & head.mask)
    return Dataset(images=trainer.images.numpy()[idx], labels=head.labels[idx], label_names=head.label_names)


def finish_run(trainer, export: bool = True) -> dict:
    """Export and score every head of a finished `Trainer`; returns {head: metrics}."""
    out, recipe = trainer.out, trainer.recipe
    arch, share = recipe.model.arch, recipe.averaging.average_init
    plot_curves(trainer.history, out / "curves.png")
    run = json.loads((out / "run.json").read_text())
    results = {}
    start = 0
    for k, head in enumerate(trainer.heads):
        stop = start + len(head.label_names)
        trainer.load_best(head.name)
        if share:
            trainer.average_with_init(share)
        best = max(trainer.history, key=lambda r: r.get(f"val_acc_{head.name}", -1)) if trainer.history else {}
        card = ModelCard(
            name=f"{arch}.{head.name}",
            labels=head.label_names,
            arch=arch,
            **asdict(trainer.input),
            frames=trainer.images.shape[1] if trainer.temporal else 0,
            dataset=run["source"] + (f" (joint with heads {run['heads']})" if len(trainer.heads) > 1 else ""),
            protocol=PROTOCOLS.get(
                head.name, "trained on Training, selected on PublicTest, tested on PrivateTest splits"
            ),
            training={
                "command": portable(run.get("command") or "emopy " + shlex.join(sys.argv[1:])),
                "recipe": recipe.record(),
                "epochs_run": trainer.epoch,
                "selected_epoch": best.get("epoch"),
                "wall_seconds": round(sum(r["seconds"] for r in trainer.history), 1),
                "machine": f"{os.cpu_count()} CPU cores, no GPU",
                "images_per_s": best.get("images_per_s"),
            },
        )
        if not export:
            start = stop
            continue
        path = export_onnx(trainer.model, card, out / f"{card.name}.onnx", head_slice=(start, stop))
        clf = Classifier(path)
        fields, test = card_fields(
            clf, _split_dataset(trainer, k, "PublicTest"), _split_dataset(trainer, k, "PrivateTest")
        )
        if test is not None:
            plot_confusion(
                test["confusion_matrix"],
                list(head.label_names),
                out / f"{card.name}.confusion.png",
                f"{card.name} PrivateTest acc {test['accuracy']:.3f}",
            )
            (out / f"{card.name}.test.json").write_text(json.dumps(test, indent=1))
        update_card(path, **fields)  # the measured fields into the exported file (weights unchanged)
        results[head.name] = {"onnx": str(path), **fields["metrics"], "temperature": fields["temperature"]}
        start = stop
    return results
