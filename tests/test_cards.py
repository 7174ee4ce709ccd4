"""Model cards and the shipped weights: the typed registry, the sha256 check, close-name hints, and card rewriting
(`emopy measure`, `emopy quantize`) in a process where torch cannot be imported."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil

import pytest

from _cli_helpers import run_without
from emopy import FERModel, list_pretrained
from emopy.cards import WEIGHTS_DIR, get_weights, registry
from emopy.errors import ModelFileError
from emopy.predict.runtime import Classifier


def test_the_registry_lists_the_recommended_names_with_their_files_sha256(cli):
    assert [(w.name, w.aliases) for w in registry()] == [
        ("vgg_small.crossdomain.int8", ("default",)),
        ("vgg_wide.fer2013.int8", ("fer2013",)),
        ("vgg_wide.ferplus.int8", ("ferplus",)),
    ]
    assert sorted(p.stem for p in WEIGHTS_DIR.glob("*.onnx")) == sorted(list_pretrained())  # no unregistered file
    for w in registry():
        assert hashlib.sha256(w.path.read_bytes()).hexdigest() == w.sha256
        assert Classifier(w.name).card == w.card  # the sidecar's card is the one inside the file
        assert get_weights(w.name) is w and all(get_weights(a) is w for a in w.aliases) and w.use
    with pytest.raises(dataclasses.FrozenInstanceError):
        registry()[0].sha256 = "0" * 64
    listing = json.loads(cli("models", "--json").stdout)
    assert {r["name"]: r["sha256"] for r in listing["models"]} == {w.name: w.sha256 for w in registry()}
    assert [(n["name"], n["model"], n["use"]) for n in listing["recommended"]] == [
        (a, w.name, w.use) for w in registry() for a in w.aliases
    ]


def test_a_tampered_copy_fails_verification_with_a_clear_error(cli, tmp_path):
    shipped = get_weights("default")
    copy = tmp_path / shipped.path.name
    shutil.copy(shipped.path, copy)
    shutil.copy(shipped.path.with_suffix(".json"), copy.with_suffix(".json"))
    assert FERModel(model=copy).classifier.card == shipped.card  # an intact copy loads
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0xFF
    copy.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match=r"sha256 \w+\.\.\. does not match its model card's \w+\.\.\.; the file"):
        FERModel(model=copy)
    res = cli("predict", "--model", copy, "--example")
    assert res.exit_code != 0 and "does not match its model card" in res.output


def test_an_unknown_name_gets_the_closest_shipped_names():
    with pytest.raises(ModelFileError, match=r"unknown model 'defualt'; did you mean default\?"):
        get_weights("defualt")
    with pytest.raises(ModelFileError, match=r"did you mean vgg_wide\.ferplus\.int8"):
        FERModel(model="vgg_wide.ferplus")
    with pytest.raises(ModelFileError, match="shipped: vgg_small.crossdomain.int8, default, "):
        FERModel(model="nothing-like-it")


def test_measure_and_quantize_rewrite_cards_without_torch(request, blob_folders, tmp_path):
    pytest.importorskip("torch", reason="the model under test is trained here with emopy-fer[train] (torch)")
    model = tmp_path / "m.onnx"
    shutil.copy(request.getfixturevalue("blob_run") / "vgg_small.emotions.onnx", model)
    measured = run_without(["torch"], "measure", "--model", model, "--data", blob_folders, "--balance", "0.3")
    assert measured.returncode == 0, measured.stderr
    card = Classifier(model).card  # loads: the sidecar's sha256 matches the rewritten file
    assert card.balance == 0.3 and card.temperature == json.loads(measured.stdout)["temperature"]
    assert {"val", "test", "val_balanced"} <= set(card.metrics) and "prior" in card.reference
    assert json.loads(model.with_suffix(".json").read_text())["balance"] == 0.3

    out = tmp_path / "m.int8.onnx"
    quantized = run_without(["torch"], "quantize", "--model", model, "--data", blob_folders, "--out", out, "-n", "32")
    assert quantized.returncode == 0, quantized.stderr
    int8 = Classifier(out).card
    assert int8.name == f"{card.name}.int8" and int8.balance == 0.3 and "test" in int8.metrics
    assert int8.training["quantized"].endswith("32 calibration faces, minmax ranges")
