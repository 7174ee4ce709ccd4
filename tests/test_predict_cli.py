"""`emopy predict`, `emopy models`, `emopy bench` through the Typer app."""

from __future__ import annotations

import json

import cv2
import pytest
from typer.testing import CliRunner

from _predict_helpers import astronaut, compose, encode, png_claiming
from emopy.cli import app

runner = CliRunner()


@pytest.fixture()
def images(tmp_path):
    d = tmp_path / "in"
    (d / "sub").mkdir(parents=True)
    (d / "face.png").write_bytes(encode(astronaut()))
    (d / "sub" / "three.jpg").write_bytes(encode(compose(3)[0], ".jpg"))
    (d / "blank.png").write_bytes(encode(astronaut()[:40, :40] * 0 + 120))
    return d


def _json(result) -> list:
    return json.loads(result.stdout[result.stdout.index("[") :])


def test_predict_json_schema_and_folder_recursion(images):
    r = runner.invoke(app, ["predict", str(images), "--json", "--emotions", "calm,anger,happy"])
    assert r.exit_code == 0, r.output
    out = _json(r)
    assert [o["source"].rsplit("/", 1)[-1] for o in out] == ["blank.png", "face.png", "three.jpg"]
    assert [len(o["faces"]) for o in out] == [0, 1, 3]
    for o in out:
        assert set(o) == {"source", "frame", "time_s", "faces", "error"} and o["error"] is None
        assert o["frame"] is None and o["time_s"] is None  # a still image
        for i, f in enumerate(o["faces"]):
            assert set(f) == {"face", "box", "score", "emotions", "dominant", "landmarks"} and f["face"] == i
            assert len(f["box"]) == 4 and all(isinstance(v, int) for v in f["box"])
            assert list(f["emotions"]) == ["neutral", "anger", "happiness"]
            assert sum(f["emotions"].values()) == pytest.approx(1, abs=1e-3)
            assert f["dominant"] in f["emotions"]


@pytest.mark.parametrize("kind", ["text", "truncated", "empty", "bomb", "missing", "unreadable"])
def test_bad_file_gets_error_and_others_go_on(images, tmp_path, kind):
    bad = tmp_path / "bad.png"
    if kind == "text":
        bad.write_text("not an image")
    elif kind == "truncated":
        bad.write_bytes(encode(astronaut())[:3000])
    elif kind == "empty":
        bad.write_bytes(b"")
    elif kind == "bomb":
        bad.write_bytes(png_claiming(50_000, 50_000))
    elif kind == "unreadable":
        bad.symlink_to(tmp_path / "gone.png")  # dangling link: listed, but cannot be opened (root reads any mode)
    r = runner.invoke(app, ["predict", str(images / "face.png"), str(bad), "--json"])
    assert r.exit_code == 1, r.output
    out = _json(r)
    assert len(out) == 2 and out[0]["error"] is None and len(out[0]["faces"]) == 1
    assert out[1]["error"] and out[1]["faces"] == []


def test_all_good_exits_zero_and_text_output(images):
    r = runner.invoke(app, ["predict", str(images / "face.png")])
    assert r.exit_code == 0 and "face 1 at" in r.stdout


def test_example_photo_and_missing_paths():
    r = runner.invoke(app, ["predict", "--example", "--json"])
    assert r.exit_code == 0 and len(_json(r)[0]["faces"]) == 1
    r = runner.invoke(app, ["predict"])
    assert r.exit_code == 2 and "--example" in r.output


def test_glob_annotate_and_crops(images, tmp_path):
    ann, crops = tmp_path / "ann", tmp_path / "crops"
    r = runner.invoke(app, ["predict", str(images / "**" / "*.jpg"), "--annotate", str(ann), "--crops", str(crops)])
    assert r.exit_code == 0, r.output
    assert cv2.imread(str(ann / "three.jpg")) is not None
    crop_files = sorted(crops.iterdir())
    assert len(crop_files) == 3 and cv2.imread(str(crop_files[0]), cv2.IMREAD_UNCHANGED).shape == (48, 48)
    single = tmp_path / "one.png"
    r = runner.invoke(app, ["predict", str(images / "face.png"), "--annotate", str(single)])
    assert r.exit_code == 0 and cv2.imread(str(single)).shape == (512, 512, 3)


def test_no_detect_and_usage_errors(images):
    r = runner.invoke(app, ["predict", str(images / "blank.png"), "--no-detect", "--json"])
    assert r.exit_code == 0 and len(_json(r)[0]["faces"]) == 1
    r = runner.invoke(app, ["predict", str(images), "--emotions", "joyful"])
    assert r.exit_code == 2 and "unknown emotion" in r.output
    r = runner.invoke(app, ["predict", str(images), "--model", "nope"])
    assert r.exit_code == 2 and "unknown model" in r.output


def test_inputs_that_match_nothing_are_named(images, tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.txt").write_text("not an image")
    for arg, problem in [
        (tmp_path / "empty", "folder is empty\n"),
        (tmp_path / "notes", "folder has no image files (found 1 file, e.g. a.txt; image files end in .png, .jpg"),
        (images / "*.gif", "glob matched nothing\n"),
    ]:
        r = runner.invoke(app, ["predict", str(images / "face.png"), str(arg)])
        assert r.exit_code == 2 and f"error: {arg}: {problem}" in r.output, r.output
        assert "Is a directory" not in r.output


def test_models_lists_shipped_models():
    r = runner.invoke(app, ["models", "--json"])
    assert r.exit_code == 0
    listing = json.loads(r.stdout)
    rows, names = listing["models"], listing["recommended"]
    assert 1 <= len(names) <= 4 and {"default", "fer2013", "ferplus"} <= {n["name"] for n in names}
    shipped = {row["name"] for row in rows}
    assert all(n["model"] in shipped and n["use"] for n in names)  # each recommended name: a shipped file, a use
    default = next(row for row in rows if "default" in row["aliases"])
    assert "neutral" in default["labels"] and 0.5 < default["test_accuracy"] <= 1
    r = runner.invoke(app, ["models"])
    assert r.exit_code == 0 and "labels:" in r.stdout
    assert r.stdout.startswith("Recommended names:") and "default  vgg_small.crossdomain.int8: webcam" in r.stdout


def test_bench_json():
    r = runner.invoke(app, ["bench", "--json", "--seconds", "0.2", "--threads", "1"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["classifier_faces_per_s"]["batch_64"] > 0 and out["frame_ms"]["faces"] == 1
    assert out["import_and_load_s"] > 0


def test_version():
    from emopy import __version__

    r = runner.invoke(app, ["--version"])
    assert r.exit_code == 0 and r.output.strip() == f"emopy {__version__}"


def _commands(group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command path of the app, sub-groups included."""
    out = []
    for name, cmd in group.commands.items():
        out += _commands(cmd, (*prefix, name)) if hasattr(cmd, "commands") else [(*prefix, name)]
    return out


def test_help_keeps_brackets_and_shows_flags_as_flags():
    import typer.main

    helps = {}
    for path in _commands(typer.main.get_command(app)):
        r = runner.invoke(app, [*path, "--help"], terminal_width=200)
        assert r.exit_code == 0, (path, r.output)
        assert "<bool>" not in r.output, path
        helps[path] = r.output
    assert "pip install 'emopy-fer[scale]'" in helps[("batch",)]
    assert "with emopy-fer[video])" in helps[("video",)]
    assert "  --json  " in helps[("predict",)]
