"""`emopy predict`, `emopy models`, `emopy detectors`, `emopy bench`: prediction with shipped or exported models."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from ._app import DetectorOpt, DeviceOpt, EmotionsOpt, app, echo_entries, fail

ModelOpt = Annotated[
    str, typer.Option("--model", help="Shipped model name/alias (see `emopy models`) or an .onnx path.")
]


def _out_name(path: str, folder: Path, used: set[str], suffix: str = "") -> Path:
    """A file name in `folder` for output about `path`, unique within this run."""
    p = Path(path)
    ext = p.suffix.lower() if p.suffix.lower() in (".jpg", ".jpeg", ".png", ".bmp", ".webp") else ".png"
    name = f"{p.stem}{suffix}{ext}"
    i = 1
    while name in used:
        name = f"{p.stem}_{i}{suffix}{ext}"
        i += 1
    used.add(name)
    return folder / name


@app.command("predict")
def predict_cmd(
    paths: Annotated[
        list[str] | None, typer.Argument(help="Image files, folders (searched recursively) or globs.")
    ] = None,
    emotions: EmotionsOpt = None,
    model: ModelOpt = "default",
    as_json: Annotated[
        bool,
        typer.Option(
            "--json", help="Print a JSON array: one frame row per input (source, frame, time_s, faces, error)."
        ),
    ] = False,
    annotate: Annotated[
        Path | None,
        typer.Option("--annotate", help="Write images with boxes and labels: a file for one input, else a folder."),
    ] = None,
    crops: Annotated[
        Path | None, typer.Option("--crops", help="Folder for the aligned face crops the model saw.")
    ] = None,
    no_detect: Annotated[
        bool, typer.Option("--no-detect", help="Inputs are already face crops: skip detection.")
    ] = False,
    detector: DetectorOpt = "auto",
    margin: Annotated[
        float | None, typer.Option(help="Crop margin per side as a share of the face box (default: the model's).")
    ] = None,
    batch_size: Annotated[int, typer.Option(help="Images decoded and classified together.")] = 64,
    example: Annotated[
        bool, typer.Option("--example", help="Add the shipped example photo (public-domain NASA portrait).")
    ] = False,
    balance: Annotated[
        float | None,
        typer.Option(
            "--balance",
            help="0..1: correct that share of the training data's class prior "
            "(finds rare emotions such as fear and disgust more often; costs some accuracy on FER-like data). "
            "Default: the model card's (0.5 for the default model, 0 for the others).",
        ),
    ] = None,
    baseline: Annotated[
        Path | None,
        typer.Option(
            "--baseline",
            help="Folder (or file) of photos of the same person at rest: "
            "probabilities become relative to that person's resting face (per-viewer calibration).",
        ),
    ] = None,
    device: DeviceOpt = "cpu",
) -> None:
    """Detect faces and their emotions; exit status 1 if any input failed."""
    import cv2
    from tqdm import tqdm

    from ..errors import EmopyError
    from ..paths import expand_paths
    from ..predict import FERModel
    from ..predict.annotate import annotate as draw
    from ..predict.files import predict_files

    try:
        fer = FERModel(emotions, model, detector=detector, margin=margin, balance=balance, providers=device)
        if not no_detect:
            _ = fer.detector  # load now so a missing detector is a usage error, not a per-file one
        if baseline is not None:
            fer = _calibrated(fer, baseline, detect=not no_detect)
    except (EmopyError, FileNotFoundError, ValueError) as exc:
        fail(exc)
    from ..predict.bench import EXAMPLE

    paths = list(paths or []) + ([str(EXAMPLE)] if example else [])
    if not paths:
        fail(ValueError("give image files, folders or globs to predict on (or --example)"))
    try:
        files = expand_paths(paths, strict=True)
    except EmopyError as exc:
        fail(exc)
    single_file = (
        annotate is not None
        and len(files) == 1
        and annotate.suffix.lower() in (".jpg", ".jpeg", ".png", ".bmp", ".webp")
    )
    for folder in [crops] + ([annotate] if annotate is not None and not single_file else []):
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
    used_ann: set[str] = set()
    used_crop: set[str] = set()
    results, failed = [], 0
    keep = annotate is not None or crops is not None
    for res in tqdm(
        predict_files(fer, files, batch_size=batch_size, detect=not no_detect, keep_image=keep),
        total=len(files),
        unit="img",
        file=sys.stderr,
        disable=None,
        leave=False,
    ):
        failed += res.error is not None
        if res.image is not None and annotate is not None:
            cv2.imwrite(
                str(annotate if single_file else _out_name(res.path, annotate, used_ann)), draw(res.image, res.faces)
            )
        if res.crops is not None and crops is not None:
            for i, face in enumerate(res.crops):
                cv2.imwrite(str(_out_name(res.path, crops, used_crop, f"_face{i}").with_suffix(".png")), face)
        if as_json:
            results.append(res.to_row())
        else:
            _print_line(res)
    if as_json:
        typer.echo(json.dumps(results, indent=1))
    if failed:
        typer.echo(f"{failed} of {len(files)} inputs failed", err=True)
        raise typer.Exit(1)


def _calibrated(fer, baseline: Path, detect: bool):
    """`fer` calibrated on the photos at `baseline`; unusable photos are listed on stderr."""
    from ..errors import CalibrationError, DataError
    from ..paths import expand_paths

    if not baseline.exists():
        raise CalibrationError(f"--baseline {baseline}: no such file or folder")
    try:
        files = expand_paths([baseline], strict=True)
    except DataError as exc:
        raise CalibrationError(f"--baseline {exc}") from exc
    fer = fer.calibrate(files, detect=detect)
    for reason in fer.calibration_skipped:
        typer.echo(f"baseline: skipped {reason}", err=True)
    typer.echo(f"baseline: calibrated on {fer.calibrated_on} face(s) from {baseline}", err=True)
    return fer


def _print_line(res) -> None:
    if res.error:
        typer.echo(f"{res.path}: error: {res.error}")
    elif not res.faces:
        typer.echo(f"{res.path}: no face found")
    for i, f in enumerate(res.faces):
        top = sorted(f.emotions.items(), key=lambda kv: -kv[1])[:3]
        probs = ", ".join(f"{k} {v:.0%}" for k, v in top)
        typer.echo(f"{res.path}: face {i + 1} at {list(f.box)}: {f.dominant} ({probs})")


@app.command("models")
def models_cmd(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List the recommended names with what each is for, then every shipped model: labels, test accuracy."""
    from ..cards import registry

    rows = []
    for w in registry():
        test = w.card.metrics.get("test", {})
        rows.append(
            {
                "name": w.name,
                "aliases": list(w.aliases),
                "labels": list(w.card.labels),
                "test_accuracy": test.get("accuracy"),
                "test_n": test.get("n"),
                "dataset": w.card.dataset,
                "protocol": w.card.protocol,
                "params": w.card.params,
                "balance": w.card.balance,
                "test_accuracy_balanced": w.card.metrics.get("test_balanced", {}).get("accuracy"),
                "sha256": w.sha256,
            }
        )
    names = [{"name": alias, "model": w.name, "use": w.use} for w in registry() for alias in w.aliases]
    if as_json:
        typer.echo(json.dumps({"recommended": names, "models": rows}, indent=1))
        return
    typer.echo("Recommended names:")
    for entry in names:
        typer.echo(f"  {entry['name']:8s} {entry['model']}: {entry['use']}")
    typer.echo("\nShipped models:")
    for r in rows:
        acc = (
            f"{r['test_accuracy']:.1%} on {r['test_n']} test images"
            if r["test_accuracy"] is not None
            else "accuracy not measured"
        )
        alias = f" (alias: {', '.join(r['aliases'])})" if r["aliases"] else ""
        lines = [f"{r['name']}{alias}: {acc}", f"labels: {', '.join(r['labels'])}", f"protocol: {r['protocol'] or '-'}"]
        if r["balance"]:
            after = r["test_accuracy_balanced"]
            measured = f" ({after:.1%} on the test images with it)" if after is not None else ""
            lines.append(f"prior correction by default: balance {r['balance']}{measured}")
        typer.echo("\n  ".join(lines))


