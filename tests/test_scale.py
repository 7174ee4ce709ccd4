"""Scale out: `emopy batch` (local and Ray give the same rows; resumable after a kill; bad inputs get error rows)
and data-parallel training under torchrun (ranks in sync, loss as single-process, resume)."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
import pytest

from _predict_helpers import ASTRONAUT, assert_device_refused, face_patch, missing_device
from _stream_helpers import make_video
from emopy import EMOTIONS
from emopy.batch import ResultStore

N_IMAGES = 240


def key(row: dict) -> tuple:
    return row["source"], row["frame"], row["face"]


@pytest.fixture(scope="module")
def batch_inputs(tmp_path_factory) -> Path:
    """240 frames with the example face at varied places and sizes, 6 face-free, a corrupt file, a 2 s video."""
    root = tmp_path_factory.mktemp("batch-in")
    rng = np.random.default_rng(0)
    patch = face_patch(0.6)
    for i in range(N_IMAGES):
        frame = np.full((180, 240, 3), int(rng.integers(40, 200)), np.uint8)
        if i % 40:  # every 40th image has no face
            side = int(rng.integers(90, 150))
            p = cv2.resize(patch, (side, side), interpolation=cv2.INTER_AREA)
            x, y = int(rng.integers(0, 240 - side)), int(rng.integers(0, 180 - side))
            frame[y : y + side, x : x + side] = p
        cv2.imwrite(str(root / f"img{i:03d}.jpg"), frame)
    (root / "corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg")
    make_video(root / "clip.mp4", [(2.0, "neutral")], fps=5)
    return root


def run_cli(emopy_cmd, *args, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([*emopy_cmd, *map(str, args)], capture_output=True, text=True, timeout=900, **kw)


@pytest.fixture(scope="module")
def local_rows(batch_inputs, emopy_cmd, tmp_path_factory) -> list[dict]:
    out = tmp_path_factory.mktemp("batch-local") / "results.jsonl"
    res = run_cli(emopy_cmd, "batch", batch_inputs, "--out", out, "--fps", 5)
    assert res.returncode == 0, res.stderr[-2000:]
    summary = json.loads(res.stdout.strip().splitlines()[-1])
    assert summary["inputs"] == N_IMAGES + 2 and summary["processed"] == N_IMAGES + 1 + 10
    return ResultStore(out, []).read()


def test_every_input_has_rows_and_errors_are_rows(local_rows, batch_inputs):
    per_input = Counter((r["source"], r["frame"]) for r in local_rows)
    images = {(str(batch_inputs / f"img{i:03d}.jpg"), None) for i in range(N_IMAGES)}  # a still image: no frame
    video = {(str(batch_inputs / "clip.mp4"), f) for f in range(10)}
    assert set(per_input) == images | video | {(str(batch_inputs / "corrupt.jpg"), None)}
    assert len(local_rows) == len(set(map(key, local_rows)))  # no duplicate face
    corrupt = [r for r in local_rows if r["source"].endswith("corrupt.jpg")]
    assert len(corrupt) == 1 and corrupt[0]["face"] is None and corrupt[0]["error"] and corrupt[0]["happiness"] is None
    faceless = [r for r in local_rows if r["source"].endswith(("img000.jpg", "img040.jpg"))]
    assert [(r["face"], r["x"], r["dominant"], r["error"]) for r in faceless] == [(None, None, None, None)] * 2
    faces = [r for r in local_rows if r["face"] is not None]
    assert len(faces) >= 0.95 * (N_IMAGES - 6 + 10)
    assert all(
        abs(
            sum(r[e] for e in EMOTIONS if e in r)  # the model's emotions, a column each, to 4 decimals
            - 1
        )
        < 1e-3
        for r in faces
    )
    frames = sorted((r for r in local_rows if r["source"].endswith("clip.mp4")), key=lambda r: r["frame"])
    assert [r["time_s"] for r in frames] == [f / 5 for f in range(10)]  # the container's times, without float noise


def test_ray_engine_gives_the_same_rows(local_rows, batch_inputs, emopy_cmd, tmp_path):
    pytest.importorskip("ray", reason="the scale extra is not installed: pip install 'emopy-fer[scale]'")
    manifest = tmp_path / "manifest.csv"  # Ray Data reads the manifest itself; paths relative to it
    with manifest.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["path", "note"])
        for p in sorted(batch_inputs.iterdir()):
            w.writerow([os.path.relpath(p, tmp_path), "x"])
    out = tmp_path / "ray.parquet"
    res = run_cli(
        emopy_cmd,
        "batch",
        manifest,
        "--out",
        out,
        "--engine",
        "ray",
        "--fps",
        5,
        "--device",
        "cpu",  # reaches each actor's model
        env={k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"},
    )  # a local Ray on this machine
    assert res.returncode == 0, res.stderr[-3000:]
    ray_rows = ResultStore(out, []).read()
    norm = lambda rows: {(os.path.realpath(r["source"]), r["frame"], r["face"]): r for r in rows}  # noqa: E731
    mine, theirs = norm(local_rows), norm(ray_rows)
    assert set(mine) == set(theirs) and len(ray_rows) == len(local_rows)
    for k, a in mine.items():
        b = theirs[k]
        assert (a["x"], a["y"], a["w"], a["h"], a["dominant"], a["error"]) == (
            b["x"],
            b["y"],
            b["w"],
            b["h"],
            b["dominant"],
            b["error"],
        ), k
        for e in ("anger", "fear", "happiness", "neutral", "score"):
            assert (a[e] is None and b[e] is None) or abs(a[e] - b[e]) <= 1.5e-4, (k, e)  # to 4 decimals


def test_killed_batch_resumes_without_duplicates(local_rows, batch_inputs, emopy_cmd, tmp_path):
    out = tmp_path / "results.parquet"
    cmd = [*emopy_cmd, "batch", str(batch_inputs), "--out", str(out), "--fps", "5", "--chunk", "4"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    end = time.monotonic() + 300
    while time.monotonic() < end and len(list(out.glob("part-*.parquet"))) < 5 and proc.poll() is None:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(30)
    partial = ResultStore(out, []).read()
    assert 0 < len({(r["source"], r["frame"]) for r in partial}) < N_IMAGES + 11, (
        "the kill came too late to test resuming"
    )
    res = run_cli(emopy_cmd, "batch", batch_inputs, "--out", out, "--fps", 5, "--chunk", 4)
    assert res.returncode == 0, res.stderr[-2000:]
    assert json.loads(res.stdout.strip().splitlines()[-1])["skipped"] > 0
    rows = ResultStore(out, []).read()
    assert sorted(map(key, rows)) == sorted(map(key, local_rows))  # nothing missing, nothing twice


def test_batch_refuses_bad_arguments(emopy_cmd, tmp_path):
    res = run_cli(emopy_cmd, "batch", tmp_path / "nothing-*.jpg", "--out", tmp_path / "r.jsonl")
    assert res.returncode == 2 and "nothing-*.jpg: glob matched nothing" in res.stderr
    bad = tmp_path / "m.csv"
    bad.write_text("file\nx.jpg\n")
    res = run_cli(emopy_cmd, "batch", bad, "--out", tmp_path / "r.jsonl")
    assert res.returncode == 2 and "'path' column" in res.stderr
    (tmp_path / "empty").mkdir()
    res = run_cli(emopy_cmd, "batch", tmp_path / "empty", "--out", tmp_path / "r.jsonl")
    assert res.returncode == 2 and "empty: folder is empty" in res.stderr
    (tmp_path / "empty" / "notes.txt").write_text("x")
    res = run_cli(emopy_cmd, "batch", tmp_path / "empty", "--out", tmp_path / "r.jsonl")
    assert res.returncode == 2 and "folder has no image or video files (found 1 file, e.g. notes.txt" in res.stderr
    assert ".mp4" in res.stderr
    res = run_cli(emopy_cmd, "batch", tmp_path, "--out", tmp_path / "r.jsonl", "--engine", "spark")
    assert res.returncode == 2 and "unknown engine 'spark'" in res.stderr


def test_batch_device(cli, tmp_path):
    """--device cpu runs; a device this install lacks stops either engine before any input is read (none here)."""
    res = cli("batch", ASTRONAUT, "--out", tmp_path / "r.jsonl", "--device", "cpu")
    assert res.exit_code == 0 and json.loads(res.stdout)["rows"] == 1, res.output
    device = missing_device()
    for engine in ("local", "ray"):
        res = cli(
            "batch", tmp_path / "nothing-*.jpg", "--out", tmp_path / "g.jsonl", "--engine", engine, "--device", device
        )
        assert_device_refused(res.exit_code, res.output, device)
    assert not (tmp_path / "g.jsonl").exists()


# ---- data-parallel training ---------------------------------------------------------------------
def torchrun(nproc: int, *args) -> list[str]:
    return [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        f"--nproc-per-node={nproc}",
        "-m",
        "emopy",
        "train",
        *map(str, args),
    ]


def test_nproc_ranks_stay_in_sync_and_match_single_process(blob_folders, emopy_cmd, tmp_path):
    """`emopy train --nproc 2` hands torchrun the recipe as a file in the run folder; both ranks train in step."""
    pytest.importorskip("torch")
    common = ["--arch", "ConvolutionalNN", "--data", blob_folders, "--epochs", 2]
    common += ["--set", "optimisation.batch_size=32", "--set", "threads=1", "--set", "export=false"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    ddp_out = tmp_path / "ddp"
    two = run_cli(emopy_cmd, "train", *common, "--nproc", 2, "--out", ddp_out, env=env)
    assert two.returncode == 0, two.stderr[-3000:]
    one = run_cli(emopy_cmd, "train", *common, "--out", tmp_path / "single", env=env)
    assert one.returncode == 0, one.stderr[-3000:]
    recipe_file = ddp_out / "recipe.yaml"
    run = json.loads((ddp_out / "run.json").read_text())
    assert run["processes"] == 2 and run["command"] == f"emopy train --recipe {recipe_file} --out {ddp_out}"
    assert "nproc: 2" in recipe_file.read_text().splitlines()
    ddp = json.loads((ddp_out / "metrics.json").read_text())
    single = json.loads((tmp_path / "single" / "metrics.json").read_text())
    assert [r["epoch"] for r in ddp] == [1, 2] and all(r["processes"] == 2 for r in ddp)
    for row in ddp:  # both ranks hold the same weights after every epoch
        a, b = row["weight_checksums"]
        assert a == pytest.approx(b, rel=1e-9, abs=1e-9)
    for d, s in zip(ddp, single):  # same global batch and schedule: the loss follows the single-process run
        assert d["train_loss"] == pytest.approx(s["train_loss"], rel=0.05)
    assert not list(ddp_out.glob("*.tmp"))


def test_torchrun_run_resumes_after_a_kill(blob_folders, tmp_path):
    pytest.importorskip("torch")
    out = tmp_path / "ddp"
    cmd = torchrun(
        2,
        "--arch",
        "ConvolutionalNN",
        "--data",
        blob_folders,
        "--epochs",
        4,
        "--set",
        "optimisation.batch_size=32",
        "--set",
        "threads=1",
        "--set",
        "export=false",
        "--out",
        out,
    )
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, env=env)
    end = time.monotonic() + 300
    while time.monotonic() < end and not (out / "checkpoint.pt").exists() and proc.poll() is None:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(30)
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "resumed from" in again.stdout
    assert [r["epoch"] for r in json.loads((out / "metrics.json").read_text())] == [1, 2, 3, 4]
