"""Branching stories: the exact path on a synthetic video, validation errors that name the field, the CLI."""

from __future__ import annotations

import json

import pytest

from _predict_helpers import assert_device_refused, missing_device
from _stream_helpers import BrightnessModel, make_video
from emopy.stream import EXAMPLES, EmotionStream, Sample, StoryError, load_story, parse_story, run_on_stream, run_story

STORY = {
    "title": "test",
    "start": "a",
    "segments": {
        "a": {
            "card": "A",
            "duration": 4,
            "decision": {
                "emotions": ["fear", "anger", "calm"],
                "window": 2,
                "threshold": 0.5,
                "branches": {"anger": "b", "fear": "x", "calm": "x"},
                "default": "x",
            },
        },
        "b": {
            "card": "B",
            "duration": 4,
            "decision": {
                "emotions": ["fear", "anger"],
                "window": 2,
                "branches": {"fear": "c", "anger": "x"},
                "default": "x",
            },
        },
        "c": {
            "card": "C",
            "duration": 2,
            "decision": {
                "emotions": ["fear", "anger", "calm"],
                "window": 1.5,
                "branches": {"fear": "x", "anger": "x", "calm": "x"},
                "default": "d",
            },
        },
        "d": {
            "card": "D",
            "duration": 3,
            "decision": {
                "emotions": ["calm", "fear"],
                "window": 2,
                "threshold": 0.6,
                "branches": {"calm": "e"},
                "default": "x",
            },
        },
        "e": {"media": "end.mp4", "duration": 1},
        "x": {"card": "wrong way", "duration": 1},
    },
}
# what the viewer does, second by second: angry, afraid, gone, calm
SCRIPT = [(4, "anger"), (4, "fear"), (2, None), (3, "neutral")]


@pytest.fixture(scope="module")
def viewer_video(tmp_path_factory):
    return make_video(tmp_path_factory.mktemp("viewer") / "viewer.mp4", SCRIPT, fps=5)


def test_story_path_on_synthetic_video(viewer_video):
    from emopy.predict import FERModel

    story = parse_story(STORY)
    stream = EmotionStream(viewer_video, BrightnessModel(FERModel(threads=1)))  # real decode, detection, alignment
    log = run_on_stream(story, stream, source=str(viewer_video))
    assert log.path == ["a", "b", "c", "d", "e"]
    decisions = [s.decision for s in log.steps[:4]]
    assert [(d.emotion, d.reason) for d in decisions] == [
        ("anger", "confident"),
        ("fear", "confident"),
        (None, "no_face"),
        ("neutral", "confident"),
    ]
    assert [d.window for d in decisions] == [(2, 4), (6, 8), (8.5, 10), (11, 13)]
    assert decisions[0].frames == decisions[0].face_frames == 10 and decisions[2].face_frames == 0
    other = 0.2 / (len(stream.labels) - 1)  # BrightnessModel: 0.8 for its emotion, the rest shared
    assert decisions[0].means["anger"] == pytest.approx(0.8 / (0.8 + 2 * other))
    assert log.steps[-1].kind == "media" and log.frames == 65 and log.dropped == 0
    json.dumps(log.to_dict())


def test_engine_is_pure_over_samples():
    story = parse_story(STORY)
    fear = {"fear": 0.7, "anger": 0.2, "neutral": 0.1}
    anger = {"fear": 0.1, "anger": 0.8, "neutral": 0.1}
    samples = [Sample(t / 10, anger if t < 40 else fear) for t in range(0, 80)]
    steps = run_story(story, samples)  # stops feeding at t=7.9: c and d fall back to defaults
    assert [s.segment for s in steps] == ["a", "b", "c", "d", "x"]
    assert steps[2].decision.reason == "no_face" and steps[3].decision.target == "x"
    assert [s.segment for s in run_story(story, [])] == ["a", "x"]
    low = [Sample(t / 10, {"fear": 0.4, "anger": 0.35, "neutral": 0.25}) for t in range(50)]
    assert run_story(story, low)[0].decision.reason == "below_threshold"


@pytest.mark.parametrize(
    "patch, field",
    [
        ({"start": "nowhere"}, "start: unknown segment 'nowhere'"),
        ({"segments.a.decision.threshold": 1.5}, "segments.a.decision.threshold"),
        ({"segments.a.decision.emotions": ["fear", "joyous"]}, "segments.a.decision.emotions"),
        ({"segments.a.decision.branches": {"sadness": "b"}}, "segments.a.decision"),
        ({"segments.a.decision.default": "zz"}, "segments.a.decision.default: unknown segment 'zz'"),
        ({"segments.b.duration": -1}, "segments.b.duration"),
        ({"segments.b.decision.window": 9}, "segments.b: decision.window (9) is longer than duration"),
        ({"segments.e.card": "both"}, "segments.e: give exactly one of card"),
        ({"segments.e.colour": "red"}, "segments.e.colour: Extra inputs are not permitted"),
        ({"segments.e.next": "a"}, "the story loops"),
    ],
)
def test_bad_story_errors_name_the_field(patch, field):
    data = json.loads(json.dumps(STORY))
    for dotted, value in patch.items():
        *parents, last = dotted.split(".")
        node = data
        for key in parents:
            node = node[key]
        node[last] = value
    with pytest.raises(StoryError) as exc:
        parse_story(data)
    assert field in str(exc.value)


def test_story_files_and_example(tmp_path):
    story = load_story(EXAMPLES / "riot.yaml")
    assert story.start in story.segments and set(story.emotions()) == {"fear", "anger", "neutral"}
    (tmp_path / "s.json").write_text(json.dumps(STORY))
    assert load_story(tmp_path / "s.json").segments["e"].media == str(tmp_path / "end.mp4")
    (tmp_path / "bad.yaml").write_text("start: a\nsegments: [1, 2\n")
    with pytest.raises(StoryError, match="not valid YAML"):
        load_story(tmp_path / "bad.yaml")


def test_story_cli(cli, viewer_video, tmp_path):
    res = cli("story", "check", EXAMPLES / "riot.yaml")
    assert res.exit_code == 0 and "settle (4s) -> street" in res.output
    log = tmp_path / "log.json"
    run = ("story", "run", EXAMPLES / "riot.yaml", "--source", viewer_video, "--fps", 2)
    res = cli(*run, "--log", log, "--device", "cpu")
    assert res.exit_code == 0, res.output
    data = json.loads(log.read_text())
    assert (
        data["path"][:2] == ["settle", "street"]
        and data["path"][-1] == "dawn"
        and "path: settle -> street ->" in res.output
    )
    assert data["steps"][1]["decision"]["frames"] == 8  # 4 s window at 2 fps
    assert data["calibration"]["faces"] >= 6  # the viewer's face in the 4 s settle segment, at 2 fps
    device = missing_device()
    res = cli(*run, "--device", device)
    assert_device_refused(res.exit_code, res.output, device)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"start": "a", "segments": {"a": {"card": "A", "duration": "long"}}}))
    res = cli("story", "check", bad)
    assert res.exit_code == 2 and "segments.a.duration" in res.output
