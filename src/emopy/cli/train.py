"""`emopy train`, `emopy evaluate`, `emopy archs`: the training toolkit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ._app import EmotionsOpt, FerplusOpt, app, echo_entries, fail


def parse_model_args(items: list[str]) -> dict:
    """KEY=VALUE pairs; values parse as JSON where they can (numbers, true/false), else stay strings."""
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"expected KEY=VALUE, got {item!r}", param_hint="--model-arg")
        try:
            out[key] = json.loads(value)
        except ValueError:
            out[key] = value
    return out


@app.command("train")
def train_cmd(
    arch: Annotated[str, typer.Option("--arch", help="Architecture name (see `emopy archs`).")],
    data: Annotated[Path, typer.Option("--data", help="Dataset path (FER2013 CSV, class folders, sequences).")],
    out: Annotated[
        Path, typer.Option("--out", help="Run folder: checkpoints, logs, plots, exported .onnx. Re-running resumes.")
    ],
    ferplus_labels: FerplusOpt = None,
    emotions: EmotionsOpt = None,
    heads: Annotated[
        str | None, typer.Option(help="Label sets to learn, e.g. fer2013,ferplus for one joint model.")
    ] = None,
    soft_labels: Annotated[bool, typer.Option("--soft-labels", help="Train FER+ on vote distributions.")] = False,
    epochs: int = 30,
    batch_size: int = 64,
    lr: float = 0.05,
    weight_decay: float = 5e-4,
    label_smoothing: float = 0.1,
    schedule: Annotated[str, typer.Option(help="onecycle, cosine or constant.")] = "onecycle",
    augment: Annotated[
        str, typer.Option(help="Comma list of crop,flip,rotate,color,erase,domain; 'none' for none.")
    ] = "crop,flip",
    class_weights: Annotated[str, typer.Option(help="none or balanced.")] = "none",
    patience: Annotated[int, typer.Option(help="Early stopping after N epochs without validation gain (0 = off).")] = 0,
    frames: Annotated[int, typer.Option(help="Frames per window for sequence models.")] = 3,
    limit: Annotated[int, typer.Option(help="Use only the first N images of each split (quick runs).")] = 0,
    seed: int = 0,
    threads: Annotated[int, typer.Option(help="Torch CPU threads (0 = default).")] = 0,
    init: Annotated[
        str,
        typer.Option(
            "--init",
            help="Fine-tune: start from these weights (shipped model name, .onnx, int8 .onnx or "
            "best-*.pt of the same architecture) instead of random ones.",
        ),
    ] = "",
    precision: Annotated[
        str, typer.Option(help="fp32, or bf16 autocast (about 2x faster on CPUs with AVX-512 BF16).")
    ] = "fp32",
    teacher: Annotated[
        str,
        typer.Option(
            "--teacher",
            help="Distil from these models (comma list of shipped names or .onnx "
            "files; their flip-TTA predictions are averaged).",
        ),
    ] = "",
    distill: Annotated[
        float, typer.Option(help="Weight of the teachers' predictions in the targets (labels get the rest).")
    ] = 0.5,
    swa_start: Annotated[
        int,
        typer.Option(
            "--swa-start",
            help="Average the weights of every epoch from this one on (stochastic weight averaging; batch-norm "
            "statistics recomputed) and select and export the average; 0 = off. Pair with --schedule constant "
            "or cosine, e.g. when fine-tuning with --init.",
        ),
    ] = 0,
    ema: Annotated[
        float,
        typer.Option(
            help="Exponential moving average of the weights and batch-norm statistics, updated every step with "
            "this decay (e.g. 0.999: about the last 1,000 steps); the average is selected and exported; 0 = off."
        ),
    ] = 0.0,
    sam: Annotated[
        float,
        typer.Option(
            help="Sharpness-aware minimisation: step with the gradient taken at weights moved this far (e.g. 0.05) "
            "along the gradient; favours flat minima, costs a second pass per step; 0 = off."
        ),
    ] = 0.0,
    average_init: Annotated[
        float,
        typer.Option(
            "--average-init",
            help="Fine-tuning: export the selected weights averaged with the --init ones, this share for the "
            "latter (WiSE-FT; e.g. 0.5, the midpoint); 0 = off. `emopy export RUN --average-init` tries others.",
        ),
    ] = 0.0,
    mixup: Annotated[
        float, typer.Option(help="Mixup: blend pairs of faces and their targets, share ~ Beta(alpha, alpha); 0 = off.")
    ] = 0.0,
    cutmix: Annotated[
        float,
        typer.Option(
            help="CutMix: paste a box of another face, targets by area, share ~ Beta(alpha, alpha); 0 = off. "
            "With --mixup too, each batch uses one of the two."
        ),
    ] = 0.0,
    model_arg: Annotated[
        list[str] | None,
        typer.Option(
            "--model-arg",
            help="Architecture option KEY=VALUE, repeatable, e.g. "
            "weights=runs/x/best-ferplus.pt freeze=true (TransferLearningNN) or frames=5.",
        ),
    ] = None,
    export: Annotated[bool, typer.Option(help="Export ONNX models at the end.")] = True,
    nproc: Annotated[
        int,
        typer.Option(
            "--nproc",
            help="Train data-parallel in N processes on this machine (torchrun, gloo); "
            "across machines run `torchrun ... -m emopy train` yourself (docs/scale.md).",
        ),
    ] = 1,
) -> None:
    """Train a model; checkpoints every epoch and resumes from --out."""
    import os
    import sys

    from ..errors import EmopyError

    if nproc > 1 and "WORLD_SIZE" not in os.environ:
        from ..train.distributed import relaunch

        if sys.argv[1:2] != ["train"]:
            fail(
                EmopyError(
                    "--nproc re-runs the `emopy train` command line; here start `torchrun -m emopy train ...` yourself"
                )
            )
        args, skip = [], False
        for a in sys.argv[2:]:
            if skip or a == "--nproc" or a.startswith("--nproc="):
                skip = a == "--nproc"
                continue
            args.append(a)
        raise typer.Exit(relaunch(nproc, args))
    from ..models import model_info
    from ..train.mix import check_alphas
    from ..train.run import train
    from ..train.sam import check_rho
    from ..train.trainer import TrainConfig, check_average_init, check_averaging

    teachers = tuple(t.strip() for t in teacher.split(",") if t.strip())
    aug = () if augment == "none" else tuple(a.strip() for a in augment.split(",") if a.strip())
    cfg = TrainConfig(
        arch=arch,
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        weight_decay=weight_decay,
        label_smoothing=label_smoothing,
        schedule=schedule,
        augment=aug,
        class_weights=class_weights,
        patience=patience,
        seed=seed,
        threads=threads,
        init=init,
        precision=precision,
        teacher=teachers,
        distill=distill if teachers else 0.0,
        swa_start=swa_start,
        ema=ema,
        sam=sam,
        average_init=average_init,
        mixup=mixup,
        cutmix=cutmix,
        model_kwargs=parse_model_args(model_arg or []),
    )
    try:
        model_info(arch)  # an unknown architecture or a bad alpha fails before the data is loaded
        check_alphas(mixup, cutmix)
        check_averaging(swa_start, ema, epochs)
        check_rho(sam)
        check_average_init(average_init, init)
        result = train(
            cfg,
            data,
            out,
            ferplus_labels=ferplus_labels,
            heads=heads.split(",") if heads else None,
            emotions=emotions,
            soft=soft_labels,
            frames=frames,
            limit=limit,
            export=export,
        )
    except EmopyError as exc:
        fail(exc)
    if "heads" in result:  # (the other processes of a data-parallel run have nothing to report)
        typer.echo(json.dumps(result["heads"], indent=1))


@app.command("evaluate")
def evaluate_cmd(
    model: Annotated[
        str, typer.Option("--model", help="Shipped model name (see `emopy models`) or path to an .onnx file.")
    ],
    data: Annotated[
        Path | None,
        typer.Option(
            "--data", help="Dataset path (FER2013 CSV, class folders, ...); with --domains the shared data folder."
        ),
    ] = None,
    ferplus_labels: FerplusOpt = None,
    split: Annotated[
        str | None, typer.Option(help="Training, PublicTest or PrivateTest (default); ignored for class folders.")
    ] = None,
    emotions: EmotionsOpt = None,
    tta: Annotated[bool, typer.Option("--tta", help="Average with horizontally flipped faces.")] = False,
    ten_crop: Annotated[
        bool, typer.Option("--ten-crop", help="Average over ten crops: centre, four corners, and their mirrors.")
    ] = False,
    domains: Annotated[
        bool,
        typer.Option(
            "--domains",
            help="The cross-domain scoreboard: FER+ Valid/Test, CK+48, FER2013 Public/PrivateTest, per-class recall.",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Score a model on a dataset: accuracy, macro F1, confusion matrix (through onnxruntime); or on every domain."""
    from ..errors import EmopyError
    from ..train.evaluate import evaluate

    if domains:
        return _scoreboard(model, data, as_json)
    if data is None:
        fail(EmopyError("--data is needed (a dataset path), unless --domains is given"))
    try:
        result = evaluate(
            model,
            data,
            ferplus_labels=ferplus_labels,
            split=split,
            emotions=emotions,
            tta="tencrop" if ten_crop else tta,
        )
    except EmopyError as exc:
        fail(exc)
    if as_json:
        typer.echo(json.dumps(result))
        return
    typer.echo(
        f"{result['model_name']} on {result['data']} [{result['split'] or 'all'}]: accuracy {result['accuracy']:.4f}, "
        f"macro F1 {result['macro_f1']:.4f}, n {result['n']}, excluded {result['excluded']['n']}"
    )
    for label, row in result["per_class"].items():
        typer.echo(
            f"  {label:10s} precision {row['precision']:.3f} recall {row['recall']:.3f} support {row['support']}"
        )


