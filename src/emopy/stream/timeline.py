"""Timelines of stream results: per-frame per-face rows, per-second and per-track summaries, CSV/JSON writers."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from .stream import Row, StreamFrame, columns, values


def rows(frames: Iterable[StreamFrame]) -> list[Row]:
    """One row per face per frame."""
    return [Row(fr.index, fr.t, f) for fr in frames for f in fr.faces]


def _argmax(mean: dict[str, float]) -> str:
    return max(mean, key=mean.__getitem__)


def _means(items: Sequence[Row]) -> dict[str, float]:
    labels = list(items[0].face.emotions)
    m = np.mean([[r.face.emotions[e] for e in labels] for r in items], axis=0)
    return {e: float(v) for e, v in zip(labels, m)}


def summary(table: Sequence[Row], frames: int | None = None, dropped: int = 0) -> dict:
    """Dominant emotion (argmax of mean raw probabilities) per whole second and per track."""
    by_second: dict[int, list[Row]] = defaultdict(list)
    by_track: dict[int, list[Row]] = defaultdict(list)
    for r in table:
        by_second[int(r.t)].append(r)
        by_track[r.face.track_id].append(r)
    seconds = []
    for s in sorted(by_second):
        m = _means(by_second[s])
        seconds.append(
            {
                "second": s,
                "faces": len(by_second[s]),
                "dominant": _argmax(m),
                "mean": {k: round(v, 4) for k, v in m.items()},
            }
        )
    tracks = []
    for tid in sorted(by_track):
        items = by_track[tid]
        m = _means(items)
        tracks.append(
            {
                "track_id": tid,
                "frames": len(items),
                "start": round(items[0].t, 3),
                "end": round(items[-1].t, 3),
                "dominant": _argmax(m),
                "mean": {k: round(v, 4) for k, v in m.items()},
            }
        )
    return {"frames": frames, "dropped": dropped, "seconds": seconds, "tracks": tracks}


class TimelineWriter:
    """Writes rows as they are produced, so a killed run leaves a valid partial file.

    .csv and .jsonl get one line per face per frame, each frame's lines in one write, flushed; .json (rows and
    the summary in one document) is written at `close`, to a temporary file renamed into place.
    """

    SUFFIXES = (".csv", ".jsonl", ".json")

    def __init__(self, path: str | Path, labels: Sequence[str]):
        self.path, self.labels = Path(path), list(labels)
        self.kind = self.path.suffix.lower()
        if self.kind not in self.SUFFIXES:
            raise ValueError(f"{self.path}: the timeline is written as .csv, .jsonl or .json")
        self._fh = None if self.kind == ".json" else self.path.open("w", newline="")
        if self.kind == ".csv":
            self._put([columns(self.labels)])

    def _put(self, lines: list[list]) -> None:
        buf = io.StringIO()
        csv.writer(buf).writerows(lines)
        self._fh.write(buf.getvalue())
        self._fh.flush()

    def write(self, rows: Sequence[Row]) -> None:
        """The rows of one processed frame (.json: nothing until `close`)."""
        if not rows or self._fh is None:
            return
        if self.kind == ".csv":
            self._put([[_cell(v) for v in values(r, self.labels)] for r in rows])
        else:
            self._fh.write("".join(json.dumps(r.to_dict()) + "\n" for r in rows))
            self._fh.flush()

    def close(self, table: Sequence[Row], summary_: dict) -> None:
        """Finish the file; .json gets the whole `table` and `summary_` now."""
        if self._fh:
            self._fh.close()
            return
        tmp = self.path.with_name(self.path.name + ".part")
        tmp.write_text(json.dumps({"summary": summary_, "rows": [r.to_dict() for r in table]}, indent=1))
        tmp.replace(self.path)


def _cell(v) -> str | int:
    """A CSV cell: floats to 4 decimals, None as empty."""
    return "" if v is None else f"{v:.4f}" if isinstance(v, float) else v
