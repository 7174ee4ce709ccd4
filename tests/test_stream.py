"""EmotionStream and its parts: smoothing, hysteresis, tracking, sources (live drop-oldest), timeline, `emopy video`."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest

from _stream_helpers import make_video
from emopy.results import table
from emopy.stream import (
    DominantTracker,
    EMASmoother,
    EmotionStream,
    FileSource,
    IoUTracker,
    LiveSource,
    WindowSmoother,
    iou,
    make_smoother,
    timeline,
)


def test_ema_and_window_smoothing_on_known_sequence():
    ema = EMASmoother(half_life=1.0)
    assert ema.update(0.0, [1, 0]).tolist() == [1, 0]
    assert ema.update(1.0, [0, 1]) == pytest.approx([0.5, 0.5])  # one half-life: halfway
    assert ema.update(3.0, [0, 1]) == pytest.approx([0.125, 0.875])  # two half-lives: a quarter left
    win = WindowSmoother(window=1.0)
    assert win.update(0.0, [1, 0]).tolist() == [1, 0]
    assert win.update(0.5, [0, 1]) == pytest.approx([0.5, 0.5])
    assert win.update(1.0, [0, 1]) == pytest.approx([0, 1])  # the t=0 sample left the window
    with pytest.raises(ValueError, match="smoothing"):
        make_smoother("median")


def test_dominant_threshold_and_hysteresis_on_known_sequence():
    labels = ("fear", "anger", "neutral")
    dom = DominantTracker(labels, window=1e-3, threshold=0.5, hysteresis=0.1)  # window holds one sample
    seq = [
        ((0.40, 0.30, 0.30), None),  # nobody reaches the threshold
        ((0.60, 0.20, 0.20), "fear"),  # fear in
        ((0.45, 0.35, 0.20), "fear"),  # below threshold but above threshold - hysteresis: held
        ((0.35, 0.55, 0.10), "anger"),  # fear out, anger confident
        ((0.50, 0.45, 0.05), "anger"),  # fear leads by 0.05 < hysteresis: held
        ((0.60, 0.40, 0.00), "fear"),  # fear leads by 0.2: switch
        ((0.20, 0.20, 0.60), "neutral"),
        ((0.34, 0.33, 0.33), None),  # nothing confident
    ]
    got = [dom.update(i * 0.1, p).emotion for i, (p, _) in enumerate(seq)]
    assert got == [want for _, want in seq]

    flicker = [(0.52, 0.48, 0.0), (0.48, 0.52, 0.0)] * 4
    steady = DominantTracker(labels, window=1e-3, threshold=0.5, hysteresis=0.1)
    jumpy = DominantTracker(labels, window=1e-3, threshold=0.5, hysteresis=0.0)
    assert {steady.update(i * 0.1, p).emotion for i, p in enumerate(flicker)} == {"fear"}
    assert [jumpy.update(i * 0.1, p).emotion for i, p in enumerate(flicker)] == ["fear", "anger"] * 4


def test_dominant_subset_and_window_mean():
    dom = DominantTracker(("fear", "anger", "happiness"), ["fear", "anger"], window=0.25, threshold=0.6, hysteresis=0.1)
    d = dom.update(0.0, (0.2, 0.2, 0.6))  # happiness is not in the subset: fear/anger tie at 0.5
    assert d.emotion is None and set(d.means) == {"fear", "anger"} and d.means["fear"] == pytest.approx(0.5)
    d = dom.update(0.1, (0.4, 0.0, 0.6))  # window mean of fear (0.5 + 1.0) / 2 = 0.75 >= 0.6
    assert d.emotion == "fear" and d.confidence == pytest.approx(0.75)
    d = dom.update(0.3, (0.0, 0.4, 0.6))  # t=0 left the window: fear (1 + 0) / 2 = 0.5, still >= 0.6 - 0.1
    assert d.emotion == "fear" and d.means["fear"] == pytest.approx(0.5)
    assert dom.update(0.4, (0.0, 0.4, 0.6)).emotion == "anger"  # fear's samples are gone: anger 1.0


def test_iou_tracker_keeps_ids_and_ends_tracks():
    assert iou((0, 0, 10, 10), (5, 0, 10, 10)) == pytest.approx(50 / 150)
    tr = IoUTracker(min_iou=0.3, max_age=0.5)
    assert tr.update([(0, 0, 10, 10), (100, 0, 10, 10)], 0.0) == [1, 2]
    assert tr.update([(102, 0, 10, 10), (1, 1, 10, 10)], 0.1) == [2, 1]  # order-independent
    assert tr.update([(300, 0, 10, 10)], 0.2) == [3]  # a new face
    assert tr.update([(1, 1, 10, 10)], 0.55) == [1]  # within max_age of its last match
    assert tr.update([(102, 0, 10, 10)], 1.0) == [4]  # track 2 ended (unseen 0.9 s)


class _FastCamera:
    """Delivers `n` frames as fast as it is read, like a camera ahead of a slow model; `out` is set once all are."""

    def __init__(self, n: int):
        self.n, self.i, self.out = n, 0, threading.Event()

    def read(self):
        if self.i >= self.n:
            self.out.set()
            return False, None
        self.i += 1
        return True, np.full((4, 4, 3), self.i % 256, np.uint8)


def test_live_source_drops_oldest_and_counts():
    camera = _FastCamera(300)
    src = LiveSource(lambda: camera, buffer=2)
    frames = iter(src)
    got = [next(frames).index]
    assert camera.out.wait(60)  # the model is still busy with that first frame while the camera delivers the rest
    got += [frame.index for frame in frames]
    assert got == sorted(got) and got[-2:] == [298, 299]  # the newest frames (the buffer's 2) kept, in order
    assert src.dropped == 300 - len(got) > 0
    assert not any(t.name == "emopy-frames" for t in threading.enumerate())


def test_file_source_thins_to_fps(tmp_path):
    path = make_video(tmp_path / "v.avi", [(1.0, None)], fps=30, size=(64, 48))
    src = FileSource(path, fps=10)
    ts = [f.t for f in src]
    assert len(ts) == 10 and ts[:3] == pytest.approx([0, 0.1, 0.2]) and src.skipped == 20 and src.dropped == 0
    with pytest.raises(Exception, match="not found"):
        FileSource(tmp_path / "missing.mp4")


@pytest.fixture(scope="module")
def moving_video(tmp_path_factory):
    return make_video(tmp_path_factory.mktemp("vid") / "moving.mp4", [(1.5, "neutral")], fps=6, drift=3)


def test_stream_with_real_model_shapes_and_track_ids(moving_video):
    from emopy.predict import FERModel

    fer = FERModel(threads=1)
    for every in (1, 3):
        frames = list(EmotionStream(moving_video, fer, smoothing="window", window=0.5, detect_every=every))
        assert len(frames) == 9 and all(len(f.faces) == 1 for f in frames)
        assert {f.faces[0].track_id for f in frames} == {1}
        face = frames[-1].faces[0]
        assert list(face.emotions) == list(fer.emotions) == list(face.smoothed)
        assert sum(face.emotions.values()) == pytest.approx(1, abs=1e-4)
        assert sum(face.smoothed.values()) == pytest.approx(1, abs=1e-4)
        assert frames[-1].primary is face and frames[-1].dropped == 0
        row = frames[-1].to_row()
        assert row["source"] == str(moving_video) and row["faces"][0]["face"] == 1 and json.dumps(row)
    lines = table([f.to_row() for f in frames], fer.emotions, smoothed=True)
    summ = timeline.summary(lines, fer.emotions, frames=len(frames))
    assert [s["second"] for s in summ["seconds"]] == [0, 1] and summ["tracks"][0]["frames"] == 9


def test_emopy_video_cli(cli, moving_video, tmp_path):
    out_csv, out_json, ann = tmp_path / "t.csv", tmp_path / "t.json", tmp_path / "ann.avi"
    res = cli("video", moving_video, "--emotions", "fear,anger,calm", "--fps", 3, "--out", out_csv, "--annotate", ann)
    assert res.exit_code == 0, res.output
    lines = out_csv.read_text().splitlines()
    assert (
        lines[0].startswith("source,frame,time_s,face,x,y,w,h,score,fear,anger,neutral,smoothed_fear")
        and len(lines) == 1 + 5
    )
    assert "face 1:" in res.output and ann.stat().st_size > 0
    res = cli("video", moving_video, "--out", out_json, "--max-frames", 4)
    assert res.exit_code == 0, res.output
    data = json.loads(out_json.read_text())
    assert data["summary"]["frames"] == 4 and len(data["rows"]) == 4 and data["rows"][0]["face"] == 1
    assert cli("video", tmp_path / "nope.mp4").exit_code == 2


def test_timeline_plot_keeps_its_legend_off_the_lines(moving_video):
    """The legend of `emopy video --plot` sits beside the plot, inside the figure, over neither panel."""
    from emopy.predict import FERModel
    from emopy.stream.plot import timeline_figure

    fer = FERModel(threads=1)
    frames = [f.to_row() for f in EmotionStream(moving_video, fer)]
    fig = timeline_figure(table(frames, fer.emotions, smoothed=True), fer.emotions, "moving.mp4")
    fig.draw_without_rendering()
    lines, band = fig.axes
    legend = lines.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == list(fer.emotions)
    box = legend.get_window_extent()
    assert not box.overlaps(lines.get_window_extent()) and not box.overlaps(band.get_window_extent())
    assert fig.bbox.contains(box.x0, box.y0) and fig.bbox.contains(box.x1, box.y1)  # not cut off
