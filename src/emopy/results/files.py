"""Table files: CSV, JSON Lines and Parquet writers and one reader for all of them.

CSV and JSON Lines get whole lines per `write`, flushed (fsynced with `sync`), so a killed run leaves valid lines.
A Parquet file is written under a temporary name and renamed at `close`; with `append` (resumable runs) a Parquet
path is a dataset folder that gets one part file per `write`, renamed into place whole. Parquet needs pyarrow
(emopy-fer[scale]).
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ..errors import require
from .tables import Line, kind

SUFFIXES = (".csv", ".jsonl", ".parquet")
ROW_GROUP = 65536  # lines per Parquet row group


class TableWriter(Protocol):
    """Anything that takes table lines and finishes its file at `close`."""

    def write(self, lines: Sequence[Line]) -> None: ...

    def close(self) -> None: ...


def open_table(path: str | Path, cols: Sequence[str], *, append: bool = False, sync: bool = False) -> TableWriter:
    """A writer for `path` by its suffix: .csv, .jsonl or .parquet (with `append`: any other name is a Parquet
    dataset folder too). `append` keeps what is there; `sync` fsyncs each write."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".jsonl"):
        return TextTable(path, cols, append=append, sync=sync)
    if append:
        return ParquetFolder(path, cols)
    if suffix == ".parquet":
        return ParquetFile(path, cols)
    raise ValueError(f"{path}: write a table as {', '.join(SUFFIXES)}")


def _csv_text(rows: Sequence[Sequence[Any]]) -> str:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue()


def _cell(value: Any) -> Any:
    """A CSV cell: None empty, floats positional without float noise (0.000033, 1.4, 2.0)."""
    if value is None:
        return ""
    return np.format_float_positional(value, trim="0") if isinstance(value, float) else value


class TextTable:
    """CSV (with a header) or JSON Lines, one object per line with the columns in order."""

    def __init__(self, path: Path, cols: Sequence[str], *, append: bool, sync: bool):
        self.path, self.cols, self.sync = path, list(cols), sync
        self.csv = path.suffix.lower() == ".csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        if append:
            _repair_tail(path)
        fresh = not append or not path.exists() or path.stat().st_size == 0
        self._fh = path.open("a" if append else "w", encoding="utf-8", newline="")
        if self.csv and fresh:
            self._put(_csv_text([self.cols]))

    def write(self, lines: Sequence[Line]) -> None:
        if not lines:
            return
        if self.csv:
            self._put(_csv_text([[_cell(line.get(c)) for c in self.cols] for line in lines]))
        else:
            self._put("".join(json.dumps({c: line.get(c) for c in self.cols}) + "\n" for line in lines))

    def _put(self, text: str) -> None:
        self._fh.write(text)
        self._fh.flush()
        if self.sync:
            os.fsync(self._fh.fileno())

    def close(self) -> None:
        self._fh.close()


def _repair_tail(path: Path) -> None:
    """Cut a half-written last line (a kill during a write) so appends start on a fresh line."""
    if not path.exists() or path.stat().st_size == 0:
        return
    data = path.read_bytes()
    if not data.endswith(b"\n"):
        with path.open("r+b") as fh:
            fh.truncate(data.rfind(b"\n") + 1)


def arrow_schema(cols: Sequence[str]):
    """The Parquet schema of these columns: int64, string or float64 by `kind`."""
    pa = require("pyarrow", "scale")
    types = {int: pa.int64(), str: pa.string(), float: pa.float64()}
    return pa.schema([(c, types[kind(c)]) for c in cols])


def _arrow(lines: Sequence[Line], schema):
    pa = require("pyarrow", "scale")
    return pa.Table.from_pylist([{c: line.get(c) for c in schema.names} for line in lines], schema=schema)


class ParquetFile:
    """One Parquet file, in row groups, under `<name>.part` until `close` renames it into place."""

    def __init__(self, path: Path, cols: Sequence[str]):
        self.pq = require("pyarrow.parquet", "scale")
        self.path, self.schema = path, arrow_schema(cols)
        self.tmp = path.with_name(path.name + ".part")
        self._writer = self.pq.ParquetWriter(self.tmp, self.schema)
        self._pending: list[Line] = []

    def write(self, lines: Sequence[Line]) -> None:
        self._pending.extend(lines)
        if len(self._pending) >= ROW_GROUP:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            self._writer.write_table(_arrow(self._pending, self.schema))
            self._pending = []

    def close(self) -> None:
        self._flush()
        self._writer.close()
        os.replace(self.tmp, self.path)


class ParquetFolder:
    """A Parquet dataset folder: one `part-NNNNNN.parquet` per write, written aside and renamed into place."""

    def __init__(self, path: Path, cols: Sequence[str]):
        self.pq = require("pyarrow.parquet", "scale")
        self.path, self.schema = path, arrow_schema(cols)
        path.mkdir(parents=True, exist_ok=True)

    def write(self, lines: Sequence[Line]) -> None:
        if not lines:
            return
        parts = _parts(self.path)
        n = int(parts[-1].stem.split("-")[1]) + 1 if parts else 0
        tmp = self.path / f".part-{n:06d}.parquet.tmp"
        self.pq.write_table(_arrow(lines, self.schema), tmp)
        os.replace(tmp, self.path / f"part-{n:06d}.parquet")

    def close(self) -> None:
        pass


def _parts(folder: Path) -> list[Path]:
    return sorted(folder.glob("part-*.parquet"))


def read_table(path: str | Path) -> list[Line]:
    """Every line of a table file or Parquet dataset folder ([] when there is none), typed by column."""
    path = Path(path)
    if not path.exists():
        return []
    if path.is_dir() or path.suffix.lower() == ".parquet":
        pq = require("pyarrow.parquet", "scale")
        files = _parts(path) if path.is_dir() else [path]
        return [line for f in files for line in pq.read_table(f).to_pylist()]
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".jsonl":
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    return [
        {c: None if v == "" else kind(c)(v) for c, v in line.items()}
        for line in csv.DictReader(io.StringIO(text, newline=""))
    ]
