"""`run_batch`: inputs -> result rows (one per face) with the local or the Ray engine, resuming from `out`."""

from __future__ import annotations

import sys
from pathlib import Path

from tqdm.auto import tqdm

from ..errors import ConfigError
from ..predict.model import FERModel
from ..predict.runtime import execution_providers
from .inputs import is_video, read_inputs
from .results import ResultStore

ENGINES = ("local", "ray")


def run_batch(
    inputs: str | Path,
    out: str | Path,
    *,
    engine: str = "local",
    emotions=None,
    model: str = "default",
    detector: str = "auto",
    fps: float = 1.0,
    chunk: int = 64,
    actors: int = 0,
    ray_address: str | None = None,
    progress: bool = True,
    device: str | None = None,
) -> dict:
    """Predict every image (and video frame at `fps`) of `inputs` into `out` (table lines of emopy.results: .csv,
    .jsonl, else a Parquet dataset folder); inputs already there are skipped.

    `device`: where the classifier runs, in this process and in each Ray actor (see `execution_providers`).
    Returns {"inputs", "skipped", "processed", "rows", "out"}: processed counts still images and frames.
    """
    if engine not in ENGINES:
        raise ConfigError(f"unknown engine {engine!r}; use {' or '.join(ENGINES)}")
    if fps <= 0 or chunk < 1 or actors < 0:
        raise ConfigError("--fps must be > 0, --chunk >= 1 and --actors >= 0 (0 = one per CPU)")
    execution_providers(device)  # an unavailable device fails before the inputs are listed
    paths = read_inputs(inputs)
    fer = FERModel(emotions, model, detector=detector, providers=device)
    store = ResultStore(out, list(fer.emotions))
    skip = store.done_keys()
    total = None if any(is_video(p) for p in paths) else len(paths)
    bar = tqdm(
        total=total,
        initial=len(skip) if total else 0,
        unit="img",
        file=sys.stderr,
        disable=not progress,
        desc=f"emopy batch ({engine})",
    )
    try:
        if engine == "local":
            from .local import run_local

            n = run_local(paths, fer, store, fps=fps, chunk=chunk, skip=skip, progress=bar.update)
        else:
            from .ray_engine import run_ray

            n = run_ray(
                str(inputs),
                paths,
                store,
                model=model,
                emotions=list(fer.emotions),
                detector=detector,
                device=device,
                fps=fps,
                chunk=chunk,
                skip=skip,
                actors=actors,
                address=ray_address,
                progress=bar.update,
            )
    finally:
        bar.close()
        store.close()
    return {
        "inputs": len(paths),
        "skipped": len(skip),
        "processed": n,
        "rows": len(store.read()),
        "out": str(store.path),
    }
