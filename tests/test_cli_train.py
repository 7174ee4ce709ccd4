"""`emopy archs`, and the errors `emopy train` / `emopy evaluate` give a user."""

import json

import pytest

from _cli_helpers import QUICK, run_without

pytest.importorskip("torch", reason="the training CLI needs emopy-fer[train] (torch)")

from emopy.models import list_models, model_info  # noqa: E402


def test_archs_lists_every_model(cli):
    res = cli("archs")
    assert res.exit_code == 0, res.output
    lines = {line.split()[0]: line.split()[1] for line in res.output.splitlines() if line.strip()}
    assert set(lines) == set(list_models())
    for name, kind in lines.items():
        assert kind == ("sequence" if model_info(name).temporal else "image")


def test_train_unknown_emotion_is_a_clean_error(cli, blob_folders, tmp_path):
    res = cli(
        "train", "--arch", "vgg_small", "--data", blob_folders, "--out", tmp_path / "r", "--emotions", "happy,bored"
    )
    assert res.exit_code == 2 and "unknown emotion 'bored'" in res.output


def test_train_subset_of_emotions(cli, blob_folders, tmp_path):
    out = tmp_path / "r"
    res = cli(
        "train",
        "--arch",
        "ConvolutionalNNDropout",
        "--data",
        blob_folders,
        "--out",
        out,
        "--emotions",
        "calm,happy",
        "--epochs",
        1,
        *QUICK,
    )
    assert res.exit_code == 0, res.output
    assert json.loads((out / "run.json").read_text())["emotions"] == ["neutral", "happiness"]
    assert not list(out.glob("*.onnx"))  # export=false


def test_train_help_shows_the_everyday_options_only(cli):
    res = cli("train", "--help")
    options = [line.split()[0] for line in res.output.splitlines() if line.startswith("  --")]
    assert {"--recipe", "--set", "--data", "--out", "--arch", "--epochs", "--nproc"} <= set(options)
    assert len(options) <= 15, options


def test_a_bad_recipe_fails_before_torch_and_data_naming_each_field(tmp_path):
    """Every value is checked when the recipe is read: no torch import, no data read, no run folder made."""
    recipe = tmp_path / "bad.yaml"
    recipe.write_text(
        "model: {arch: vgg_smal}\noptimisation: {schedule: linear, epochs: 2}\naugment: crop,spin\n"
        "precision: fp16\ndistillation: {weight: 1.5}\n"
    )
    args = ["train", "--recipe", str(recipe), "--data", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "r")]
    res = run_without(["torch"], *args)
    assert res.returncode == 2, res.stderr
    for complaint in (
        f"{recipe}: invalid recipe:",
        "model.arch: unknown architecture 'vgg_smal'; did you mean vgg_small",
        "optimisation.schedule: Input should be 'onecycle', 'cosine' or 'constant'",
        "augment: unknown augmentation(s) ['spin']",
        "precision: Input should be 'fp32' or 'bf16'",
        "distillation.weight: Input should be less than or equal to 1",
    ):
        assert complaint in res.stderr, res.stderr
    assert "missing.csv" not in res.stderr and "torch" not in res.stderr and not (tmp_path / "r").exists()
    res = run_without(["torch"], *args[:2], "vgg_wide.ferplus", *args[3:], "--set", "averaging.swa_start=50")
    assert "averaging.swa_start must be between 1 and optimisation.epochs (40)" in res.stderr  # across fields too


