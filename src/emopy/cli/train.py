"""`emopy train`, `emopy evaluate`, `emopy archs`: the training toolkit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ._app import EmotionsOpt, FerplusOpt, app, echo_entries, fail


@app.command("train")
def train_cmd(
    out: Annotated[
        Path, typer.Option("--out", help="Run folder: checkpoints, logs, plots, exported .onnx. Re-running resumes.")
    ],
    recipe: Annotated[
        str | None,
        typer.Option(
            "--recipe",
            metavar="FILE|NAME",
            help="A recipe file (.yaml/.json) or a shipped model's recipe by name (vgg_wide.ferplus, ferplus, "
            "default, ...); the options below override its fields (docs/training.md).",
        ),
    ] = None,
    arch: Annotated[str | None, typer.Option("--arch", help="model.arch: architecture (see `emopy archs`).")] = None,
    data: Annotated[
        Path | None,
        typer.Option("--data", help="data.path: FER2013 CSV, class folders or sequence folders."),
    ] = None,
    ferplus_labels: FerplusOpt = None,
    emotions: EmotionsOpt = None,
    epochs: Annotated[int | None, typer.Option("--epochs", help="optimisation.epochs.")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="optimisation.seed.")] = None,
    init: Annotated[
        str | None,
        typer.Option(
            "--init",
            help="model.init: fine-tune from these weights (shipped model name, .onnx, int8 .onnx or best-*.pt of "
            "the same architecture).",
        ),
    ] = None,
    precision: Annotated[
        str | None, typer.Option("--precision", help="precision: fp32, or bf16 autocast (CPUs with native bf16).")
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", help="data.limit: only the first N images of each split (quick runs).")
    ] = None,
    nproc: Annotated[
        int | None,
        typer.Option(
            "--nproc",
            help="nproc: train data-parallel in N processes on this machine (torchrun, gloo; docs/scale.md).",
        ),
    ] = None,
    assignments: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="FIELD=VALUE",
            help="FIELD=VALUE for any recipe field, repeatable: optimisation.lr=0.01, data.heads=fer2013,ferplus, "
            "averaging.ema=0.999, model.args.frames=5, threads=2, export=false (fields: docs/training.md).",
        ),
    ] = None,
) -> None:
    """Train a model as a recipe says; checkpoints every epoch and resumes from --out. Every setting is checked
    before any data loads."""
    from ..errors import EmopyError
    from ..train.recipe import load_recipe, parse_assignments

    named = {
        "model.arch": arch,
        "data.path": data,
        "data.ferplus_labels": ferplus_labels,
        "data.emotions": emotions,
        "optimisation.epochs": epochs,
        "optimisation.seed": seed,
        "model.init": init,
        "precision": precision,
        "data.limit": limit,
        "nproc": nproc,
    }
    try:
        values = parse_assignments(assignments or [])
        values |= {k: str(v) if isinstance(v, Path) else v for k, v in named.items() if v is not None}
        chosen = load_recipe(recipe).with_values(values)
        from ..train.run import train  # (torch: only once the recipe is valid)

        result = train(chosen, out)
    except EmopyError as exc:
        fail(exc)
    if "heads" in result:  # (the other processes of a data-parallel run, and their launcher, have nothing to report)
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
            help="A fine-tuning run: export its selected weights averaged with its starting ones (model.init), this "
            "share for the latter (WiSE-FT); replaces the run's own averaging.average_init.",
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
