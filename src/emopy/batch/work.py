"""The two steps every engine runs on columns of numpy arrays: locate faces in decoded images, classify the crops.

Columns (one entry per face, or one per input without a face): path, frame (-1 for a still image), time_s
(NaN for a still image), face (-1 when none), x, y, w, h, score, crop (S x S gray), error ("" when none).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..errors import EmopyError
from ..predict.model import FERModel
from .inputs import Decoded

NO_FACE = "no face found"


def locate(fer: FERModel, items: Iterable[Decoded]) -> dict[str, np.ndarray]:
    """Detect and align the faces of decoded images: one entry per face, one error entry per failed input."""
    size = fer.classifier.card.image_size
    rows: list[tuple] = []
    crops: list[np.ndarray] = []
    blank = np.zeros((size, size), np.uint8)
    for d in items:
        base = (d.path, d.frame, np.nan if d.time_s is None else d.time_s)
        error = d.error
        if error is None:
            try:
                dets, found = fer.locate(d.image)
            except (EmopyError, ValueError) as exc:  # a bad image must not stop the batch
                dets, found, error = [], [], str(exc)
            for i, (det, crop) in enumerate(zip(dets, found)):
                rows.append((*base, i, *(int(round(v)) for v in det.box), float(det.score), ""))
                crops.append(crop)
            if not dets and error is None:
                error = NO_FACE
        if error is not None:
            rows.append((*base, -1, -1, -1, -1, -1, np.nan, error))
            crops.append(blank)
    names = ("path", "frame", "time_s", "face", "x", "y", "w", "h", "score", "error")
    cols = {n: np.array([r[k] for r in rows], dtype=object if n in ("path", "error") else None) for k, n in enumerate(names)}
    if not rows:
        cols = {n: np.array([], dtype=object if n in ("path", "error") else np.float64) for n in names}
    cols["crop"] = np.stack(crops) if crops else np.zeros((0, size, size), np.uint8)
    return cols


def classify(fer: FERModel, cols: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The columns without the crops, plus one probability column per emotion and `dominant` ("" without a face)."""
    has_face = np.asarray(cols["face"]) >= 0
    probs = np.full((len(has_face), len(fer.emotions)), np.nan)
    if has_face.any():
        probs[has_face] = fer.classify(np.asarray(cols["crop"])[has_face])
    out = {k: v for k, v in cols.items() if k != "crop"}
    out.update({e: probs[:, i] for i, e in enumerate(fer.emotions)})
    out["dominant"] = np.array([fer.emotions[int(np.argmax(p))] if f else "" for p, f in zip(probs, has_face)], dtype=object)
    return out


def records(cols: dict[str, np.ndarray], emotions: list[str]) -> list[dict]:
    """Result rows as plain dicts: missing values are None, numbers are Python numbers."""
    n = len(cols["path"])
    out = []
    for i in range(n):
        face = int(cols["face"][i])
        t = float(cols["time_s"][i])
        row = {"path": str(cols["path"][i]), "frame": int(cols["frame"][i]), "time_s": None if np.isnan(t) else t, "face": face}
        if face >= 0:
            row.update({k: int(cols[k][i]) for k in ("x", "y", "w", "h")}, score=float(cols["score"][i]))
            row.update({e: float(cols[e][i]) for e in emotions}, dominant=str(cols["dominant"][i]), error=None)
        else:
            row.update({k: None for k in ("x", "y", "w", "h", "score", *emotions)}, dominant=None, error=str(cols["error"][i]))
        out.append(row)
    return out
