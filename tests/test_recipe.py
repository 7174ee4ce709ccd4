"""Shipped recipes are the runs their models' cards record, field by field; recipes read, change and write back."""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path

import pytest

from emopy.cards import get_weights
from emopy.errors import ConfigError
from emopy.train.recipe import Recipe, field_names, from_flat, load_recipe, parse_recipe, shipped_recipes

ROOT = Path(__file__).resolve().parents[1]
# the default is `emopy fuse` of both heads of one joint run; since its members left the package, their cards
# (which record that run) are in git history
MEMBER_CARD = "fec2ad2:src/emopy/weights/vgg_small.ferplus.json"


def recorded(training: dict) -> Recipe:
    """The recipe a card's "training" record describes: its flat config plus the data options of its command."""
    args = shlex.split(training["command"])
    value = {flag: args[args.index(flag) + 1] for flag in ("--data", "--ferplus-labels", "--heads")}
    assert ("--soft-labels" in args) == training["soft_labels"]
    run = {
        "data": value["--data"],
        "ferplus_labels": value["--ferplus-labels"],
        "heads": value["--heads"].split(","),
        "soft": training["soft_labels"],
    }
    return from_flat(training["config"], run)


def member_card() -> dict:
    res = subprocess.run(["git", "show", MEMBER_CARD], cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(res.stdout)


def test_every_shipped_model_has_its_recipe():
    assert shipped_recipes() == ["vgg_small.crossdomain", "vgg_wide.fer2013", "vgg_wide.ferplus"]
    for alias in ("default", "fer2013", "ferplus"):  # by alias and by full name, as `emopy train --recipe` takes
        assert load_recipe(alias) == load_recipe(get_weights(alias).name)


@pytest.mark.parametrize("name", ["vgg_wide.ferplus", "vgg_wide.fer2013"])
def test_a_shipped_recipe_is_the_run_its_card_records(name):
    shipped = load_recipe(name)
    assert shipped.record() == recorded(get_weights(f"{name}.int8").card.training).record()


def test_the_default_recipe_is_the_run_its_fused_members_came_from():
    member = member_card()
    fused = get_weights("default").card.training["fusion"]["members"]
    assert {m["weights_sha256"] for m in fused} == {member["weights_sha256"]}  # both heads of this one run
    assert load_recipe("default").record() == recorded(member["training"]).record()


def test_recipes_round_trip_through_yaml_and_json(tmp_path):
    recipe = load_recipe("vgg_wide.fer2013").with_values(
        {"model.args.freeze": True, "data.heads": "ferplus", "data.merges": {"sad": "calm"}}
    )
    assert recipe.data.merges == {"sadness": "neutral"}  # emotion names resolved once, on reading
    assert load_recipe(recipe.save(tmp_path / "r.yaml")) == recipe
    (tmp_path / "r.json").write_text(json.dumps(recipe.model_dump(mode="json")))
    assert load_recipe(tmp_path / "r.json") == recipe
    assert parse_recipe(recipe.record()) == recipe  # a card's copy reads back (home folder as ~ and back)


def test_with_values_reaches_every_field_by_its_dotted_name():
    defaults = Recipe().model_dump(mode="json")
    for name in field_names():
        group, _, field = name.partition(".")
        before = defaults[group][field] if field else defaults[group]
        assert Recipe().with_values({name: before}) == Recipe(), name
    changed = Recipe().with_values({"optimisation.lr": 0.01, "augment": "none", "distillation.teachers": "a.onnx,b"})
    assert (changed.optimisation.lr, changed.augment, changed.distillation.teachers) == (0.01, [], ["a.onnx", "b"])
    with pytest.raises(ConfigError, match="precision is a value, not a group"):
        Recipe().with_values({"precision.kind": "bf16"})


@pytest.mark.parametrize(
    "values, complaint",
    [
        ({"data.heads": "fer2013,ferplus"}, "a joint fer2013+ferplus model needs data.ferplus_labels"),
        ({"data.heads": "fer2013,affectnet"}, "heads are fer2013 and/or ferplus"),
        ({"data.merges": {"disgust": "anger"}, "data.heads": "fer2013,ferplus", "data.ferplus_labels": "v.csv"},
         "class merges apply to single-head runs only"),
        ({"averaging.ema": 0.99, "averaging.swa_start": 1}, "choose one weight average"),
        ({"averaging.average_init": 0.5}, "give model.init"),
        ({"distillation.teachers": "ferplus", "model.arch": "ConvolutionalLstmNN"}, "sequence models"),
        ({"nproc": 3}, "optimisation.batch_size 64 does not split over 3 processes"),
        ({"optimisation.epochs": 0}, "optimisation.epochs: Input should be greater than or equal to 1"),
        ({"regularisation.class_weights": "inverse"}, "regularisation.class_weights: Input should be 'none' or"),
    ],
)  # fmt: skip
def test_checks_across_fields_name_the_fields(values, complaint):
    with pytest.raises(ConfigError, match="invalid recipe") as err:
        Recipe().with_values(values)
    assert complaint in str(err.value)


def test_runs_made_before_recipes_read_as_recipes():
    """A flat training config (old checkpoints and cards): every option maps to a field; an unknown one is refused."""
    old = {"arch": "vgg_wide", "teacher": [], "distill": 0.0, "model_kwargs": {"frames": 5}, "augment": ["flip"]}
    recipe = from_flat(old, {"data": "x.csv", "subset": ["calm", "happy"], "heads": ["emotions"], "merges": None})
    assert (recipe.model.arch, recipe.model.args, recipe.augment) == ("vgg_wide", {"frames": 5}, ["flip"])
    assert recipe.data.emotions == ["neutral", "happiness"] and recipe.data.heads is None  # a default head name
    assert recipe.distillation == Recipe().distillation  # no teachers: the stored weight 0 meant "off"
    with pytest.raises(ConfigError, match=r"\['dropout'\] have no recipe field"):
        from_flat({"dropout": 0.5})
