"""The Ray engine: Ray Data reads the inputs, a pool of actors decodes and predicts in `map_batches`.

Each actor builds its model once (`__init__`), not per batch. Its table lines travel to the driver as JSON text (one
string column: missing values stay None, with no stand-in numbers), which writes them in whole-input chunks to the
same `ResultStore` as the local engine, so both engines resume the same way and give the same rows.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..errors import require
from ..results import Line, table
from .inputs import MANIFEST_SUFFIXES, decode, item_key
from .results import ResultStore
from .work import predict_rows

READ_CPUS = 0.25  # reading a manifest is light


class Predict:
    """Ray actor: decode each path of a batch (videos to frames), then detect, align and classify its faces."""

    def __init__(self, model: str, emotions, detector: str, device: str | None, fps: float, skip: set[str]):
        from ..predict.model import FERModel

        self.fer = FERModel(emotions, model, detector=detector, threads=1, providers=device)
        self.fps, self.skip = fps, skip

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        rows = predict_rows(self.fer, (d for p in batch["path"] for d in decode(str(p), self.fps, self.skip)))
        return {"line": np.array([json.dumps(line) for line in table(rows, self.fer.emotions)], dtype=object)}


def connect(address: str | None):
    """ray.init: join `address` (or $RAY_ADDRESS); with neither, start a local Ray on this machine's CPUs."""
    ray = require("ray", "scale")
    logging.getLogger("ray.data").setLevel(logging.WARNING)  # its per-operator progress lines flood stderr
    if not ray.is_initialized():
        address = address or os.environ.get("RAY_ADDRESS") or None
        if address is None:
            os.environ.pop("RAY_ADDRESS", None)  # an empty value would make ray.init fail to parse it
        ray.init(
            address=address,
            include_dashboard=False,
            log_to_driver=False,
            configure_logging=False,
            **({} if address else {"num_cpus": os.cpu_count()}),
        )
    return ray


def dataset(ray, spec: str, paths: list[str]):
    """The inputs as a Ray Dataset of {"path"}: a manifest is read by Ray Data itself."""
    p = Path(spec)
    if p.is_file() and p.suffix.lower() in MANIFEST_SUFFIXES:
        read = ray.data.read_parquet if p.suffix.lower() == ".parquet" else ray.data.read_csv
        # a read task must fit beside the actors, which hold the CPUs: it asks for little
        ds = read(str(p), ray_remote_args={"num_cpus": READ_CPUS}).select_columns(["path"])
        base = p.parent  # relative paths resolve as in `manifest_paths`
        return ds.map(lambda row: {"path": str(base / str(row["path"]))})
    return ray.data.from_items([{"path": x} for x in paths])


def run_ray(
    spec: str,
    paths: list[str],
    store: ResultStore,
    *,
    model: str,
    emotions,
    detector: str,
    device: str | None,
    fps: float,
    chunk: int,
    skip: set[str],
    actors: int,
    address: str | None,
    progress: Callable[[int], object],  # told how many more items are done; what it returns is ignored
) -> int:
    """Process every input not in `skip` on Ray; returns the number of images (stills and frames) processed."""
    ray = connect(address)
    ctx = ray.data.DataContext.get_current()
    ctx.execution_options.preserve_order = True  # an input's faces stay together
    ctx.enable_progress_bars = False  # emopy's own bar counts images
    actors = actors or max(1, int(ray.cluster_resources().get("CPU", 1) - READ_CPUS))
    ds = dataset(ray, spec, paths)
    ds = ds.map_batches(
        Predict,
        fn_constructor_kwargs={
            "model": model,
            "emotions": emotions,
            "detector": detector,
            "device": device,
            "fps": fps,
            "skip": skip,
        },
        batch_size=4,
        concurrency=actors,
        num_cpus=1,
        batch_format="numpy",
    )

    def write(lines: list[Line]) -> int:
        """Store whole inputs' lines; how many inputs they were."""
        store.write(lines)
        n = len({item_key(line["source"], line["frame"]) for line in lines})
        progress(n)
        return n

    pending: list[Line] = []
    done = 0
    for batch in ds.iter_batches(batch_size=chunk, batch_format="numpy"):
        ready, pending = split_last_input(pending + [json.loads(text) for text in batch["line"]])
        done += write(ready)
    return done + write(pending)


def split_last_input(lines: list[Line]) -> tuple[list[Line], list[Line]]:
    """(lines of complete inputs, lines of the last input), which may go on in the next batch."""
    cut = len(lines)
    last = item_key(lines[-1]["source"], lines[-1]["frame"]) if lines else None
    while cut and item_key(lines[cut - 1]["source"], lines[cut - 1]["frame"]) == last:
        cut -= 1
    return lines[:cut], lines[cut:]
