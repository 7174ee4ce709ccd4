"""`emopy batch`: emotions for a folder, glob, manifest or videos into Parquet / CSV / JSON Lines, locally or on
Ray."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ._app import DetectorOpt, DeviceOpt, EmotionsOpt, app, fail
from .predict import ModelOpt


@app.command("batch")
def batch_cmd(
    inputs: Annotated[
        str,
        typer.Argument(
            help="A folder (images and videos, recursive), a glob, a CSV/Parquet manifest with a 'path' column, "
            "or one file."
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Results: a .csv or .jsonl file, or a Parquet dataset folder (one part file per chunk). "
            "Re-running skips what it holds.",
        ),
    ],
    engine: Annotated[
        str, typer.Option("--engine", help="local (this process) or ray (pip install 'emopy-fer[scale]').")
    ] = "local",
    emotions: EmotionsOpt = None,
    model: ModelOpt = "default",
    detector: DetectorOpt = "auto",
    fps: Annotated[float, typer.Option("--fps", help="Frames per second taken from video inputs.")] = 1.0,
    chunk: Annotated[int, typer.Option("--chunk", help="Images per written chunk (and per classifier batch).")] = 64,
    actors: Annotated[
        int, typer.Option("--actors", help="Ray: prediction actors (0 = one per CPU of the cluster).")
    ] = 0,
    ray_address: Annotated[
        str | None,
        typer.Option("--ray-address", help="Ray: join this cluster (default $RAY_ADDRESS; none starts a local Ray)."),
    ] = None,
    device: DeviceOpt = "cpu",
) -> None:
    """One line per face (source, frame, time_s, face, x, y, w, h, score, a column per emotion, dominant, error);
    an input without a face gets one line with empty face columns, one that fails to read one with `error`. Prints
    a JSON summary."""
    from ..batch import run_batch
    from ..errors import EmopyError

    try:
        summary = run_batch(
            inputs,
            out,
            engine=engine,
            emotions=emotions,
            model=model,
            detector=detector,
            fps=fps,
            chunk=chunk,
            actors=actors,
            ray_address=ray_address,
            device=device,
        )
    except EmopyError as exc:
        fail(exc)
    typer.echo(json.dumps(summary))
