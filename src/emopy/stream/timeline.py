"""Summaries of a video's table lines (emopy.results): the dominant emotion per second and per face (track), and the
`.json` timeline that holds both."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..results import Line


def _argmax(mean: dict[str, float]) -> str:
    return max(mean, key=mean.__getitem__)


def _means(items: Sequence[Line], labels: Sequence[str]) -> dict[str, float]:
    m = np.mean([[line[e] for e in labels] for line in items], axis=0)
    return {e: round(float(v), 4) for e, v in zip(labels, m)}


def summary(table: Sequence[Line], labels: Sequence[str], frames: int | None = None, dropped: int = 0) -> dict:
    """Dominant emotion (argmax of mean raw probabilities) per whole second and per face; lines without a face are
    left out."""
    by_second: dict[int, list[Line]] = defaultdict(list)
    by_face: dict[int, list[Line]] = defaultdict(list)
    for line in table:
        if line["face"] is not None:
            by_second[int(line["time_s"])].append(line)
            by_face[line["face"]].append(line)
    seconds = []
    for s in sorted(by_second):
        m = _means(by_second[s], labels)
        seconds.append({"second": s, "faces": len(by_second[s]), "dominant": _argmax(m), "mean": m})
    tracks = []
    for face in sorted(by_face):
        items = by_face[face]
        m = _means(items, labels)
        tracks.append(
            {
                "face": face,
                "frames": len(items),
                "start": items[0]["time_s"],
                "end": items[-1]["time_s"],
                "dominant": _argmax(m),
                "mean": m,
            }
        )
    return {"frames": frames, "dropped": dropped, "seconds": seconds, "tracks": tracks}


def write_json(path: str | Path, summary_: dict, table: Sequence[Line]) -> None:
    """The summary and every table line in one JSON document, written aside and renamed into place."""
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(json.dumps({"summary": summary_, "rows": list(table)}, indent=1))
    tmp.replace(path)
