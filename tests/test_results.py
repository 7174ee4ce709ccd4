"""One result schema (emopy.results): the same names from `emopy predict --json`, `emopy video --out`, `emopy batch`
and the REST API; every table writer round-trips; frame times carry no float noise."""

from __future__ import annotations

import json
import sys

import pytest

from _predict_helpers import ASTRONAUT, face_patch
from _stream_helpers import make_video
from emopy.predict import FERModel
from emopy.results import (
    FACE_FIELDS,
    FRAME_FIELDS,
    columns,
    face_row,
    frame_row,
    lines,
    open_table,
    read_table,
    table,
    to_pandas,
)

EMOTIONS = ["happiness", "neutral", "surprise"]
API_EXTRAS = {"image_id", "model", "width", "height", "stored", "annotated_image_base64"}


def _json(res) -> list:
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout[res.stdout.index("[") :])


def test_every_producer_gives_the_same_names(cli, client, tmp_path):
    """predict --json and the API give the same frame and face rows; their table lines have the columns that video
    --out (csv, jsonl, parquet; plus smoothed_*) and batch (jsonl, csv, parquet) write."""
    pytest.importorskip("pyarrow", reason="Parquet needs the scale extra: pip install 'emopy-fer[scale]'")
    subset = ",".join(EMOTIONS)
    (row,) = _json(cli("predict", ASTRONAUT, "--json", "--emotions", subset, "--detector", "ssd"))
    assert tuple(row) == FRAME_FIELDS and (row["source"], row["frame"], row["time_s"]) == (str(ASTRONAUT), None, None)
    answer = client.post(
        "/v1/predict", files={"image": ("a.jpg", ASTRONAUT.read_bytes(), "image/jpeg")}, data={"emotions": subset}
    )
    body = answer.json()
    assert answer.status_code == 200 and set(body) == {*FRAME_FIELDS, *API_EXTRAS}, body
    api_row = {k: body[k] for k in FRAME_FIELDS}
    assert [tuple(f) for f in row["faces"]] == [FACE_FIELDS]
    assert [tuple(f) for f in api_row["faces"]] == [(*FACE_FIELDS, "crop_base64")]
    mine, theirs = row["faces"][0], api_row["faces"][0]
    assert (mine["face"], mine["box"], mine["dominant"]) == (theirs["face"], theirs["box"], theirs["dominant"])
    assert mine["emotions"] == pytest.approx(theirs["emotions"], abs=2e-4)  # one image, one model, one answer

    want = columns(EMOTIONS)
    assert list(lines(row, EMOTIONS)[0]) == list(lines(api_row, EMOTIONS)[0]) == want
    video = make_video(tmp_path / "clip.mp4", [(1.0, "neutral")], fps=4)
    for suffix in (".csv", ".jsonl", ".parquet"):
        out = tmp_path / f"video{suffix}"
        res = cli("video", video, "--emotions", subset, "--out", out)
        assert res.exit_code == 0, res.output
        got = read_table(out)
        assert len(got) == 4 and list(got[0]) == columns(EMOTIONS, smoothed=True), suffix
        assert [c for c in got[0] if not c.startswith("smoothed_")] == want
    for name in ("batch.jsonl", "batch.csv", "batch.parquet"):
        res = cli("batch", ASTRONAUT, "--out", tmp_path / name, "--emotions", subset, "--detector", "ssd")
        assert res.exit_code == 0, res.output
        assert read_table(tmp_path / name) == lines(row, EMOTIONS), name  # batch writes predict's lines


