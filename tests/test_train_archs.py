"""Every registered architecture trains end to end through `emopy train` and exports a working
ONNX model: still-image ones on a 64-per-split slice of the real FER2013, sequence ones on
generated 3-frame sequences. `emopy evaluate --json` on FER2013 PrivateTest and on CK+48."""

import csv
import json

import numpy as np
import pytest

pytest.importorskip("torch", reason="the training tests need emopy-fer[train] (torch)")

from emopy.data import load_dataset  # noqa: E402
from emopy.models import list_models, model_info  # noqa: E402
from emopy.predict.runtime import Classifier  # noqa: E402

FER2013_LABELS = ("anger", "disgust", "fear", "happiness", "sadness", "surprise", "neutral")
CKPLUS_COUNTS = {
    "anger": 135,
    "disgust": 177,
    "fear": 75,
    "happiness": 207,
    "sadness": 84,
    "surprise": 249,
    "contempt": 54,
}
QUICK = ("--limit", 64, "--epochs", 1, "--set", "optimisation.batch_size=32")


@pytest.fixture()
def run_for(request, train_run, seq_folders):
    def run(arch):
        if model_info(arch).temporal:
            return train_run(
                arch, seq_folders, "--epochs", 1, "--set", "optimisation.batch_size=16", "--set", "data.frames=3"
            ), seq_folders
        data = request.getfixturevalue("fer2013_slice")  # skips when the shared data is absent
        return train_run(arch, data, *QUICK), data

    return run


@pytest.mark.parametrize("arch", list_models())
def test_architecture_trains_and_exports(arch, run_for):
    out, data = run_for(arch)
    with (out / "metrics.csv").open() as fh:
        assert [r["epoch"] for r in csv.DictReader(fh)] == ["1"]
    onnx_path = out / f"{arch}.emotions.onnx"
    clf = Classifier(onnx_path, threads=1)
    card = clf.card
    assert card.arch == arch and card.input_size == 44 and card.image_size == 48
    test = json.loads((out / f"{arch}.emotions.test.json").read_text())
    if model_info(arch).temporal:
        assert card.frames == 3
        assert clf.labels == ("anger", "happiness", "sadness")
        faces = load_dataset(data, frames=3).images[:4]
        assert faces.shape == (4, 3, 48, 48)
    else:
        assert card.frames == 0
        assert clf.labels == FER2013_LABELS
        assert test["n"] == 64  # the 64 PrivateTest rows of the slice
        faces = load_dataset(data).images[:4]
    probs = clf.predict_proba(faces)
    assert probs.shape == (4, len(clf.labels)) and np.isfinite(probs).all()
    np.testing.assert_allclose(probs.sum(1), 1, atol=1e-5)
    assert 0 <= card.metrics["test"]["accuracy"] <= 1


def test_every_architecture_is_covered():
    """A new architecture is picked up by the parametrisation above; the EmoPy families must all be there."""
    assert {
        "vgg_small",
        "vgg_wide",
        "ConvolutionalNN",
        "ConvolutionalNNDropout",
        "TimeDelayConvNN",
        "ConvolutionalLstmNN",
        "TransferLearningNN",
    } <= set(list_models())


def check_report(report: dict, counts_by_label: dict[str, int]):
    """The JSON of `emopy evaluate`: rows of the confusion matrix are the true classes."""
    assert {"accuracy", "macro_f1", "n", "labels", "confusion_matrix", "excluded"} <= set(report)
    cm = np.array(report["confusion_matrix"])
    assert cm.shape == (len(report["labels"]),) * 2
    assert cm.sum() == report["n"]
    assert cm.sum(1).tolist() == [counts_by_label.get(lab, 0) for lab in report["labels"]]
    assert report["accuracy"] == pytest.approx(np.trace(cm) / cm.sum())
    assert 0 <= report["macro_f1"] <= 1


def test_evaluate_json_fer2013_privatetest(cli, run_for, fer2013_slice):
    out, _ = run_for("vgg_small")
    res = cli("evaluate", "--model", out / "vgg_small.emotions.onnx", "--data", fer2013_slice, "--json")
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    assert report["split"] == "PrivateTest" and report["n"] == 64
    assert report["labels"] == list(FER2013_LABELS)
    assert report["excluded"] == {"n": 0, "by_label": {}}
    private = load_dataset(fer2013_slice).select_split("PrivateTest").counts()["PrivateTest"]
    check_report(report, private)
    other = json.loads(
        cli(
            "evaluate",
            "--model",
            out / "vgg_small.emotions.onnx",
            "--data",
            fer2013_slice,
            "--split",
            "valid",
            "--json",
        ).output
    )
    assert other["split"] == "PublicTest" and other["n"] == 64


def test_evaluate_json_ckplus48(cli, run_for, ckplus_dir):
    out, _ = run_for("vgg_small")
    model = out / "vgg_small.emotions.onnx"
    res = cli("evaluate", "--model", model, "--data", ckplus_dir, "--json")
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    assert report["split"] is None
    assert report["excluded"] == {"n": 54, "by_label": {"contempt": 54}}  # the FER2013 model has no contempt
    assert report["n"] == 981 - 54
    check_report(report, CKPLUS_COUNTS)
    sub = json.loads(
        cli("evaluate", "--model", model, "--data", ckplus_dir, "--emotions", "happy,surprised", "--json").output
    )
    assert sub["labels"] == ["happiness", "surprise"] and sub["n"] == 207 + 249
    assert sub["excluded"]["n"] == 981 - 207 - 249
    check_report(sub, CKPLUS_COUNTS)


def test_evaluate_sequence_model(cli, run_for, seq_folders):
    out, _ = run_for("TimeDelayConvNN")
    res = cli("evaluate", "--model", out / "TimeDelayConvNN.emotions.onnx", "--data", seq_folders, "--json")
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    assert report["n"] == 3 * 8 * 2  # 3 classes x 8 sequences x 2 windows of 3 of the 4 frames
    check_report(report, {"anger": 16, "happiness": 16, "sadness": 16})
