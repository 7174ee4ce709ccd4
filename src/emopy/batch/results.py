"""Where batch results go: a Parquet dataset folder (one part file per chunk) or a JSON Lines file.

Each chunk is written whole (a part file renamed into place; JSON lines flushed and fsynced), so a run killed at
any moment leaves only complete inputs behind, and a re-run skips exactly those (`done_keys`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..errors import require
from .inputs import item_key

BASE_COLUMNS = ("path", "frame", "time_s", "face", "x", "y", "w", "h", "score")


class ResultStore:
    """Results of one batch run at `path`: `*.jsonl` is JSON Lines, anything else a Parquet dataset folder."""

    def __init__(self, path: str | Path, emotions: list[str]):
        self.path = Path(path)
        self.emotions = list(emotions)
        self.jsonl = self.path.suffix.lower() == ".jsonl"
        self.columns = [*BASE_COLUMNS, *self.emotions, "dominant", "error"]
        if not self.jsonl:
            self.pq = require("pyarrow.parquet", "scale")
            self.pa = require("pyarrow", "scale")
            self.path.mkdir(parents=True, exist_ok=True)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._repair_tail()

    def _repair_tail(self) -> None:
        """Cut a half-written last line (a kill during a write) so appends start on a fresh line."""
        if not self.path.exists() or self.path.stat().st_size == 0:
            return
        data = self.path.read_bytes()
        if not data.endswith(b"\n"):
            with self.path.open("r+b") as fh:
                fh.truncate(data.rfind(b"\n") + 1)

    def _schema(self):
        pa = self.pa
        types = {
            "path": pa.string(),
            "frame": pa.int64(),
            "time_s": pa.float64(),
            "face": pa.int64(),
            "x": pa.int64(),
            "y": pa.int64(),
            "w": pa.int64(),
            "h": pa.int64(),
            "score": pa.float64(),
            "dominant": pa.string(),
            "error": pa.string(),
        }
        return pa.schema([(c, types.get(c, pa.float64())) for c in self.columns])

    def parts(self) -> list[Path]:
        return sorted(self.path.glob("part-*.parquet"))

    def read(self) -> list[dict]:
        """Every stored row."""
        if self.jsonl:
            if not self.path.exists():
                return []
            return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line.strip()]
        return [row for part in self.parts() for row in self.pq.read_table(part).to_pylist()]

    def done_keys(self) -> set[str]:
        """Keys (path#frame) of the inputs already in the results."""
        return {item_key(r["path"], r["frame"]) for r in self.read()}

    def write(self, rows: list[dict]) -> None:
        """Append one chunk of rows, all or nothing."""
        if not rows:
            return
        if self.jsonl:
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write("".join(json.dumps({c: r.get(c) for c in self.columns}) + "\n" for r in rows))
                fh.flush()
                os.fsync(fh.fileno())
            return
        parts = self.parts()
        n = int(parts[-1].stem.split("-")[1]) + 1 if parts else 0
        table = self.pa.Table.from_pylist([{c: r.get(c) for c in self.columns} for r in rows], schema=self._schema())
        tmp = self.path / f".part-{n:06d}.parquet.tmp"
        self.pq.write_table(table, tmp)
        os.replace(tmp, self.path / f"part-{n:06d}.parquet")