def test_each_writer_round_trips(tmp_path):
    """CSV, JSON Lines and Parquet (a file; a dataset folder when appending) read back exactly what was written:
    types, empty cells, a frame without a face, an error, smoothed columns."""
    pytest.importorskip("pyarrow", reason="Parquet needs the scale extra: pip install 'emopy-fer[scale]'")
    fer = FERModel(EMOTIONS, threads=1)
    (face,) = fer.predict(face_patch())
    tracked = face_row(7, face.box, face.score, face.emotions, None, smoothed={e: 1 / 3 for e in EMOTIONS})
    stills = [
        frame_row("photo.jpg", None, None, [face.to_row(0), face.to_row(1)]),
        frame_row("cut.png", None, None, [], "truncated PNG"),
    ]
    frames = [
        frame_row("clip.mp4", 3, 0.1 + 0.2, [tracked]),  # 0.30000000000000004 s
        frame_row("clip.mp4", 4, 0.4, []),  # a frame without a face
        frame_row("clip.mp4", 5, 0.5, [tracked]),
    ]
    video = table(frames, EMOTIONS, smoothed=True)
    assert video[0]["time_s"] == 0.3 and video[0]["smoothed_neutral"] == 0.3333 and video[1]["face"] is None
    for kind, want, cols in (
        ("stills", table(stills, EMOTIONS), columns(EMOTIONS)),
        ("video", video, columns(EMOTIONS, smoothed=True)),
    ):
        folder = tmp_path / kind
        folder.mkdir()
        for name in ("t.csv", "t.jsonl", "t.parquet"):
            writer = open_table(folder / name, cols)
            writer.write(want[:1])
            writer.write(want[1:])
            writer.close()
            assert read_table(folder / name) == want, (kind, name)
        for name in ("r.csv", "r.jsonl", "r.parquet"):  # resumable: appended by two runs
            for part in (want[:2], want[2:]):
                writer = open_table(folder / name, cols, append=True, sync=True)
                writer.write(part)
                writer.close()
            assert read_table(folder / name) == want, (kind, name)
        assert len(list((folder / "r.parquet").glob("part-*.parquet"))) == 2  # a dataset folder, a part per write
        half = folder / "r.csv"  # a run killed in the middle of a line: the next run starts on a fresh line
        half.write_text(half.read_text() + "clip.mp4,6,0.")
        writer = open_table(half, cols, append=True)
        writer.write(want[:1])
        writer.close()
        assert read_table(half) == want + want[:1]
    pytest.importorskip("pandas", reason="to_pandas needs the pandas extra")
    df = to_pandas(video, columns(EMOTIONS, smoothed=True))
    assert str(df["face"].dtype) == "Int64" and df["face"].isna().tolist() == [False, True, False]
    assert df["time_s"].tolist() == [0.3, 0.4, 0.5] and df["source"].tolist() == ["clip.mp4"] * 3


def test_video_times_carry_no_float_noise(cli, tmp_path):
    """Issue #37: frame k of a 10 fps video is at k/10 s in the CSV and JSON Lines timelines, as written by a person
    (1.4, not 1.4000000000000001), and every time has at most microsecond digits."""
    video = make_video(tmp_path / "ten.mp4", [(1.5, "neutral")], fps=10)
    exact = [k / 10 for k in range(15)]
    csv_out, jsonl_out = tmp_path / "t.csv", tmp_path / "t.jsonl"
    for out in (csv_out, jsonl_out):
        res = cli("video", video, "--out", out)
        assert res.exit_code == 0, res.output
    header, *text = csv_out.read_text().splitlines()
    cells = [line.split(",")[header.split(",").index("time_s")] for line in text]
    assert cells == [repr(t) for t in exact]
    raw = jsonl_out.read_text().splitlines()
    assert [json.loads(line)["time_s"] for line in raw] == exact
    assert all(f'"time_s": {t!r},' in line for line, t in zip(raw, exact))
    thirty = make_video(tmp_path / "thirty.mp4", [(0.5, "neutral")], fps=30)  # 1/30 s has no end in decimals
    res = cli("video", thirty, "--out", csv_out)
    assert res.exit_code == 0, res.output
    times = [line["time_s"] for line in read_table(csv_out)]
    assert times == [round(k / 30, 6) for k in range(15)]


def test_parquet_without_pyarrow_is_one_line_naming_the_extra(cli, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    video = make_video(tmp_path / "clip.mp4", [(0.5, "neutral")], fps=4)
    for args in (("video", video, "--out", tmp_path / "t.parquet"), ("batch", ASTRONAUT, "--out", tmp_path / "r")):
        res = cli(*args)
        (line,) = res.output.strip().splitlines()  # one line, naming the extra to install
        assert res.exit_code == 2 and line.startswith("error: pyarrow") and "pip install 'emopy-fer[scale]'" in line
