"""What a batch reads: a folder, a glob, a manifest (CSV/Parquet with a `path` column) or one file; videos become
frames."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import DataError, EmopyError, require
from ..imageio import read_image
from ..paths import IMAGE_SUFFIXES, expand_paths

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg")
MANIFEST_SUFFIXES = (".csv", ".parquet")


@dataclass(frozen=True)
class Decoded:
    """One image to detect faces in: a still image (frame None) or a video frame, or the error that stopped it."""

    path: str
    frame: int | None
    time_s: float | None
    image: np.ndarray | None
    error: str | None = None

    @property
    def key(self) -> str:
        return item_key(self.path, self.frame)


def item_key(path: str, frame: int | None) -> str:
    """The identity of one input image in the results (a re-run skips keys it already has)."""
    return f"{path}#{frame}"


def is_video(path: str) -> bool:
    return Path(path).suffix.lower() in VIDEO_SUFFIXES


def manifest_paths(path: Path) -> list[str]:
    """The `path` column of a CSV or Parquet manifest; relative paths are relative to the manifest's folder."""
    if path.suffix.lower() == ".parquet":
        table = require("pyarrow.parquet", "scale").read_table(path, columns=None)
        if "path" not in table.column_names:
            raise DataError(f"{path}: a manifest needs a 'path' column (it has {table.column_names})")
        values = table.column("path").to_pylist()
    else:
        import csv

        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            if not reader.fieldnames or "path" not in reader.fieldnames:
                raise DataError(f"{path}: a manifest needs a 'path' column (it has {reader.fieldnames})")
            values = [row["path"] for row in reader]
    return [str(p if Path(p).is_absolute() else path.parent / p) for p in (str(v) for v in values if v)]


def read_inputs(spec: str | Path) -> list[str]:
    """Input files of a folder (images and videos, recursive, natural order), a glob, a manifest or one file.

    A missing single file stays in the list so that it gets an error row instead of vanishing.
    """
    p = Path(spec)
    if p.is_file() and p.suffix.lower() in MANIFEST_SUFFIXES:
        return manifest_paths(p)
    return expand_paths([spec], IMAGE_SUFFIXES + VIDEO_SUFFIXES, strict=True, kind="image or video")


def decode(path: str, fps: float, skip: frozenset[str] | set[str] = frozenset()) -> Iterator[Decoded]:
    """The images of one input: a still image, or a video's frames at about `fps` (keys in `skip` are left out)."""
    if not is_video(path):
        if item_key(path, None) in skip:
            return
        try:
            yield Decoded(path, None, None, read_image(path))
        except (EmopyError, OSError, ValueError) as exc:
            yield Decoded(path, None, None, None, str(exc).removeprefix(f"{path}: "))
        return
    from ..stream.source import FileSource

    try:
        frames = iter(FileSource(path, fps=fps))
        first = next(frames, None)
        error = None if first is not None else "no frame could be decoded from this video"
    except (EmopyError, OSError, ValueError) as exc:
        first, error = None, str(exc)
    if first is None:  # an unreadable video is one error row, like an unreadable image
        if item_key(path, None) not in skip:
            yield Decoded(path, None, None, None, error)
        return
    for frame in itertools.chain([first], frames):
        if item_key(path, frame.index) not in skip:
            yield Decoded(path, frame.index, frame.t, frame.image)
