"""`emopy train` as a function of a recipe: check the machine, load data, build heads, fit, then test, plot and
export; rebuild a finished run from its folder."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import numpy as np

from ..errors import ConfigError, ModelFileError, require

torch = require("torch", "train")

from ..data import load_dataset, split_by_group  # noqa: E402
from ..data.dataset import Dataset  # noqa: E402
from ..portable import portable  # noqa: E402
from . import distributed  # noqa: E402
from .recipe import RECIPE_FILE, Data, Recipe, from_stored, load_recipe  # noqa: E402
from .tasks import Head, head_from  # noqa: E402
from .trainer import Trainer, refuse_another_run  # noqa: E402


def build_heads(data: Data) -> tuple[np.ndarray, np.ndarray, list[Head], Dataset]:
    """Images, split and heads for training as the recipe's `data` says: one head, or the fer2013 and ferplus
    heads of a joint model; the first `limit` images of each split when a limit is set."""
    path = data.dataset()
    if data.heads and len(data.heads) > 1:
        base = load_dataset(path, kind="fer2013", emotions=data.emotions)
        plus = load_dataset(path, ferplus_labels=data.ferplus_labels, emotions=data.emotions)
        by_name = {"fer2013": (base, False), "ferplus": (plus, data.soft_labels)}
        images, split, ds = base.images, base.split, base
        heads = [head_from(by_name[h][0], h, by_name[h][1], ids=base.ids) for h in data.heads]
    else:
        ds = load_dataset(path, ferplus_labels=data.ferplus_labels, emotions=data.emotions, frames=data.frames)
        ds = split_by_group(ds.merge(data.merges) if data.merges else ds)
        name = data.heads[0] if data.heads else ("ferplus" if data.ferplus_labels else "emotions")
        images, split, heads = ds.images, ds.split, [head_from(ds, name, data.soft_labels)]
    if split is None:
        raise ConfigError(f"{path}: the dataset has no training/validation split")
    if data.limit:
        idx = first_per_split(split, data.limit)
        images, split, heads = images[idx], split[idx], [h.take(idx) for h in heads]
    return images, split, heads, ds


def first_per_split(split: np.ndarray, limit: int) -> np.ndarray:
    """Indices of the first `limit` images of each split (for quick runs on a slice)."""
    return np.sort(np.concatenate([np.flatnonzero(split == s)[:limit] for s in np.unique(split)]))


def preflight(recipe: Recipe) -> None:
    """What a valid recipe still needs from this machine, checked before any data loads: a dataset named, the
    starting weights and teachers found, native bf16 where asked for."""
    from ..cards import resolve_model

    recipe.data.dataset()
    sources = [("model.init", recipe.model.init)] if recipe.model.init else []
    for field, name in sources + [("distillation.teachers", t) for t in recipe.distillation.teachers]:
        try:
            resolve_model(name)
        except ModelFileError as exc:
            raise ConfigError(f"{field}: {exc}") from None
    if recipe.precision == "bf16" and not torch.ops.mkldnn._is_mkldnn_bf16_supported():
        raise ConfigError(
            "precision: bf16 needs a CPU with native bf16 (AVX512_BF16 or AMX); this one would "
            "emulate it about 10x slower than fp32 (benchmarks/RESULTS.md); use fp32"
        )


def train(recipe: Recipe, out: str | Path) -> dict:
    """Train as `recipe` says into the run folder `out` (resuming it), then evaluate each head on its test split,
    write plots and export ONNX files. With `nproc` > 1 outside torchrun, starts the processes and returns {}."""
    out = Path(out)
    preflight(recipe)
    if recipe.nproc > 1 and not distributed.launched():
        ckpt = out / "checkpoint.pt"
        if ckpt.exists():  # another run's folder is refused before its recipe file is replaced
            refuse_another_run(torch.load(ckpt, map_location="cpu", weights_only=True)["config"], recipe, ckpt)
        out.mkdir(parents=True, exist_ok=True)
        distributed.launch(recipe.nproc, recipe.save(out / RECIPE_FILE), out)
        return {}
    world = distributed.init_from_env()  # torchrun: one of several processes; otherwise the only one
    images, split, head_list, ds = build_heads(recipe.data)
    if recipe.distillation.teachers:  # soft targets only matter for training; `load_run` rebuilds without them
        from .distill import distill_heads

        head_list = distill_heads(head_list, images, recipe.distillation.teachers, recipe.distillation.weight)
    trainer = Trainer(recipe, out, images, head_list, split)
    if trainer.try_resume() and world.main:  # (another run's folder is refused before anything of it is replaced)
        print(f"resumed from {out / 'checkpoint.pt'} after epoch {trainer.epoch}")
    if world.main:
        recipe.save(out / RECIPE_FILE)
        argv = sys.argv[1:]  # `emopy train ...` or `python -m emopy train ...` (torchrun)
        (out / "run.json").write_text(
            json.dumps(
                {
                    "source": ds.source,
                    "heads": [h.name for h in head_list],
                    "emotions": list(ds.label_names),
                    "command": portable("emopy " + shlex.join(argv)),
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

    result["heads"] = finish_run(trainer, export=recipe.export)
    return result


def load_run(out: str | Path) -> Trainer:
    """Rebuild a run's trainer from its folder (recipe, data, heads) at its last finished epoch."""
    out = Path(out)
    if (out / RECIPE_FILE).exists():
        recipe = load_recipe(out / RECIPE_FILE)
    else:  # a run made before recipes: its checkpoint's flat config and run.json's data settings
        state = torch.load(out / "checkpoint.pt", map_location="cpu", weights_only=True)
        recipe = from_stored(state["config"], json.loads((out / "run.json").read_text()))
    images, split, head_list, _ = build_heads(recipe.data)
    trainer = Trainer(recipe, out, images, head_list, split)
    trainer.try_resume()
    return trainer


def export_run(out: str | Path, average_init: float | None = None) -> dict:
    """Rebuild a run's trainer from its folder and export/score its selected weights; `average_init` (a share of
    the model.init weights, as the recipe's averaging.average_init) replaces the run's own."""
    from .finish import finish_run

    trainer = load_run(out)
    if average_init is not None:
        trainer.recipe = trainer.recipe.with_values({"averaging.average_init": average_init})
    return finish_run(trainer)
