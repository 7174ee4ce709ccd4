"""A training recipe: every setting of `emopy train` in one validated object, read from YAML or JSON.

Settings are grouped (data, model, optimisation, augment, regularisation, averaging, distillation, precision,
processes). Every check of a value is a validator here and none imports torch, so a bad name or number fails in
milliseconds, naming its field, before any data loads. Shipped recipes (`emopy/recipes/NAME.yaml`) record how the
shipped models were trained; a run keeps its recipe in its checkpoint, in `RUN/recipe.yaml` and in each exported
card ("training" -> "recipe").

Research levers stay reachable through a recipe file or `emopy train --set FIELD=VALUE`, not as flags. Measured on
FER2013 / FER+ (numbers in benchmarks/RESULTS.md): SWA (`averaging.swa_start`) and mixup (`regularisation.mixup`)
negative, the `rotate` augmentation negative, distillation from scratch negative (as a fine-tune it made the shipped
`vgg_wide.fer2013`), EMA (`averaging.ema`) neutral at the end of a one-cycle schedule, SAM (`regularisation.sam`)
inconclusive, CutMix not measured alone; WiSE-FT (`averaging.average_init`) shipped.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails

from ..emotions import resolve, resolve_many
from ..errors import ConfigError, did_you_mean
from ..models import MODELS, model_info
from ..portable import portable
from ..structured import field_errors, read_mapping

RECIPES_DIR = Path(__file__).resolve().parent.parent / "recipes"
RECIPE_FILE = "recipe.yaml"  # a run folder's copy; the file the processes of a data-parallel run read
HEADS = ("fer2013", "ferplus")
# where and how fast a run goes, not what it learns: a run may resume with other values of these
# (the data's label sets are compared on their own, as the checkpoint's heads)
NOT_LEARNT = ("data", "threads", "nproc", "export")


def _items(value: Any) -> Any:
    """A comma-separated string (as the command line writes a list) as the list of its items."""
    return [v.strip() for v in value.split(",") if v.strip()] if isinstance(value, str) else value


def _home(value: Any) -> Any:
    """A path (or list of them) with a leading ~ as this user's home folder (cards write it so)."""
    if isinstance(value, list):
        return [_home(v) for v in value]
    return os.path.expanduser(value) if isinstance(value, str) and value.startswith("~") else value