def test_set_reaches_any_field_and_names_a_wrong_one(cli, tmp_path):
    def refused(*args) -> str:
        res = cli("train", "--data", tmp_path / "missing", "--out", tmp_path / "r", *args)
        assert res.exit_code == 2 and not (tmp_path / "r").exists()
        return res.output

    assert "optimisation.lrr: no such field; did you mean optimisation.lr?" in refused("--set", "optimisation.lrr=1")
    assert "lr: no such field; did you mean optimisation.lr?" in refused("--set", "lr=0.1")
    assert "--set expects FIELD=VALUE" in refused("--set", "optimisation.lr")
    assert "optimisation.lr: Input should be a valid number" in refused("--set", "optimisation.lr=fast")
    assert "unknown recipe 'vgg_wide.ferpls'; did you mean vgg_wide.ferplus?" in refused("--recipe", "vgg_wide.ferpls")
    assert "no such recipe file" in refused("--recipe", tmp_path / "none.yaml")
    # valid values reach the next check: the data (here missing) is the first thing read
    assert "no such file or folder" in refused("--set", "optimisation.lr=0.01", "--set", "data.heads=fer2013")


def test_a_shipped_recipe_trains_on_a_slice_and_its_cards_record_it(cli, fer2013_slice, ferplus_csv, tmp_path):
    from emopy.predict.runtime import Classifier
    from emopy.train.recipe import load_recipe, parse_recipe

    out = tmp_path / "run"
    res = cli(
        *("train", "--recipe", "default", "--data", fer2013_slice, "--ferplus-labels", ferplus_csv, "--out", out),
        *("--limit", 16, "--epochs", 1, "--precision", "fp32", "--set", "threads=1"),
    )
    assert res.exit_code == 0, res.output
    expected = load_recipe("vgg_small.crossdomain").with_values(
        {
            "data.path": str(fer2013_slice),
            "data.ferplus_labels": str(ferplus_csv),
            "data.limit": 16,
            "optimisation.epochs": 1,
            "precision": "fp32",
            "threads": 1,
        }
    )
    assert expected.data.heads == ["fer2013", "ferplus"] and expected.augment == ["crop", "flip", "erase", "domain"]
    assert load_recipe(out / "recipe.yaml") == expected
    for head in ("fer2013", "ferplus"):
        training = Classifier(out / f"vgg_small.{head}.onnx").card.training
        assert training["recipe"] == expected.record() and parse_recipe(training["recipe"]) == expected


def test_evaluate_errors(cli, blob_run, blob_folders, tmp_path):
    model = blob_run / "vgg_small.emotions.onnx"
    res = cli("evaluate", "--model", tmp_path / "none.onnx", "--data", blob_folders)
    assert res.exit_code == 2 and "no such model file" in res.output
    res = cli("evaluate", "--model", model, "--data", blob_folders, "--emotions", "contempt")
    assert res.exit_code == 2 and "contempt" in res.output and "available" in res.output
    res = cli("evaluate", "--model", model, "--data", tmp_path / "nowhere")
    assert res.exit_code == 2 and "no such file or folder" in res.output


def test_evaluate_text_report(cli, blob_run, blob_folders):
    res = cli("evaluate", "--model", blob_run / "vgg_small.emotions.onnx", "--data", blob_folders)
    assert res.exit_code == 0, res.output
    assert "vgg_small.emotions on" in res.output and "accuracy" in res.output and "n 160" in res.output
    for label in ("anger", "happiness", "sadness", "neutral"):
        assert label in res.output


@pytest.mark.parametrize("command", ["train", "evaluate", "export", "archs"])
def test_help(cli, command):
    res = cli(command, "--help")
    assert res.exit_code == 0 and "Usage" in res.output


@pytest.mark.parametrize(
    "modules,args,extra",
    [
        (["torch"], ["train", "--arch", "vgg_small", "--data", ".", "--out", "r"], "train"),
        (["onnx"], ["export", "."], "train"),
        (["uvicorn"], ["serve"], "server"),
    ],
)
def test_a_missing_extra_is_one_line(modules, args, extra):
    res = run_without(modules, *args)
    assert res.returncode == 2, res.stderr
    assert res.stderr.strip().splitlines() == [
        f"error: {modules[0]} is required for this feature but is not installed; "
        f"install it with: pip install 'emopy-fer[{extra}]'"
    ]
