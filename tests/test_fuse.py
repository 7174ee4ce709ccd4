"""Fused ensembles (one ONNX graph) and the cross-domain scoreboard, through the CLI and the public API."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the train extra is not installed: pip install 'emopy-fer[train]'")
onnx = pytest.importorskip("onnx")

from emopy.cards import ModelCard  # noqa: E402
from emopy.errors import ConfigError  # noqa: E402
from emopy.models import create_model, model_info  # noqa: E402
from emopy.predict.runtime import Classifier  # noqa: E402
from emopy.train.export import export_onnx  # noqa: E402
from emopy.train.fuse import Fusion, write_fused  # noqa: E402

FOUR = ("anger", "happiness", "sadness", "neutral")  # the labels of the blob_folders dataset
FIVE = ("anger", "happiness", "sadness", "neutral", "surprise")
SEVEN = ("anger", "disgust", "fear", "happiness", "sadness", "surprise", "neutral")


def _trained_bn(model, seed: int):
    """`model` with batch-norm statistics of random input (so its heads disagree), in eval mode."""
    torch.manual_seed(seed)
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(8, 1, 44, 44) * 2 + 0.5)
    return model.eval()


def _card(name: str, labels) -> ModelCard:
    return ModelCard(name=name, labels=tuple(labels), arch="vgg_small", **asdict(model_info("vgg_small").input))


@pytest.fixture(scope="module")
def heads(tmp_path_factory):
    """The two heads of one joint model (one trunk, a 9-wide linear layer: 4 + 5 labels), exported separately."""
    out = tmp_path_factory.mktemp("joint")
    torch.manual_seed(3)
    model = _trained_bn(create_model("vgg_small", 9), 3)
    a = export_onnx(model, _card("joint.a", FOUR), out / "a.onnx", head_slice=(0, 4))
    b = export_onnx(model, _card("joint.b", FIVE), out / "b.onnx", head_slice=(4, 9))
    return a, b


def _convs(path) -> int:
    return Counter(n.op_type for n in onnx.load(str(path)).graph.node)["Conv"]


def test_heads_of_one_trunk_fuse_into_one_pass_that_matches_its_members(heads, tmp_path):
    a, b = Classifier(heads[0]), Classifier(heads[1])
    fusion = Fusion(weights=((0.5, 1.0, -0.25, 2.0), (1.5, 0.0, 1.0, 0.5)), bias=(0.3, -0.2, 0.0, 1.0))
    out = write_fused([a, b], FOUR, fusion, tmp_path / "fused.onnx", name="fused")
    assert _convs(out) == _convs(heads[0])  # the shared trunk runs once
    faces = np.random.default_rng(0).integers(0, 256, (6, 48, 48), dtype=np.uint8)
    logp = []
    for clf in (a, b):
        p = clf.predict_proba(faces, calibrated=False)[:, [clf.labels.index(e) for e in FOUR]]
        logp.append(np.log(p / p.sum(1, keepdims=True)))
    z = sum(np.asarray(w) * lp for w, lp in zip(fusion.weights, logp)) + np.asarray(fusion.bias)
    expected = np.exp(z - z.max(1, keepdims=True))
    fused = Classifier(out)
    got = fused.predict_proba(faces, calibrated=False)
    np.testing.assert_allclose(got, expected / expected.sum(1, keepdims=True), atol=1e-5)
    assert fused.labels == FOUR
    assert json.loads(out.with_suffix(".json").read_text())["training"]["fusion"]["weights"][0] == [
        0.5,
        1.0,
        -0.25,
        2.0,
    ]
    with pytest.raises(ConfigError, match="does not predict surprise"):
        write_fused([a, b], FIVE, Fusion(((1.0,) * 5,) * 2, (0.0,) * 5), tmp_path / "x.onnx")


def test_a_quantized_fusion_keeps_one_trunk_and_its_float_tail(cli, heads, blob_folders, tmp_path):
    a, b = Classifier(heads[0]), Classifier(heads[1])
    fused = write_fused([a, b], FOUR, Fusion(((1.0,) * 4, (0.5,) * 4), (0.0, 0.5, 0.0, -0.5)), tmp_path / "f.onnx")
    res = cli("quantize", "--model", fused, "--data", blob_folders, "--out", tmp_path / "f.int8.onnx", "-n", 64)
    assert res.exit_code == 0, res.output
    q = onnx.load(str(tmp_path / "f.int8.onnx")).graph
    assert Counter(n.op_type for n in q.node)["Conv"] == _convs(heads[0])
    producer = {o: n.op_type for n in q.node for o in n.output}
    tail = [n for n in q.node if n.op_type in ("LogSoftmax", "Gemm", "Sum")]
    assert tail and all(producer.get(i) != "DequantizeLinear" for n in tail[1:] for i in n.input)  # no int8 there
    faces = np.random.default_rng(1).integers(0, 256, (32, 48, 48), dtype=np.uint8)
    agree = Classifier(tmp_path / "f.int8.onnx").predict_proba(faces).argmax(1) == Classifier(fused).predict_proba(
        faces
    ).argmax(1)
    assert agree.mean() >= 0.9


def test_fuse_fits_on_validation_domains_and_the_scoreboard_judges_it(cli, heads, data_dir, tmp_path):
    """Two untrained members: a fitted fusion learns at least the class prior, so it beats both on FER+ Valid."""
    members = []
    for seed in (4, 5):
        torch.manual_seed(seed)
        model = _trained_bn(create_model("vgg_small", 7), seed)
        members.append(export_onnx(model, _card(f"m{seed}", SEVEN), tmp_path / f"m{seed}.onnx"))
    out = tmp_path / "fused.onnx"
    res = cli("fuse", *members, "--out", out, "--data", data_dir, "--name", "fused.test")
    assert res.exit_code == 0, res.output
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["name"] == "fused.test" and card["training"]["command"].startswith("emopy fuse ")
    assert card["metrics"]["val"]["n"] == 3186 and "prior" in card["reference"]  # FER+ Valid, 7 emotions
    boards = []
    for model in (*members, out):
        res = cli("evaluate", "--domains", "--model", model, "--data", data_dir, "--json")
        assert res.exit_code == 0, res.output
        boards.append(json.loads(res.output))
    fused = boards[-1]
    assert all(
        fused["columns"]["ferplus_valid"]["accuracy"] > b["columns"]["ferplus_valid"]["accuracy"] for b in boards[:-1]
    )
    c = fused["columns"]
    assert c["ckplus48"]["n"] == 927 and c["fer2013_test"]["n"] == 3589 and c["ferplus_test"]["excluded"] == 16
    assert fused["summary"] == pytest.approx((c["ferplus_test"]["accuracy"] + c["ckplus48"]["accuracy"]) / 2, abs=1e-4)
    recalls = [*c["ferplus_test"]["recall"].values(), *c["ckplus48"]["recall"].values()]
    assert fused["lowest_recall"] == min(recalls) and set(c["ckplus48"]["recall"]) == set(SEVEN) - {"neutral"}
    res = cli("evaluate", "--model", out)
    assert res.exit_code == 2 and "--data is needed" in res.output
