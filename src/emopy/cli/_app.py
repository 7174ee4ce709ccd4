"""The Typer app and options shared by several commands."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import typer
from typer.core import TyperGroup

from .._version import __version__
from ..errors import MissingExtraError
from ..registry import Entry

E = TypeVar("E", bound=Entry)

if TYPE_CHECKING:  # the context Click hands a group (typer.Context, a subclass, is the one callbacks receive)
    from typer._click import Context


class _Group(TyperGroup):
    """The `emopy` group: a missing optional dependency, wherever it is imported, is a one-line usage error."""

    def invoke(self, ctx: Context) -> object:
        try:
            return super().invoke(ctx)
        except MissingExtraError as exc:
            fail(exc)


# Plain Click help (no Rich markup): it keeps `[extra]` in help texts and shows boolean options as bare flags.
app = typer.Typer(
    cls=_Group,
    help="EmoPy: facial expression recognition.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)

FerplusOpt = Annotated[
    Path | None, typer.Option("--ferplus-labels", help="FER+ vote file fer2013new.csv to join with a FER2013 CSV.")
]
EmotionsOpt = Annotated[
    str | None, typer.Option("--emotions", help="Comma-separated subset, aliases allowed: calm,anger,happy.")
]
DetectorOpt = Annotated[
    str, typer.Option("--detector", help="Face detector: auto (the best installed) or one of `emopy detectors`.")
]
DeviceOpt = Annotated[
    str | None,
    typer.Option(
        "--device",
        help="Where the classifier runs: cpu, cuda, tensorrt, rocm, coreml, directml, openvino (onnxruntime "
        "execution providers; the error lists those installed).",
    ),
]


def fail(exc: Exception) -> NoReturn:
    """Print an error without a traceback and exit with status 2."""
    typer.echo(f"error: {exc}", err=True)
    raise typer.Exit(2)


def echo_entries(entries: Iterable[E], column: Callable[[E], str] | None = None) -> None:
    """One line per registry entry: name, `column` if given, description, and what to install where it is missing."""
    for entry in entries:
        missing = entry.missing()
        cells = (
            f"{entry.name:24s}",
            f"{column(entry):8s}" if column else "",
            entry.description,
            f"(not installed: pip install {missing})" if missing else "",
        )
        typer.echo(" ".join(c for c in cells if c))


def _print_version(value: bool) -> None:
    """Eager `--version`: print the version and exit."""
    if value:
        typer.echo(f"emopy {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """EmoPy: facial expression recognition."""