def _scoreboard(model: str, root: Path | None, as_json: bool) -> None:
    """`emopy evaluate --domains`: every scoreboard column for one model, as a table or JSON."""
    from ..errors import EmopyError
    from ..train.domains import SCOREBOARD_HEADER, scoreboard, scoreboard_row

    try:
        board = scoreboard(model, root)
    except EmopyError as exc:
        fail(exc)
    if as_json:
        typer.echo(json.dumps(board))
        return
    typer.echo(SCOREBOARD_HEADER + "\n" + scoreboard_row(board))
    for name, column in board["columns"].items():
        recall = ", ".join(f"{e} {r:.2f}" for e, r in column["recall"].items())
        typer.echo(f"  {name:14s} accuracy {column['accuracy']:.4f} n {column['n']}: {recall}")


@app.command("fuse")
def fuse_cmd(
    members: Annotated[list[str], typer.Argument(help="Member models (shipped names or .onnx paths).")],
    out: Annotated[Path, typer.Option("--out", help="The fused .onnx file (a .json card is written beside it).")],
    data: Annotated[
        Path | None, typer.Option("--data", help="Shared data folder (default $EMOPY_DATA or ../shared/data).")
    ] = None,
    name: Annotated[str | None, typer.Option(help="Model name in the card (default: the file name).")] = None,
) -> None:
    """Fold models into one ONNX graph whose weights are fitted on FER+ Valid and CK+48 (one session, shared
    trunks run once); quantise it with `emopy quantize`."""
    from ..errors import EmopyError

    try:
        from ..train.fuse import fuse_models

        path = fuse_models(members, out, data, name=name)
    except EmopyError as exc:
        fail(exc)
    typer.echo(str(path))


