"""One registry type for architectures, detectors and dataset kinds: one error with close names, torch-free listing."""

from __future__ import annotations

import importlib.util

import pytest

from _cli_helpers import run_without
from emopy.data import DATASETS, load_dataset
from emopy.errors import EmopyError, MissingExtraError, UnknownNameError
from emopy.models import MODELS, create_model
from emopy.predict import get_detector
from emopy.predict.detect import DETECTORS
from emopy.registry import Entry, Registry

NEEDS_TORCH = pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="emopy train needs torch")


@pytest.mark.parametrize(
    "args,lookup,expected",
    [
        pytest.param(
            ["train", "--arch", "vgg_smal", "--data", "{data}", "--out", "{out}"],
            lambda data: create_model("vgg_smal", 7),
            "unknown architecture 'vgg_smal'; did you mean vgg_small",
            marks=NEEDS_TORCH,
            id="architecture",
        ),
        pytest.param(
            ["predict", "--detector", "ssdd", "--example"],
            lambda data: get_detector("ssdd"),
            "unknown detector 'ssdd'; did you mean ssd?",
            id="detector",
        ),
        pytest.param(
            ["data", "info", "{data}", "--kind", "folder"],
            lambda data: load_dataset(data, kind="folder"),
            "unknown dataset kind 'folder'; did you mean folders",
            id="dataset",
        ),
    ],
)
def test_an_unknown_name_is_one_error_with_close_names(cli, blob_folders, tmp_path, args, lookup, expected):
    with pytest.raises(UnknownNameError) as err:
        lookup(blob_folders)
    assert str(err.value).startswith(expected) and "(choose from: " in str(err.value)
    res = cli(*(a.format(data=blob_folders, out=tmp_path / "run") for a in args))
    assert res.exit_code == 2
    # the same message; a training run reports it under its recipe field (model.arch: ...)
    assert res.output.startswith("error: ") and str(err.value) in res.output and "Traceback" not in res.output
    assert not (tmp_path / "run").exists()  # refused before any work


@pytest.mark.parametrize(
    "args,registry",
    [(["archs"], MODELS), (["detectors"], DETECTORS), (["data", "kinds"], DATASETS)],
    ids=["archs", "detectors", "data kinds"],
)
def test_listing_needs_no_torch(args, registry):
    res = run_without(["torch"], *args)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert {line.split()[0] for line in lines} == set(registry.names())
    for entry in registry:
        line = next(line for line in lines if line.split()[0] == entry.name)
        assert entry.description in line
        assert line.endswith("(not installed: pip install 'emopy-fer[train]')") == (registry is MODELS)


def test_architectures_are_described_without_torch_and_built_with_it(tmp_path):
    import subprocess
    import sys

    code = (
        "import sys\nsys.modules['torch'] = None\n"
        "from emopy.models import MODELS, create_model, model_info\n"
        "print(MODELS.available(), model_info('TimeDelayConvNN').temporal, model_info('vgg_small').input.input_size)\n"
        "create_model('vgg_small', 7)\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.stdout.split() == ["[]", "True", "44"]
    assert res.stderr.strip().splitlines()[-1] == (
        "emopy.errors.MissingExtraError: torch is required for this feature but is not installed; "
        "install it with: pip install 'emopy-fer[train]'"
    )


def test_a_registry_loads_lazily_and_says_what_is_missing():
    reg: Registry[Entry] = Registry("widget")
    reg.add(Entry("json", "json:dumps", "the standard library's JSON writer"))
    reg.add(
        Entry("far", "no_such_module_here:thing", "needs a package", needs="no_such_module_here", install="far-pkg")
    )
    assert reg.names() == ["json", "far"] and reg.available() == ["json"]
    assert reg.get("far").missing() == "far-pkg" and reg.get("json").missing() is None
    assert reg.load("json")({"a": 1}) == '{"a": 1}'
    with pytest.raises(MissingExtraError, match="no_such_module_here is required .* pip install far-pkg$"):
        reg.load("far")
    with pytest.raises(UnknownNameError, match=r"unknown widget 'jsn'; did you mean json\? \(choose from: json, far\)"):
        reg.get("jsn")
    with pytest.raises(EmopyError, match="widget 'json' is already registered"):
        reg.add(Entry("json", "json:loads", "again"))
