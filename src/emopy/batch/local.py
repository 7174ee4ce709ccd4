"""The local engine: decode and predict in this process, chunk by chunk."""

from __future__ import annotations

import itertools
from collections.abc import Callable

from ..recognizer import Recognizer
from ..results import table
from .inputs import decode
from .results import ResultStore
from .work import predict_rows


def run_local(
    paths: list[str],
    fer: Recognizer,
    store: ResultStore,
    *,
    fps: float,
    chunk: int,
    skip: set[str],
    progress: Callable[[int], object],  # told how many more items are done; what it returns is ignored
) -> int:
    """Process every input not in `skip`; returns the number of images (stills and frames) processed."""
    decoded = (d for p in paths for d in decode(p, fps, skip))
    done = 0
    while batch := list(itertools.islice(decoded, chunk)):
        store.write(table(predict_rows(fer, batch), fer.emotions))
        done += len(batch)
        progress(len(batch))
    return done