@app.command("archs")
def archs_cmd() -> None:
    """List the architectures `emopy train --arch` accepts (listing needs no PyTorch; training does)."""
    from ..models import MODELS

    echo_entries(sorted(MODELS, key=lambda a: a.name), lambda a: "sequence" if a.temporal else "image")


@app.command("export")
def export_cmd(
    run: Annotated[Path, typer.Argument(help="A run folder written by `emopy train` (resumes nothing, only exports).")],
    average_init: Annotated[
        float | None,
        typer.Option(
            "--average-init",
            help="A fine-tuning run: export its selected weights averaged with its --init ones, this share for the "
            "latter (WiSE-FT); replaces the run's own --average-init.",
        ),
    ] = None,
) -> None:
    """Re-export and re-score the selected weights of a finished (or stopped) run."""
    from ..errors import EmopyError
    from ..train.run import export_run

    try:
        result = export_run(run, average_init)
    except EmopyError as exc:
        fail(exc)
    typer.echo(json.dumps(result, indent=1))


@app.command("measure")
def measure_cmd(
    model: Annotated[
        Path, typer.Option("--model", help="The .onnx file whose card to re-measure (rewritten in place).")
    ],
    data: Annotated[
        Path,
        typer.Option("--data", help="Dataset: PublicTest fits the temperature and reference; PrivateTest is scored."),
    ],
    ferplus_labels: FerplusOpt = None,
    balance: Annotated[
        float | None,
        typer.Option(
            help="0..1: the prior correction FERModel applies to this model by default (kept when not given)."
        ),
    ] = None,
) -> None:
    """Re-measure a model's card: accuracy, calibration error, temperature, per-viewer calibration reference."""
    from ..errors import EmopyError

    try:
        from ..train.evaluate import measure_card

        splits = _splits(data, ferplus_labels)
        card = measure_card(model, val=splits["PublicTest"], test=splits["PrivateTest"], balance=balance)
    except EmopyError as exc:
        fail(exc)
    summary = {"model": str(model), "metrics": card.metrics, "temperature": card.temperature, "balance": card.balance}
    typer.echo(json.dumps(summary, indent=1))


