"""The local engine: decode and predict in this process, chunk by chunk."""

from __future__ import annotations

import itertools
from collections.abc import Callable

from ..predict.model import FERModel
from .inputs import decode
from .results import ResultStore
from .work import predict_columns, records


def run_local(
    paths: list[str],
    fer: FERModel,
    store: ResultStore,
    *,
    fps: float,
    chunk: int,
    skip: set[str],
    progress: Callable[[int], None],
) -> int:
    """Process every input not in `skip`; returns the number of images (stills and frames) processed."""
    decoded = (d for p in paths for d in decode(p, fps, skip))
    done = 0
    while batch := list(itertools.islice(decoded, chunk)):
        store.write(records(predict_columns(fer, batch), fer.emotions))
        done += len(batch)
        progress(len(batch))
    return done
