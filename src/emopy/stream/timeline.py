"""Timelines of stream results: per-frame per-face rows, per-second and per-track summaries, CSV/JSON writers."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .stream import StreamFrame, TrackedFace


@dataclass(frozen=True)
class Row:
    """One face in one frame, flattened for a table."""

    frame: int
    t: float
    face: TrackedFace

    def to_dict(self) -> dict:
        d = self.face.to_dict()
        d.pop("confidence")
        return {"frame": self.frame, "t": round(self.t, 4), **d}


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


def write_csv(path: str | Path, table: Sequence[Row], labels: Sequence[str]) -> None:
    """frame,t,track_id,x,y,w,h,score,<emotion>...,smoothed_<emotion>...,dominant."""
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "frame",
                "t",
                "track_id",
                "x",
                "y",
                "w",
                "h",
                "score",
                *labels,
                *(f"smoothed_{e}" for e in labels),
                "dominant",
            ]
        )
        for r in table:
            w.writerow(
                [
                    r.frame,
                    f"{r.t:.4f}",
                    r.face.track_id,
                    *r.face.box,
                    "" if r.face.score is None else f"{r.face.score:.4f}",
                    *(f"{r.face.emotions[e]:.4f}" for e in labels),
                    *(f"{r.face.smoothed[e]:.4f}" for e in labels),
                    r.face.dominant or "",
                ]
            )


def write_json(path: str | Path, table: Sequence[Row], summary_: dict) -> None:
    """{"summary": ..., "rows": [...]} ."""
    Path(path).write_text(json.dumps({"summary": summary_, "rows": [r.to_dict() for r in table]}, indent=1))
