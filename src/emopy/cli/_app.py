"""The Typer app and options shared by several commands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="EmoPy: facial expression recognition.", no_args_is_help=True, add_completion=False)

FerplusOpt = Annotated[
    Path | None, typer.Option("--ferplus-labels", help="FER+ vote file fer2013new.csv to join with a FER2013 CSV.")
]
EmotionsOpt = Annotated[
    str | None, typer.Option("--emotions", help="Comma-separated subset, aliases allowed: calm,anger,happy.")
]
DeviceOpt = Annotated[
    str | None,
    typer.Option(
        "--device",
        help="Where the classifier runs: cpu, cuda, tensorrt, rocm, coreml, directml, openvino (onnxruntime "
        "execution providers; the error lists those installed).",
    ),
]


def fail(exc: Exception) -> None:
    """Print an error without a traceback and exit with status 2."""
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(2)
