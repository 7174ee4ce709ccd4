"""The built wheel, as a new user gets it: installs in a fresh virtual environment with the shipped models inside,
runs the demo, and with the video extras turns a clip into a DataFrame, an H.264 file, a plot and a CSV."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(*args, cwd=None, timeout=900) -> subprocess.CompletedProcess:
    res = subprocess.run([str(a) for a in args], capture_output=True, text=True, cwd=cwd, timeout=timeout)
    assert res.returncode == 0, f"{args}\n{res.stdout[-2000:]}\n{res.stderr[-3000:]}"
    return res


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", out, ROOT)
    (whl,) = out.glob("emopy_fer-*.whl")
    return whl


def test_the_wheel_holds_the_models_types_and_licence(wheel):
    import emopy

    names = zipfile.ZipFile(wheel).namelist()
    assert wheel.name.startswith(f"emopy_fer-{emopy.__version__}-")
    for must in (
        "emopy/weights/vgg_small.crossdomain.int8.onnx",
        "emopy/weights/vgg_small.crossdomain.int8.json",
        "emopy/py.typed",
        "emopy/assets/astronaut.jpg",
        "emopy/serve/static/index.html",
        "emopy/stream/examples/riot.yaml",
        "emopy/recipes/vgg_wide.ferplus.yaml",
    ):
        assert must in names, must
    assert any(n.endswith("licenses/LICENSE") or n.endswith("/LICENSE") for n in names)
    assert not any(n.startswith("tests/") or n.endswith((".csv", ".csv.gz", ".pt")) for n in names)  # no data, no runs


def test_the_wheel_stays_small(wheel):
    """Superseded models leave the package (their commands stay in the weights README): at most 20 MB."""
    assert wheel.stat().st_size <= 20 * 2**20, f"{wheel.stat().st_size / 2**20:.1f} MB"


def test_a_fresh_venv_from_the_wheel_runs_the_demo_and_the_video_workflow(wheel, tmp_path):
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv)
    py, emopy = venv / "bin" / "python", venv / "bin" / "emopy"
    run(py, "-m", "pip", "install", "-q", f"{wheel}[video,plot,pandas]")
    demo = run(emopy, "predict", "--example", cwd=tmp_path)
    assert "happiness" in demo.stdout
    from test_video import make_clip

    clip = make_clip(tmp_path / "clip.mp4")
    code = (
        "import sys; from emopy import FERModel\n"
        "df = FERModel().predict_video(sys.argv[1]).to_pandas()\n"
        "print(len(df), df['dominant'].iloc[-1], df['time_s'].iloc[-1])\n"
    )
    out = run(py, "-c", code, clip, cwd=tmp_path).stdout.split()
    assert out[0] == "12" and out[2] == "2.433"
    run(emopy, "video", clip, "--annotate", "out.mp4", "--plot", "t.png", "--out", "t.csv", cwd=tmp_path)
    assert (tmp_path / "t.png").stat().st_size > 10_000 and (tmp_path / "t.csv").read_text().count("\n") == 13
    probe = run(
        py,
        "-c",
        "import av; c = av.open('out.mp4'); print(sorted(s.codec_context.name for s in c.streams))",
        cwd=tmp_path,
    )
    assert probe.stdout.strip() == "['aac', 'h264']"
