"""Where batch results go: a CSV or JSON Lines file, or a Parquet dataset folder (one part file per chunk), in the
table columns of emopy.results.

Each chunk is written whole (lines flushed and fsynced; a part file renamed into place), so a run killed at any
moment leaves only complete inputs behind, and a re-run skips exactly those (`done_keys`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..errors import DataError
from ..results import Line, columns, open_table, read_table
from .inputs import item_key


class ResultStore:
    """Results of one batch run at `path`: `*.csv` and `*.jsonl` are files, anything else a Parquet dataset folder."""

    def __init__(self, path: str | Path, emotions: Sequence[str]):
        self.path = Path(path)
        self.emotions = list(emotions)
        self.columns = columns(self.emotions)
        self._writer = open_table(self.path, self.columns, append=True, sync=True)

    def read(self) -> list[Line]:
        """Every stored line."""
        return read_table(self.path)

    def done_keys(self) -> set[str]:
        """Keys (source#frame) of the inputs already in the results; refuses results with other columns."""
        lines = self.read()
        if lines and list(lines[0]) != self.columns:
            raise DataError(
                f"{self.path} holds results with other columns ({', '.join(lines[0])}); this run writes "
                f"{', '.join(self.columns)}: choose another --out or the same --emotions"
            )
        return {item_key(line["source"], line["frame"]) for line in lines}

    def write(self, lines: Sequence[Line]) -> None:
        """Append one chunk of lines, all or nothing."""
        self._writer.write(lines)

    def close(self) -> None:
        self._writer.close()
