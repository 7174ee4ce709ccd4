"""The training toolkit end to end on generated separable data: accuracy, checkpoint/resume,
ONNX export parity, model-file checks, joint FER2013 + FER+ heads, re-export of a run."""

import csv
import json
import os
import shutil
import subprocess
import time

import numpy as np
import pytest

from _cli_helpers import QUICK

torch = pytest.importorskip("torch", reason="the training tests need emopy-fer[train] (torch)")
onnx = pytest.importorskip("onnx", reason="the training tests need emopy-fer[train] (onnx)")

from emopy.data import load_dataset  # noqa: E402
from emopy.errors import ModelFileError  # noqa: E402
from emopy.models import create_model  # noqa: E402
from emopy.predict.runtime import Classifier  # noqa: E402
from emopy.train.tasks import head_from  # noqa: E402

BLOB_LABELS = ("anger", "happiness", "sadness", "neutral")  # folders anger, happy, sad, calm


def metrics_epochs(run) -> list[int]:
    with (run / "metrics.csv").open() as fh:
        return [int(r["epoch"]) for r in csv.DictReader(fh)]


def test_train_reaches_high_accuracy(blob_run):
    result = json.loads((blob_run / "vgg_small.emotions.test.json").read_text())
    card = json.loads((blob_run / "vgg_small.emotions.json").read_text())
    assert card["metrics"]["val"]["accuracy"] >= 0.9
    assert card["metrics"]["test"]["accuracy"] >= 0.9 and result["accuracy"] >= 0.9
    assert card["labels"] == list(BLOB_LABELS)
    assert metrics_epochs(blob_run) == [1, 2, 3, 4, 5]
    for name in ("checkpoint.pt", "best-emotions.pt", "curves.png", "vgg_small.emotions.confusion.png", "run.json"):
        assert (blob_run / name).stat().st_size > 0, name
    assert card["training"]["epochs_run"] == 5 and card["training"]["recipe"]["model"]["arch"] == "vgg_small"
    assert card["params"] > 1_000_000 and len(card["weights_sha256"]) == 64


def test_onnx_matches_pytorch(blob_run, blob_folders):
    ds = load_dataset(blob_folders)
    faces = ds.images[::5]
    clf = Classifier(blob_run / "vgg_small.emotions.onnx", threads=1)
    assert clf.labels == BLOB_LABELS and clf.card.arch == "vgg_small" and clf.card.input_size == 44
    got = clf.predict_proba(faces, calibrated=False)  # the graph's own output (the card's temperature comes after)
    model = create_model("vgg_small", 4)
    model.load_state_dict(torch.load(blob_run / "best-emotions.pt", weights_only=False)["model"])
    model.eval()
    x = torch.from_numpy(faces[:, None, 2:46, 2:46].astype(np.float32))
    with torch.no_grad():
        want = torch.softmax(model((x / 255 - 0.5) / 0.25), 1).numpy()
    assert got.shape == want.shape == (len(faces), 4)
    assert np.abs(got - want).max() < 1e-4
    assert (got.argmax(1) == ds.labels[::5]).mean() >= 0.9


def test_transfer_from_a_runs_files(blob_run):
    src = create_model("vgg_small", 4)
    src.load_state_dict(torch.load(blob_run / "best-emotions.pt", weights_only=False)["model"])
    src.eval()
    x = torch.randn(2, 1, 44, 44)
    for weights in ("best-emotions.pt", "vgg_small.emotions.onnx"):
        model = create_model("TransferLearningNN", 2, weights=str(blob_run / weights), freeze=True).eval()
        with torch.no_grad():
            assert torch.allclose(model.backbone.forward_features(x), src.forward_features(x), atol=1e-4), weights


def test_killed_run_resumes(tmp_path, blob_folders, emopy_cmd):
    out = tmp_path / "run"
    cmd = [
        *emopy_cmd,
        "train",
        "--arch",
        "ConvolutionalNN",
        "--data",
        str(blob_folders),
        "--out",
        str(out),
        "--epochs",
        "8",
        *QUICK,
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.time() + 120
        while not (out / "checkpoint.pt").exists():
            assert proc.poll() is None, proc.stdout.read().decode()
            assert time.time() < deadline, "no checkpoint within 120 s"
            time.sleep(0.05)
    finally:
        proc.kill()
        proc.wait()
    done = torch.load(out / "checkpoint.pt", weights_only=False)["epoch"]
    assert 1 <= done < 8, f"the run was not killed mid-way (epoch {done})"
    again = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=170)
    assert again.returncode == 0, again.stderr[-3000:]
    assert f"resumed from {out / 'checkpoint.pt'} after epoch {done}" in again.stdout
    printed = [json.loads(line)["epoch"] for line in again.stdout.splitlines() if line.startswith('{"epoch"')]
    assert printed == list(range(done + 1, 9))  # no epoch trained twice
    assert metrics_epochs(out) == list(range(1, 9))
    assert torch.load(out / "checkpoint.pt", weights_only=False)["epoch"] == 8


