"""`emopy train`, `emopy evaluate`, `emopy archs`: the training toolkit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from ._app import EmotionsOpt, FerplusOpt, app, fail


@app.command("train")
def train_cmd(
    arch: Annotated[str, typer.Option("--arch", help="Architecture name (see `emopy archs`).")],
    data: Annotated[Path, typer.Option("--data", help="Dataset path (FER2013 CSV, class folders, sequences).")],
    out: Annotated[Path, typer.Option("--out", help="Run folder: checkpoints, logs, plots, exported .onnx. Re-running resumes.")],
    ferplus_labels: FerplusOpt = None,
    emotions: EmotionsOpt = None,
    heads: Annotated[Optional[str], typer.Option(help="Label sets to learn, e.g. fer2013,ferplus for one joint model.")] = None,
    soft_labels: Annotated[bool, typer.Option("--soft-labels", help="Train FER+ on vote distributions.")] = False,
    epochs: int = 30,
    batch_size: int = 64,
    lr: float = 0.05,
    weight_decay: float = 5e-4,
    label_smoothing: float = 0.1,
    schedule: Annotated[str, typer.Option(help="onecycle, cosine or constant.")] = "onecycle",
    augment: Annotated[str, typer.Option(help="Comma list of crop,flip,rotate,color,erase; 'none' for none.")] = "crop,flip",
    class_weights: Annotated[str, typer.Option(help="none or balanced.")] = "none",
    patience: Annotated[int, typer.Option(help="Early stopping after N epochs without validation gain (0 = off).")] = 0,
    frames: Annotated[int, typer.Option(help="Frames per window for sequence models.")] = 3,
    limit: Annotated[int, typer.Option(help="Use only the first N images of each split (quick runs).")] = 0,
    seed: int = 0,
    threads: Annotated[int, typer.Option(help="Torch CPU threads (0 = default).")] = 0,
    export: Annotated[bool, typer.Option(help="Export ONNX models at the end.")] = True,
) -> None:
    """Train a model; checkpoints every epoch and resumes from --out."""
    from .train.run import train
    from .train.trainer import TrainConfig

    aug = () if augment == "none" else tuple(a.strip() for a in augment.split(",") if a.strip())
    cfg = TrainConfig(arch=arch, epochs=epochs, batch_size=batch_size, lr=lr, weight_decay=weight_decay,
                      label_smoothing=label_smoothing, schedule=schedule, augment=aug, class_weights=class_weights,
                      patience=patience, seed=seed, threads=threads)
    result = train(cfg, data, out, ferplus_labels=ferplus_labels, heads=heads.split(",") if heads else None,
                   emotions=emotions, soft=soft_labels, frames=frames, limit=limit, export=export)
    typer.echo(json.dumps(result.get("heads", {}), indent=1))
