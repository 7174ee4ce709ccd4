"""The step every batch engine runs: `FERModel.predict_batch` over decoded images, as columns of numpy arrays.

Columns (one entry per face, or one per input without a face): path, frame (-1 for a still image), time_s
(NaN for a still image), face (-1 when none), x, y, w, h, score, error ("" when none), one probability column
per emotion and dominant ("" without a face).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..predict.model import FERModel
from .inputs import Decoded

NO_FACE = "no face found"


def predict_columns(fer: FERModel, items: Iterable[Decoded]) -> dict[str, np.ndarray]:
    """Faces of decoded images as columns: one entry per face, one error entry per failed input or input without a
    face."""
    items = list(items)
    found = iter(fer.predict_batch([d.image for d in items if d.error is None], errors="keep"))
    names = ("path", "frame", "time_s", "face", "x", "y", "w", "h", "score", "error", *fer.emotions, "dominant")
    rows: list[tuple] = []
    for d in items:
        base = (d.path, d.frame, np.nan if d.time_s is None else d.time_s)
        r = next(found) if d.error is None else None
        error = d.error if r is None else r.error
        if r is not None and error is None:
            for i, (face, p) in enumerate(zip(r.faces, r.probs)):
                rows.append((*base, i, *face.box, face.score, "", *p, face.dominant))
            error = None if r.faces else NO_FACE
        if error is not None:
            rows.append((*base, -1, -1, -1, -1, -1, np.nan, error, *[np.nan] * len(fer.emotions), ""))
    text = {"path", "error", "dominant"}
    return {
        n: np.array([r[k] for r in rows], dtype=object if n in text else np.float64 if not rows else None)
        for k, n in enumerate(names)
    }


def records(cols: dict[str, np.ndarray], emotions: list[str]) -> list[dict]:
    """Result rows as plain dicts: missing values are None, numbers are Python numbers."""
    n = len(cols["path"])
    out = []
    for i in range(n):
        face = int(cols["face"][i])
        t = float(cols["time_s"][i])
        row = {
            "path": str(cols["path"][i]),
            "frame": int(cols["frame"][i]),
            "time_s": None if np.isnan(t) else t,
            "face": face,
        }
        if face >= 0:
            row.update({k: int(cols[k][i]) for k in ("x", "y", "w", "h")}, score=float(cols["score"][i]))
            row.update({e: float(cols[e][i]) for e in emotions}, dominant=str(cols["dominant"][i]), error=None)
        else:
            row.update(
                {k: None for k in ("x", "y", "w", "h", "score", *emotions)}, dominant=None, error=str(cols["error"][i])
            )
        out.append(row)
    return out