@pytest.mark.parametrize(
    "change, named",
    [
        (["--arch", "ConvolutionalNN"], "model.arch='vgg_small'"),
        (["--epochs", "9"], "optimisation.epochs=5"),
        (["--epochs", "9", "--nproc", "2"], "optimisation.epochs=5"),  # refused before any process starts
    ],
)
def test_resume_refuses_another_run(cli, blob_run, blob_folders, tmp_path, change, named):
    from emopy.train.recipe import load_recipe

    out = tmp_path / "copy"
    shutil.copytree(blob_run, out)
    args = {"--arch": "vgg_small", "--epochs": "5"} | dict(zip(change[::2], change[1::2]))
    res = cli(
        "train", "--data", blob_folders, "--out", out, "--set", "threads=1", *[x for kv in args.items() for x in kv]
    )
    assert res.exit_code == 2
    assert "different run" in res.output and named in res.output
    assert load_recipe(out / "recipe.yaml") == load_recipe(blob_run / "recipe.yaml")  # the run's own, kept


# ---- model files -------------------------------------------------------------------------------
def test_onnx_without_emopy_metadata(tmp_path):
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Identity", ["pixels"], ["probabilities"])],
        "plain",
        [helper.make_tensor_value_info("pixels", TensorProto.FLOAT, [None, 7])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, 7])],
    )
    path = tmp_path / "plain.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    with pytest.raises(ModelFileError) as err:
        Classifier(path)
    assert (
        "not an emopy model file" in str(err.value)
        and "emopy_format" in str(err.value)
        and "plain.onnx" in str(err.value)
    )


@pytest.mark.parametrize(
    "version, message",
    [
        ("999", "format version 999.*upgrade emopy"),
        ("0", "format version 0.*re-export"),
        ("one", "unreadable model format version"),
    ],
)
def test_onnx_with_other_format_version(blob_run, tmp_path, version, message):
    proto = onnx.load(str(blob_run / "vgg_small.emotions.onnx"))
    for entry in proto.metadata_props:
        if entry.key == "emopy_format":
            entry.value = version
    path = tmp_path / "future.onnx"  # no sidecar: the format check itself must refuse it
    onnx.save(proto, str(path))
    with pytest.raises(ModelFileError, match=message):
        Classifier(path)


def test_onnx_bad_files(tmp_path):
    (tmp_path / "junk.onnx").write_bytes(b"definitely not protobuf")
    with pytest.raises(ModelFileError, match="onnxruntime cannot load"):
        Classifier(tmp_path / "junk.onnx")
    with pytest.raises(ModelFileError, match="no such model file"):
        Classifier(tmp_path / "missing.onnx")


# ---- heads ---------------------------------------------------------------------------------------
def test_head_from_aligns_on_record_ids(tmp_path, gen):
    rows = [(i % 7, gen.flat(i), "Training") for i in range(4)]
    fer = gen.fer2013_csv(tmp_path / "f.csv", rows)
    votes = tmp_path / "v.csv"
    votes.write_text(
        gen.FERPLUS_HEADER
        + "\n"
        + "\n".join(
            [
                "Training,a.png,10,0,0,0,0,0,0,0,0,0",
                "Training,b.png,0,0,0,0,0,0,0,0,10,0",  # row 1: unknown wins
                "Training,c.png,0,6,0,0,0,0,0,0,4,0",
                "Training,,10,0,0,0,0,0,0,0,0,0",
            ]
        )
        + "\n"
    )
    base = load_dataset(fer)
    plus = load_dataset(fer, ferplus_labels=votes)
    head = head_from(plus, "ferplus", soft=True, ids=base.ids)
    assert head.mask.tolist() == [True, False, True, False]
    assert head.labels.tolist() == [6, -1, 3, -1]
    np.testing.assert_allclose(head.targets[2], [0, 0, 0, 1, 0, 0, 0, 0], atol=1e-6)  # unknown votes are not a class
    assert (head.targets[~head.mask] == 0).all()
    hard = head_from(base, "fer2013")
    assert hard.mask.all() and np.array_equal(hard.targets.argmax(1), base.labels)
    with pytest.raises(ValueError, match="soft labels"):
        head_from(base, "fer2013", soft=True)