@app.command("detectors")
def detectors_cmd() -> None:
    """List the face detectors `--detector` accepts, in the order `auto` prefers them, and what each needs."""
    from ..predict.detect import DETECTORS

    echo_entries(DETECTORS)


@app.command("bench")
def bench_cmd(
    model: ModelOpt = "default",
    detector: DetectorOpt = "auto",
    threads: Annotated[int, typer.Option(help="onnxruntime threads (0 = default).")] = 0,
    seconds: Annotated[float, typer.Option(help="Time spent on each figure.")] = 2.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    device: DeviceOpt = "cpu",
) -> None:
    """Classifier faces/s (batch 1 and 64) and end-to-end ms per 640x480 frame with one face."""
    from ..errors import EmopyError
    from ..predict import bench

    try:
        res = bench.run(model, detector, threads or None, seconds, device)
    except (EmopyError, FileNotFoundError) as exc:
        fail(exc)
    if as_json:
        typer.echo(json.dumps(res, indent=1))
        return
    c, f = res["classifier_faces_per_s"], res["frame_ms"]
    typer.echo(
        f"model {res['model']}, detector {res['detector']}, {res['threads']} threads on {res['cpu_count']} CPUs, "
        f"classifier on {res['providers'][0]}"
    )
    typer.echo(f"classifier: {c['batch_1']} faces/s at batch 1, {c['batch_64']} faces/s at batch 64")
    typer.echo(
        f"640x480 frame, {f['faces']} face: {f['median']} ms median, {f['p90']} ms p90 (detect + align + classify)"
    )
    typer.echo(f"import + model load: {res['import_and_load_s']} s")
