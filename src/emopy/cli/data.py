"""`emopy data ...`: inspect datasets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ._app import EmotionsOpt, FerplusOpt, app, echo_entries, fail

KindOpt = Annotated[
    str | None, typer.Option("--kind", help="Dataset kind (see `emopy data kinds`); default: guessed from the path.")
]
data_app = typer.Typer(help="Inspect datasets.", no_args_is_help=True)
app.add_typer(data_app, name="data")


@data_app.command("info")
def data_info(
    path: Annotated[Path, typer.Argument(help="FER2013 CSV(.gz), FERPlus folder layout, or a folder per class.")],
    ferplus_labels: FerplusOpt = None,
    kind: KindOpt = None,
    emotions: EmotionsOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print image counts per split and class."""
    from ..data import load_dataset
    from ..errors import EmopyError

    try:
        ds = load_dataset(path, ferplus_labels=ferplus_labels, kind=kind, emotions=emotions)
    except EmopyError as exc:
        fail(exc)
    counts = ds.counts()
    if as_json:
        typer.echo(
            json.dumps(
                {"source": ds.source, "labels": list(ds.label_names), "counts": counts, "skipped": ds.skipped}, indent=1
            )
        )
        return
    typer.echo(f"{ds.source}: {len(ds)} images, shape {ds.images.shape[1:]}, skipped {ds.skipped}")
    for note in ds.notes:
        typer.echo(f"note: {note}")
    width = max(len(n) for n in ds.label_names)
    header = "split".ljust(12) + "".join(n.rjust(max(width, 7) + 1) for n in ds.label_names) + "total".rjust(8)
    typer.echo(header)
    for split, row in counts.items():
        typer.echo(
            split.ljust(12)
            + "".join(str(row[n]).rjust(max(width, 7) + 1) for n in ds.label_names)
            + str(sum(row.values())).rjust(8)
        )


@data_app.command("kinds")
def data_kinds() -> None:
    """List the dataset kinds `--kind` accepts."""
    from ..data import DATASETS

    echo_entries(DATASETS)
