"""Frame rows flattened to table lines (one per face per frame) with fixed columns and types, and as a DataFrame."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

from ..errors import require
from .rows import FrameRow, TrackedFaceRow

Line = dict[str, Any]  # one table line: column name -> value (None where empty)

INTEGER = frozenset({"frame", "face", "x", "y", "w", "h"})
TEXT = frozenset({"source", "dominant", "error"})  # every other column holds a float


def columns(emotions: Sequence[str], smoothed: bool = False) -> list[str]:
    """source, frame, time_s, face, x, y, w, h, score, <emotion>..., [smoothed_<emotion>...,] dominant, error."""
    tracked = [f"smoothed_{e}" for e in emotions] if smoothed else []
    return ["source", "frame", "time_s", "face", "x", "y", "w", "h", "score", *emotions, *tracked, "dominant", "error"]


def kind(column: str) -> type:
    """The column's type: int, str or float."""
    return int if column in INTEGER else str if column in TEXT else float


def lines(row: FrameRow, emotions: Sequence[str], smoothed: bool = False) -> list[Line]:
    """The frame row's table lines: one per face, or one with empty face columns for a frame without a face."""
    base: Line = {"source": row["source"], "frame": row["frame"], "time_s": row["time_s"]}
    if not row["faces"]:
        return [{c: base.get(c) for c in columns(emotions, smoothed)} | {"error": row["error"]}]
    out = []
    for f in row["faces"]:
        x, y, w, h = f["box"]
        line = base | {"face": f["face"], "x": x, "y": y, "w": w, "h": h, "score": f["score"]}
        line |= {e: f["emotions"][e] for e in emotions}
        if smoothed:  # a video's rows: their faces are tracked ones
            line |= {f"smoothed_{e}": cast(TrackedFaceRow, f)["smoothed"][e] for e in emotions}
        out.append(line | {"dominant": f["dominant"], "error": row["error"]})
    return out


def table(rows: Iterable[FrameRow], emotions: Sequence[str], smoothed: bool = False) -> list[Line]:
    """The table lines of many frame rows, in order."""
    return [line for row in rows for line in lines(row, emotions, smoothed)]


def to_pandas(table_lines: Iterable[Line], cols: Sequence[str]):
    """A pandas DataFrame of table lines with these columns: whole-number columns as nullable Int64 (pandas extra)."""
    pd = require("pandas", "pandas")
    df = pd.DataFrame.from_records(list(table_lines), columns=list(cols))
    return df.astype({c: "Int64" if kind(c) is int else object if kind(c) is str else "float64" for c in cols})