class _Group(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Data(_Group):
    """What the run learns from (paths relative to the working folder)."""

    path: str | None = None  # FER2013 CSV, class folders or sequence folders
    ferplus_labels: str | None = None  # the FER+ vote file (fer2013new.csv) joined with a FER2013 CSV
    emotions: list[str] | None = None  # a subset, aliases allowed; None = every class of the data
    heads: list[str] | None = None  # label sets one model learns: fer2013, ferplus, or both (a joint model)
    soft_labels: bool = False  # the FER+ head learns the vote distributions
    merges: dict[str, str] = {}  # single-head runs: classes merged after the subset, e.g. {disgust: anger}
    frames: int = Field(3, ge=1)  # frames per window (sequence models)
    limit: int = Field(0, ge=0)  # only the first N images of each split (quick runs); 0 = all

    def dataset(self) -> str:
        """The dataset path; a ConfigError when the recipe names none (a recipe may leave it to --data)."""
        if self.path is None:
            raise ConfigError("data.path: no dataset; give --data or data.path in the recipe")
        return self.path

    @field_validator("emotions", "heads", mode="before")
    @classmethod
    def _listed(cls, value: Any) -> Any:
        return _items(value)

    @field_validator("path", "ferplus_labels")
    @classmethod
    def _paths(cls, value: str | None) -> str | None:
        return _home(value)

    @field_validator("emotions")
    @classmethod
    def _canonical(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else resolve_many(value)

    @field_validator("heads")
    @classmethod
    def _known_heads(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and (set(value) - set(HEADS) or len(set(value)) != len(value) or not value):
            raise ValueError(f"heads are fer2013 and/or ferplus, each once; got {value}")
        return value

    @field_validator("merges")
    @classmethod
    def _merged_emotions(cls, value: dict[str, str]) -> dict[str, str]:
        return {resolve(k): resolve(v) for k, v in value.items()}


class ModelSettings(_Group):
    """The network and where its weights start."""

    arch: str = "vgg_small"  # a registered architecture (`emopy archs`)
    args: dict[str, Any] = {}  # its options, e.g. {weights: runs/x/best-ferplus.pt, freeze: true} or {frames: 5}
    init: str = ""  # fine-tune from these weights (shipped name, .onnx, int8 .onnx, best-*.pt); "" = random

    @field_validator("init")
    @classmethod
    def _path(cls, value: str) -> str:
        return _home(value)

    @field_validator("arch")
    @classmethod
    def _registered(cls, name: str) -> str:
        MODELS.get(name)  # UnknownNameError (a ValueError) names the close ones
        return name


class Optimisation(_Group):
    """SGD with Nesterov momentum, one learning-rate schedule, early stopping."""

    epochs: int = Field(30, ge=1)
    batch_size: int = Field(64, ge=2)  # the global batch (split over the processes of a data-parallel run)
    lr: float = Field(0.05, ge=0)  # the peak (onecycle) or starting learning rate
    momentum: float = Field(0.9, ge=0, lt=1)
    weight_decay: float = Field(5e-4, ge=0)
    schedule: Literal["onecycle", "cosine", "constant"] = "onecycle"
    seed: int = Field(0, ge=0)
    patience: int = Field(0, ge=0)  # stop after N epochs without a gain of the first head on validation; 0 = off


class Regularisation(_Group):
    """What keeps the network from memorising FER2013's noisy labels."""

    label_smoothing: float = Field(0.1, ge=0, lt=1)
    class_weights: Literal["none", "balanced"] = "none"  # balanced: loss weighted by inverse class frequency
    mixup: float = Field(0.0, ge=0)  # Beta alpha of mixup (blend faces and targets); 0 = off; measured negative
    cutmix: float = Field(0.0, ge=0)  # Beta alpha of CutMix (paste a box of another face); with mixup, one per batch
    sam: float = Field(0.0, ge=0, lt=1)  # radius of sharpness-aware minimisation (two passes per step); 0 = off


class Averaging(_Group):
    """Which weights are selected and exported: the trained ones, or an average."""

    swa_start: int = Field(0, ge=0)  # average every epoch's weights from this one on (SWA); 0 = off; measured negative
    ema: float = Field(0.0, ge=0, lt=1)  # per-step moving-average decay, e.g. 0.999; 0 = off
    average_init: float = Field(0.0, ge=0, lt=1)  # share of the model.init weights in the export (WiSE-FT); 0 = off


class Distillation(_Group):
    """Targets blended with teacher models' flip-TTA predictions (labels get 1 - weight)."""

    teachers: list[str] = []  # shipped names or .onnx files; their predictions are averaged
    weight: float = Field(0.5, gt=0, le=1)

    @field_validator("teachers", mode="before")
    @classmethod
    def _listed(cls, value: Any) -> Any:
        return _home(_items(value))


class Recipe(_Group):
    """Everything `emopy train` needs besides the run folder, validated as a whole."""

    data: Data = Data()
    model: ModelSettings = ModelSettings()
    optimisation: Optimisation = Optimisation()
    augment: list[str] = ["crop", "flip"]  # batch augmentations in order (emopy.data.augment); [] or "none" = none
    regularisation: Regularisation = Regularisation()
    averaging: Averaging = Averaging()
    distillation: Distillation = Distillation()
    precision: Literal["fp32", "bf16"] = "fp32"  # bf16: autocast, needs a CPU with native bf16
    threads: int = Field(0, ge=0)  # torch CPU threads per process; 0 = torch's default
    nproc: int = Field(1, ge=1)  # data-parallel processes on this machine (torchrun, gloo)
    export: bool = True  # export, score and plot ONNX models at the end

    @field_validator("augment", mode="before")
    @classmethod
    def _augment_list(cls, value: Any) -> Any:
        return [] if value in ("none", None) else _items(value)

    @field_validator("augment")
    @classmethod
    def _known_augment(cls, value: list[str]) -> list[str]:
        from ..data.augment import AUGMENTATIONS

        unknown = [a for a in value if a not in AUGMENTATIONS]
        if unknown:
            raise ValueError(f"unknown augmentation(s) {unknown}; choose from {', '.join(AUGMENTATIONS)}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Recipe:
        """Checks across fields; each message names its fields."""
        data, epochs = self.data, self.optimisation.epochs
        if data.heads and len(data.heads) > 1 and not data.ferplus_labels:
            raise ValueError("data.heads: a joint fer2013+ferplus model needs data.ferplus_labels (--ferplus-labels)")
        if data.merges and data.heads and len(data.heads) > 1:
            raise ValueError("data.merges: class merges apply to single-head runs only")
        if self.averaging.swa_start and self.averaging.ema:
            raise ValueError("averaging: choose one weight average, swa_start or ema")
        if self.averaging.swa_start > epochs:
            raise ValueError(
                f"averaging.swa_start must be between 1 and optimisation.epochs ({epochs}) or 0 (off), "
                f"got {self.averaging.swa_start}"
            )
        if self.averaging.average_init and not self.model.init:
            raise ValueError("averaging.average_init averages the export with the starting weights: give model.init")
        if self.distillation.teachers and model_info(self.model.arch).temporal:
            raise ValueError(
                "distillation.teachers: distillation needs still images; sequence models are not supported"
            )
        if self.optimisation.batch_size % self.nproc:
            raise ValueError(
                f"optimisation.batch_size {self.optimisation.batch_size} does not split over {self.nproc} processes"
            )
        return self

    # ---- changing, reading, writing ----------------------------------------------------------------
    def with_values(self, values: Mapping[str, Any]) -> Recipe:
        """A copy with fields replaced by their dotted names (`{"optimisation.lr": 0.01}`), validated as a whole."""
        tree = self.model_dump()
        for key, value in values.items():
            *groups, leaf = key.split(".")
            node = tree
            for part in groups:
                node = node.setdefault(part, {})
                if not isinstance(node, dict):
                    raise ConfigError(f"{key}: {part} is a value, not a group of fields")
            node[leaf] = value
        return parse_recipe(tree)

    def learnt(self) -> dict[str, Any]:
        """Dotted field -> value for what decides the weights (a resumed run must match its checkpoint here)."""
        return {k: v for k, v in _dotted(self.model_dump(mode="json")).items() if k.split(".")[0] not in NOT_LEARNT}

    def record(self) -> dict[str, Any]:
        """Plain JSON for a model card: every field, paths under the home folder written with `~`."""
        return _portable(self.model_dump(mode="json"))

    def to_yaml(self) -> str:
        """Every field as YAML, in the order of the groups."""
        import yaml

        return yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False)

    def save(self, path: str | Path) -> Path:
        """Write the recipe as a YAML file that `load_recipe` reads back; returns its path."""
        path = Path(path)
        path.write_text(self.to_yaml(), encoding="utf-8")
        return path


# The flat option names of runs made before recipes (checkpoints' "config" and the shipped cards), as fields.
FLAT_FIELDS = {
    "arch": "model.arch",
    "model_kwargs": "model.args",
    "init": "model.init",
    **{k: f"optimisation.{k}" for k in ("epochs", "batch_size", "lr", "momentum", "weight_decay", "schedule", "seed")},
    "patience": "optimisation.patience",
    **{k: f"regularisation.{k}" for k in ("label_smoothing", "class_weights", "mixup", "cutmix", "sam")},
    **{k: f"averaging.{k}" for k in ("swa_start", "ema", "average_init")},
    "augment": "augment",
    "precision": "precision",
    "threads": "threads",
    "teacher": "distillation.teachers",
}
RUN_FIELDS = {  # run.json of those runs
    "data": "data.path",
    "ferplus_labels": "data.ferplus_labels",
    "soft": "data.soft_labels",
    "subset": "data.emotions",
    "frames": "data.frames",
    "limit": "data.limit",
}


def from_flat(config: Mapping[str, Any], run: Mapping[str, Any] | None = None) -> Recipe:
    """The recipe of a run made before recipes: its flat training config (and its run.json's data settings)."""
    unknown = set(config) - set(FLAT_FIELDS) - {"distill"}
    if unknown:
        raise ConfigError(f"training config fields {sorted(unknown)} have no recipe field")
    values = {FLAT_FIELDS[k]: v for k, v in config.items() if k in FLAT_FIELDS}
    if config.get("teacher"):  # (without teachers the old weight was stored as 0)
        values["distillation.weight"] = config["distill"]
    run = run or {}
    values |= {RUN_FIELDS[k]: v for k, v in run.items() if k in RUN_FIELDS and v is not None}
    if set(run.get("heads") or []) <= set(HEADS) and run.get("heads"):  # other runs' single head had a default name
        values["data.heads"] = run["heads"]
    if run.get("merges"):
        values["data.merges"] = run["merges"]
    return Recipe().with_values(values)


def from_stored(config: Mapping[str, Any], run: Mapping[str, Any] | None = None) -> Recipe:
    """A checkpoint's recipe: stored as one (nested), or as the flat config of a run made before recipes."""
    return parse_recipe(config) if "optimisation" in config else from_flat(config, run)


def parse_recipe(data: Any, source: str = "recipe") -> Recipe:
    """A validated Recipe from parsed YAML/JSON; ConfigError lists every problem by its field."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: a recipe is a mapping of fields (data, model, optimisation, ...)")
    try:
        return Recipe.model_validate(data)
    except ValidationError as exc:
        lines = field_errors(exc, _unknown_field)
        raise ConfigError(f"{source}: invalid recipe:\n  " + "\n  ".join(lines)) from None


def load_recipe(name: str | Path | None) -> Recipe:
    """A recipe file (.yaml, .yml, .json), a shipped recipe by model name or alias, or the defaults (None)."""
    if name is None:
        return Recipe()
    path = recipe_path(str(name))
    return parse_recipe(read_mapping(path, "recipe", ConfigError), str(name))


def shipped_recipes() -> list[str]:
    """Names of the recipes shipped in the package (one per shipped model)."""
    return sorted(p.stem for p in RECIPES_DIR.glob("*.yaml"))


def recipe_path(name: str) -> Path:
    """The file of a recipe: a path as given, else a shipped recipe (`vgg_wide.ferplus`, `ferplus`, `default`)."""
    path = Path(name).expanduser()
    if path.suffix.lower() in (".yaml", ".yml", ".json") or "/" in name:
        if not path.is_file():
            raise ConfigError(f"{name}: no such recipe file")
        return path
    from ..cards import get_weights, names

    model = get_weights(name).name if name in names() else name
    shipped = RECIPES_DIR / f"{model.removesuffix('.int8')}.yaml"
    if shipped.is_file():
        return shipped
    known = shipped_recipes()
    raise ConfigError(
        f"unknown recipe {name!r}{did_you_mean(name, known, n=1)} "
        f"(shipped: {', '.join(known)}; or give a .yaml/.json file)"
    )


def parse_assignments(items: Iterable[str]) -> dict[str, Any]:
    """`FIELD=VALUE` strings (`--set`) as {field: value}; values read as YAML: 0.01, true, [crop, flip], text."""
    import yaml

    out = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set expects FIELD=VALUE (e.g. optimisation.lr=0.01), got {item!r}")
        try:
            value = yaml.safe_load(text) if text.strip() else ""
        except yaml.YAMLError:
            value = text
        out[key.strip()] = value
    return out


# ---- helpers ---------------------------------------------------------------------------------------
def _dotted(tree: Mapping[str, Any]) -> dict[str, Any]:
    """A dumped recipe as {"group.field": value}; free-form dicts (model.args, data.merges) stay values."""
    out: dict[str, Any] = {}
    for k, v in tree.items():
        if isinstance(Recipe.model_fields[k].default, BaseModel):
            out |= {f"{k}.{field}": x for field, x in v.items()}
        else:
            out[k] = v
    return out


def field_names() -> list[str]:
    """Every field of a recipe by its dotted name (what `--set` takes)."""
    return list(_dotted(Recipe().model_dump()))


def _unknown_field(error: ErrorDetails) -> str | None:
    """The message for a field that does not exist: the closest real ones."""
    if error["type"] != "extra_forbidden":
        return None
    given, names = ".".join(map(str, error["loc"])), field_names()
    close = (
        difflib.get_close_matches(given, names + list(Recipe.model_fields), n=1, cutoff=0.8)
        or [n for n in names if difflib.get_close_matches(given.split(".")[-1], [n.split(".")[-1]], cutoff=0.8)][:2]
    )
    return "no such field" + (f"; did you mean {' or '.join(close)}?" if close else " (fields: docs/training.md)")


def _portable(value: Any) -> Any:
    """Every string in a dumped recipe with the home folder as `~`."""
    if isinstance(value, dict):
        return {k: _portable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_portable(v) for v in value]
    return portable(value) if isinstance(value, str) else value
