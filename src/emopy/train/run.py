"""`emopy train` as a function: load data, build heads, fit, then test, plot and export."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import numpy as np

from ..data import load_dataset, split_by_group
from ..data.dataset import Dataset
from ..errors import ConfigError
from ..portable import portable
from . import distributed
from .tasks import Head, head_from
from .trainer import TrainConfig, Trainer


def build_heads(
    data: str | Path,
    ferplus_labels: str | Path | None,
    heads: list[str] | None,
    emotions=None,
    soft: bool = False,
    frames: int = 3,
    kind: str | None = None,
    merges: dict[str, str] | None = None,
) -> tuple[np.ndarray, np.ndarray, list[Head], Dataset]:
    """Images, split and heads for training; `heads` may be ["fer2013", "ferplus"] for a joint model.

    `merges` (single-head runs) merges classes after the subset, e.g. {"disgust": "anger"}.
    """
    if heads and set(heads) - {"fer2013", "ferplus"}:
        raise ConfigError(f"unknown head(s) {heads}; heads are fer2013 and ferplus")
    if heads and len(heads) > 1:
        if merges:
            raise ConfigError("class merges apply to single-head runs only")
        if ferplus_labels is None:
            raise ConfigError("a joint fer2013+ferplus model needs --ferplus-labels")
        base = load_dataset(data, kind="fer2013", emotions=emotions)
        plus = load_dataset(data, ferplus_labels=ferplus_labels, emotions=emotions)
        by_name = {"fer2013": (base, False), "ferplus": (plus, soft)}
        out = [head_from(by_name[h][0], h, by_name[h][1], ids=base.ids) for h in heads]
        return base.images, base.split, out, base
    ds = load_dataset(data, ferplus_labels=ferplus_labels, kind=kind, emotions=emotions, frames=frames)
    ds = split_by_group(ds.merge(merges) if merges else ds)
    name = heads[0] if heads else ("ferplus" if ferplus_labels else "emotions")
    return ds.images, ds.split, [head_from(ds, name, soft)], ds


def first_per_split(split: np.ndarray, limit: int) -> np.ndarray:
    """Indices of the first `limit` images of each split (for quick runs on a slice)."""
    return np.sort(np.concatenate([np.flatnonzero(split == s)[:limit] for s in np.unique(split)]))


def train(
    config: TrainConfig,
    data,
    out,
    *,
    ferplus_labels=None,
    heads=None,
    emotions=None,
    soft=False,
    frames: int = 3,
    limit: int = 0,
    export: bool = True,
    merges: dict[str, str] | None = None,
) -> dict:
    """Train, then evaluate each head on its test split, write plots and export ONNX files."""
    out = Path(out)
    world = distributed.init_from_env()  # torchrun: one of several processes; otherwise the only one
    images, split, head_list, ds = build_heads(data, ferplus_labels, heads, emotions, soft, frames, merges=merges)
    if limit:
        idx = first_per_split(split, limit)
        images, split, head_list = images[idx], split[idx], [h.take(idx) for h in head_list]
    if config.teacher:  # soft targets only matter for training; `export_run` rebuilds the trainer without them
        from .distill import distill_heads

        head_list = distill_heads(head_list, images, config.teacher, config.distill)
    trainer = Trainer(config, out, images, head_list, split)
    if world.main:
        argv = sys.argv[1:]  # `emopy train ...` or `python -m emopy train ...` (torchrun)
        (out / "run.json").write_text(
            json.dumps(
                {
                    "data": str(data),
                    "ferplus_labels": str(ferplus_labels) if ferplus_labels else None,
                    "heads": [h.name for h in head_list],
                    "soft": soft,
                    "source": ds.source,
                    "subset": emotions,
                    "merges": merges,
                    "frames": frames,
                    "limit": limit,
                    "command": portable("emopy " + shlex.join(argv)),
                    "emotions": list(ds.label_names),
                    "processes": world.size,
                },
                indent=1,
            )
        )
    result = trainer.fit()
    distributed.shutdown()
    if not world.main:  # the other processes only helped train
        return result
    from .finish import finish_run  # imported late: plots and export are only needed at the end

    result["heads"] = finish_run(trainer, export=export)
    return result


def load_run(out: str | Path) -> Trainer:
    """Rebuild a run's trainer from its folder (options, data, heads) at its last finished epoch."""
    import dataclasses

    import torch

    out = Path(out)
    info = json.loads((out / "run.json").read_text())
    state = torch.load(out / "checkpoint.pt", map_location="cpu", weights_only=True)
    cfg = TrainConfig(
        **{k: v for k, v in state["config"].items() if k in {f.name for f in dataclasses.fields(TrainConfig)}}
    )
    cfg.augment = tuple(cfg.augment)
    heads = info["heads"] if set(info["heads"]) <= {"fer2013", "ferplus"} else None  # else the default name "emotions"
    images, split, head_list, _ = build_heads(
        info["data"],
        info["ferplus_labels"],
        heads,
        info.get("subset"),
        info["soft"],
        info.get("frames", 3),
        merges=info.get("merges"),
    )
    if info.get("limit"):
        idx = first_per_split(split, info["limit"])
        images, split, head_list = images[idx], split[idx], [h.take(idx) for h in head_list]
    trainer = Trainer(cfg, out, images, head_list, split)
    trainer.try_resume()
    return trainer


def export_run(out: str | Path, average_init: float | None = None) -> dict:
    """Rebuild a run's trainer from its folder and export/score its selected weights; `average_init` (a share of
    the --init weights, as `emopy train --average-init`) replaces the run's own."""
    from .finish import finish_run
    from .trainer import check_average_init

    trainer = load_run(out)
    if average_init is not None:
        check_average_init(average_init, trainer.cfg.init)
        trainer.cfg.average_init = average_init
    return finish_run(trainer)
