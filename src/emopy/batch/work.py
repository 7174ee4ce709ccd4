"""The step every batch engine runs: a `Recognizer`'s `predict_batch` over decoded images, as frame rows
(emopy.results): one per still image or video frame, with the error that stopped it when it could not be read."""

from __future__ import annotations

from collections.abc import Iterable

from ..recognizer import Recognizer
from ..results import FrameRow, frame_row
from .inputs import Decoded


def predict_rows(fer: Recognizer, items: Iterable[Decoded]) -> list[FrameRow]:
    """The frame row of each decoded image, in order; images that failed to decode or locate keep their error."""
    items = list(items)
    found = iter(fer.predict_batch([d.image for d in items if d.image is not None], errors="keep"))
    rows = []
    for d in items:
        r = next(found) if d.image is not None else None
        error = d.error if r is None else r.error
        faces = [f.to_row(i) for i, f in enumerate(r.faces)] if r is not None and error is None else []
        rows.append(frame_row(d.path, d.frame, d.time_s, faces, error))
    return rows