def test_joint_fer2013_ferplus_heads(cli, tmp_path, gen):
    """One model, two label sets: a FER2013 head (7 classes) and a soft-label FER+ head (8 classes)."""
    rows = gen.fer2013_pattern_rows((32, 8, 8))
    fer = gen.fer2013_csv(tmp_path / "fer2013.csv", rows)
    cols = {0: 4, 3: 1, 4: 3, 6: 0}  # FER2013 code -> FER+ vote column (anger, happiness, sadness, neutral)
    lines = []
    for i, (code, _, usage) in enumerate(rows):
        v = [0] * 10
        v[cols[code]] = 8
        v[9 if i % 8 == 7 else 2] = 2  # every 8th row has 2 not-a-face votes, the rest 2 surprise votes
        lines.append(f"{usage},fer{i:07d}.png," + ",".join(map(str, v)))
    votes = tmp_path / "fer2013new.csv"
    votes.write_text(gen.FERPLUS_HEADER + "\n" + "\n".join(lines) + "\n")
    out = tmp_path / "joint"
    res = cli(
        "train",
        "--arch",
        "vgg_small",
        "--data",
        fer,
        "--ferplus-labels",
        votes,
        "--set",
        "data.heads=fer2013,ferplus",
        "--set",
        "data.soft_labels=true",
        "--epochs",
        1,
        "--set",
        "optimisation.batch_size=16",
        "--set",
        "threads=1",
        "--out",
        out,
    )
    assert res.exit_code == 0, res.output
    a, b = Classifier(out / "vgg_small.fer2013.onnx"), Classifier(out / "vgg_small.ferplus.onnx")
    assert len(a.labels) == 7 and len(b.labels) == 8 and b.labels[-1] == "contempt"
    assert "FER+ majority" in b.card.protocol and b.card.training["recipe"]["data"]["soft_labels"] is True
    assert json.loads((out / "run.json").read_text())["heads"] == ["fer2013", "ferplus"]
    row = json.loads((out / "metrics.json").read_text())[0]
    assert {"val_acc_fer2013", "val_acc_ferplus"} <= set(row)
    faces = load_dataset(fer).images[:3]
    np.testing.assert_allclose(a.predict_proba(faces).sum(1), 1, atol=1e-5)
    np.testing.assert_allclose(b.predict_proba(faces).sum(1), 1, atol=1e-5)


def test_export_command_reexports_a_run(cli, blob_run, tmp_path):
    out = tmp_path / "run"
    shutil.copytree(blob_run, out)
    (out / "vgg_small.emotions.onnx").unlink()
    res = cli("export", out)
    assert res.exit_code == 0, f"{res.output}\n{res.exception!r}"
    result = json.loads(res.output[res.output.index("{") :])
    assert result["emotions"]["val"]["accuracy"] >= 0.9
    clf = Classifier(out / "vgg_small.emotions.onnx")
    before = Classifier(blob_run / "vgg_small.emotions.onnx")
    faces = np.random.default_rng(0).integers(0, 255, (4, 48, 48), dtype=np.uint8)
    assert np.abs(clf.predict_proba(faces) - before.predict_proba(faces)).max() < 1e-5
    assert clf.card.weights_sha256 == before.card.weights_sha256


def test_score_macro_f1_over_classes_present():
    from emopy.train.evaluate import score

    # a perfect classifier on data without "neutral" (CK+48 against a FER2013 model) has macro F1 1
    m = score(np.array([0, 0, 1, 2]), np.array([0, 0, 1, 2]), ["anger", "happiness", "sadness", "neutral"])
    assert m["accuracy"] == 1.0 and m["macro_f1"] == 1.0
    assert m["confusion_matrix"] == [[2, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0]]
    m = score(np.array([0, 0, 1, 1]), np.array([0, 3, 1, 1]), ["anger", "happiness", "sadness", "neutral"])
    assert m["confusion_matrix"][0] == [1, 0, 0, 1]  # row = true anger, column = predicted neutral
    assert m["macro_f1"] == pytest.approx((2 / 3 + 1) / 2)


def test_quantize_command_keeps_the_card_and_the_predictions(cli, blob_run, blob_folders, tmp_path):
    out = tmp_path / "q" / "blob.int8.onnx"
    res = cli(
        "quantize", "--model", blob_run / "vgg_small.emotions.onnx", "--data", blob_folders, "--out", out, "-n", 64
    )
    assert res.exit_code == 0, res.output
    fp32, int8 = Classifier(blob_run / "vgg_small.emotions.onnx", threads=1), Classifier(out, threads=1)
    assert int8.card.name == "vgg_small.emotions.int8" and int8.labels == fp32.labels
    assert "int8" in int8.card.training["quantized"]
    assert int8.card.metrics["test"]["accuracy"] >= 0.9  # measured on the quantised file itself
    faces = load_dataset(blob_folders).images[::3]
    a, b = fp32.predict_proba(faces), int8.predict_proba(faces)
    assert (a.argmax(1) == b.argmax(1)).mean() >= 0.95
    assert json.loads(out.with_suffix(".json").read_text())["name"] == "vgg_small.emotions.int8"


def test_quantize_percentile_ranges_and_a_bad_method(cli, blob_run, blob_folders, tmp_path):
    src, out = blob_run / "vgg_small.emotions.onnx", tmp_path / "p.int8.onnx"
    common = ("quantize", "--model", src, "--data", blob_folders, "-n", 64)
    res = cli(*common, "--out", out, "--calibration", "percentile")
    assert res.exit_code == 0, res.output
    int8 = Classifier(out, threads=1)
    assert int8.card.training["quantized"].endswith("64 calibration faces, percentile ranges")
    assert int8.card.metrics["test"]["accuracy"] >= 0.9
    res = cli(*common, "--out", tmp_path / "x.onnx", "--calibration", "kl")
    assert res.exit_code != 0 and "unknown calibration method 'kl'" in res.output
    assert not (tmp_path / "x.onnx").exists()