def _splits(data: Path, ferplus_labels: Path | None) -> dict:
    """Training / PublicTest / PrivateTest of a dataset (class folders: the split training used)."""
    from ..data import load_dataset, split_by_group

    ds = split_by_group(load_dataset(data, ferplus_labels=ferplus_labels))
    return {s: ds.select_split(s) for s in ("Training", "PublicTest", "PrivateTest")}


@app.command("quantize")
def quantize_cmd(
    model: Annotated[str, typer.Option("--model", help="Shipped model name or .onnx path to quantise.")],
    data: Annotated[
        Path, typer.Option("--data", help="Dataset: Training faces calibrate; PublicTest/PrivateTest are scored.")
    ],
    out: Annotated[Path, typer.Option("--out", help="Output .onnx path (a .json card is written beside it).")],
    ferplus_labels: FerplusOpt = None,
    n: Annotated[int, typer.Option("-n", help="Number of calibration faces.")] = 512,
    calibration: Annotated[
        str, typer.Option("--calibration", help="Activation ranges: minmax, or percentile (99.99th; clips outliers).")
    ] = "minmax",
) -> None:
    """Write an int8 copy of a model (faster on CPUs with VNNI), with its own measured metrics."""
    import numpy as np

    from ..errors import EmopyError
    from ..train.quantize import check_method, quantize_model

    try:
        check_method(calibration)
        splits = _splits(data, ferplus_labels)
        calib = splits["Training"]
        pick = np.random.default_rng(0).permutation(len(calib))[:n]
        path = quantize_model(
            model, out, calib.images[pick], val=splits["PublicTest"], test=splits["PrivateTest"], method=calibration
        )
    except EmopyError as exc:
        fail(exc)
    typer.echo(str(path))
