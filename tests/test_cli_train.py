"""`emopy archs`, and the errors `emopy train` / `emopy evaluate` give a user."""

import json

import pytest

from _cli_helpers import run_without

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
        "--batch-size",
        16,
        "--threads",
        1,
        "--no-export",
    )
    assert res.exit_code == 0, res.output
    assert json.loads((out / "run.json").read_text())["emotions"] == ["neutral", "happiness"]
    assert not list(out.glob("*.onnx"))  # --no-export


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
