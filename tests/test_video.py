"""Video from Python and the CLI: container timestamps, DataFrames, H.264 with the source's audio, plots, partial
timelines after a kill. The clips are generated: variable frame rate, a face, an AAC audio track."""

from __future__ import annotations

import csv
import fractions
import json
import os
import signal
import subprocess
import sys
import time

import cv2
import numpy as np
import pytest

from _predict_helpers import face_patch
from emopy import FERModel

av = pytest.importorskip("av", reason="the video tests need emopy-fer[video] (PyAV)")
pd = pytest.importorskip("pandas", reason="the DataFrame tests need emopy-fer[pandas]")

# irregular gaps, as phone video has: 100 ms, then 50, 250, 600, 33, 33, ...
TIMES_MS = [0, 100, 150, 400, 1000, 1033, 1066, 1500, 2000, 2100, 2400, 2433]


def make_clip(path, times_ms=TIMES_MS, size=(320, 240), audio_s: float | None = None):
    """An H.264 MP4 with frames at `times_ms` (a face in each) and a 440 Hz AAC track."""
    w, h = size
    patch = face_patch(0.6)
    patch = cv2.resize(patch, (patch.shape[1] * 2 // 3, patch.shape[0] * 2 // 3), interpolation=cv2.INTER_AREA)
    ph, pw = patch.shape[:2]
    out = av.open(str(path), "w")
    video = out.add_stream("libx264", rate=30)
    video.width, video.height, video.pix_fmt = w, h, "yuv420p"
    video.time_base = video.codec_context.time_base = fractions.Fraction(1, 1000)
    video.codec_context.max_b_frames = 0  # frames stay in order: pts == dts at millisecond times
    audio = out.add_stream("aac", rate=16000)
    for i, t in enumerate(times_ms):
        img = np.full((h, w, 3), 90, np.uint8)
        x = (w - pw) // 2 + (i % 5) * 4
        img[(h - ph) // 2 : (h - ph) // 2 + ph, x : x + pw] = patch
        frame = av.VideoFrame.from_ndarray(img, format="bgr24")
        frame.pts, frame.time_base = t, fractions.Fraction(1, 1000)  # (the muxer may change video.time_base)
        out.mux(video.encode(frame))
    out.mux(video.encode())
    rate, n = 16000, int((audio_s or times_ms[-1] / 1000 + 0.2) * 16000)
    tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(n) / rate)).astype(np.float32)
    for k in range(0, n, 1024):
        frame = av.AudioFrame.from_ndarray(tone[None, k : k + 1024], format="fltp", layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = rate, k, fractions.Fraction(1, rate)
        out.mux(audio.encode(frame))
    out.mux(audio.encode())
    out.close()
    return path


def container_times(path) -> list[float]:
    """Each video frame's presentation time as the container states it (PyAV)."""
    with av.open(str(path)) as c:
        return [float(f.time) for f in c.decode(video=0)]


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("video") / "vfr.mp4")


@pytest.fixture(scope="module")
def fer():
    return FERModel(threads=1)


def test_predict_video_yields_frames_at_container_times_and_a_dataframe(clip, fer):
    truth = container_times(clip)
    assert len(truth) == len(TIMES_MS) and np.ptp(np.diff(truth)) > 0.3  # really a variable frame rate
    frames = list(fer.predict_video(clip))
    assert [f.t for f in frames] == truth  # to the microsecond: exactly the container's millisecond times
    assert all(len(f.faces) == 1 for f in frames)
    df = fer.predict_video(clip).to_pandas()
    labels = list(fer.emotions)
    expected = ["source", "frame", "time_s", "face", "x", "y", "w", "h", "score", *labels]
    assert list(df.columns) == [*expected, *(f"smoothed_{e}" for e in labels), "dominant", "error"]
    assert len(df) == len(truth) and df["time_s"].tolist() == truth and (df["source"] == str(clip)).all()
    np.testing.assert_allclose(df[labels].sum(axis=1), 1.0, atol=1e-3)  # each to 4 decimals
    assert df["frame"].tolist() == list(range(len(truth))) and (df["face"] == df["face"][0]).all()
    thinned = fer.predict_video(clip, fps=2).to_pandas()  # about 2 frames a second, still at their own times
    assert 4 <= len(thinned) <= 6 and set(thinned["time_s"]) <= set(truth)


def test_video_cli_writes_h264_with_audio_a_plot_and_a_csv_at_container_times(clip, tmp_path, emopy_cmd):
    out, plot, table = tmp_path / "out.mp4", tmp_path / "t.png", tmp_path / "t.csv"
    res = subprocess.run(
        [*emopy_cmd, "video", str(clip), "--annotate", str(out), "--plot", str(plot), "--out", str(table)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr
    with av.open(str(out)) as c:
        kinds = {s.type: s.codec_context.name for s in c.streams}
        assert kinds == {"video": "h264", "audio": "aac"}
        audio_s = float(c.streams.audio[0].duration * c.streams.audio[0].time_base)
    assert abs(audio_s - TIMES_MS[-1] / 1000 - 0.2) < 0.15  # the source's whole audio track
    truth = container_times(clip)
    np.testing.assert_allclose(container_times(out), truth, atol=0.002)  # each annotated frame at its source time
    with table.open() as fh:
        rows = list(csv.DictReader(fh))
    assert [float(r["time_s"]) for r in rows] == truth
    image = cv2.imread(str(plot))
    assert image is not None and image.shape[0] > 300 and image.shape[1] > 800 and image.std() > 10


def test_a_killed_run_leaves_a_valid_partial_timeline(tmp_path, emopy_cmd):
    long_clip = make_clip(tmp_path / "long.mp4", times_ms=list(range(0, 60_000, 100)))  # 600 frames
    for suffix in (".csv", ".jsonl"):
        table = tmp_path / f"t{suffix}"
        proc = subprocess.Popen(
            [*emopy_cmd, "video", str(long_clip), "--out", str(table)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.time() + 120
        while time.time() < deadline and (not table.exists() or table.read_text().count("\n") < 30):
            time.sleep(0.2)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        text = table.read_text()
        assert text.endswith("\n")  # whole lines only
        if suffix == ".csv":
            rows = list(csv.DictReader(text.splitlines()))
            assert 29 <= len(rows) < 600 and all(r["dominant"] is not None and r["smoothed_neutral"] for r in rows)
            assert [int(r["frame"]) for r in rows] == list(range(len(rows)))
        else:
            rows = [json.loads(line) for line in text.splitlines()]
            assert 30 <= len(rows) < 600 and all("neutral" in r and "time_s" in r for r in rows)


def test_video_cli_refuses_bad_output_names(clip, tmp_path, emopy_cmd):
    for args, message in (
        (["--out", "t.txt"], ".csv, .jsonl, .parquet or .json"),
        (["--plot", "t.pdf"], "--plot must end in .png"),
        (["--annotate", "o.gif"], ".mp4, .mov, .mkv or .avi"),
    ):
        res = subprocess.run(
            [*emopy_cmd, "video", str(clip), *[str(tmp_path / a) if a.startswith(("t.", "o.")) else a for a in args]],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert res.returncode != 0 and message in res.stderr, (args, res.stderr)


def test_module_entry_point_runs_the_cli():
    res = subprocess.run([sys.executable, "-m", "emopy", "models"], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0 and "vgg_small.ferplus" in res.stdout
