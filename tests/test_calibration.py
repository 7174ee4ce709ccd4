"""Per-viewer calibration: FERModel.calibrate, `emopy predict --baseline`, EmotionStream(calibrate_s), story
segments."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from _predict_helpers import ASTRONAUT, astronaut
from _stream_helpers import make_video
from emopy import CalibrationError, FERModel
from emopy.stream import StoryError, parse_story, run_on_stream


@pytest.fixture(scope="module")
def model():
    return FERModel(threads=1)


def rest_distribution(model: FERModel) -> np.ndarray:
    """The probabilities of the card's typical resting face over the model's emotions, after the model's prior
    correction (`balance`)."""
    card = model.classifier.card
    ref = np.exp(np.asarray(card.reference["rest"]) - model.balance * np.asarray(card.reference["prior"]))
    return ref / ref.sum()


def test_shipped_cards_carry_temperature_and_reference(model):
    card = model.classifier.card
    assert 0.3 < card.temperature < 3
    assert set(card.reference) == {"all", "rest", "prior"} and len(card.reference["rest"]) == len(card.labels)
    rest = rest_distribution(model)
    assert card.labels[int(np.argmax(rest))] == "neutral"  # what a resting face looks like to the model
    assert card.metrics["test"]["ece"] < card.metrics["test"]["ece_uncalibrated"]


def test_calibrating_on_the_same_face_maps_it_to_the_typical_resting_face(model):
    plain = model.predict(astronaut())[0]
    assert plain.dominant == "happiness"
    person = model.calibrate([astronaut()])
    face = person.predict(astronaut())[0]
    # the person's own baseline is subtracted, the population's resting face added: what is left is "at rest"
    assert face.dominant == "neutral"
    got = np.array([face.emotions[e] for e in model.emotions])
    assert np.allclose(got, rest_distribution(model), atol=1e-3)
    assert face.box == plain.box
    assert model.predict(astronaut())[0].emotions == plain.emotions  # the original model is unchanged
    assert person.calibrated_on == 1 and "calibrated on 1 faces" in repr(person)


def test_calibration_strength_is_the_share_of_the_shift_applied(model):
    """A mix of expressions moves the model by MIXED_STRENGTH of the shift a resting face would; 0 by nothing."""
    from emopy.predict.model import MIXED_STRENGTH

    crops = np.stack([cv2.resize(cv2.cvtColor(astronaut(), cv2.COLOR_BGR2GRAY)[82:176, 180:274], (48, 48))])
    log = lambda m: np.log(m.predict_proba(crops)[0])  # noqa: E731
    plain = log(model)
    full = log(model.calibrate(crops, resting=False, strength=1.0, detect=False)) - plain
    mixed = log(model.calibrate(crops, resting=False, detect=False)) - plain
    assert np.ptp(full) > 1.0  # the whole shift moves the smile a long way
    assert np.allclose(mixed - mixed.mean(), MIXED_STRENGTH * (full - full.mean()), atol=1e-4)
    assert np.allclose(log(model.calibrate(crops, strength=0.0, detect=False)), plain, atol=1e-6)
    with pytest.raises(ValueError, match="strength must be between 0"):
        model.calibrate(crops, strength=1.5, detect=False)


def test_calibration_keeps_the_subset_and_order():
    sub = FERModel(["calm", "happy"], threads=1)
    face = sub.calibrate(astronaut()).predict(astronaut())[0]
    assert list(face.emotions) == ["neutral", "happiness"] and face.dominant == "neutral"
    assert sum(face.emotions.values()) == pytest.approx(1.0)


def test_bad_calibration_input(model, tmp_path):
    with pytest.raises(CalibrationError, match="no resting faces given"):
        model.calibrate([])
    blank = np.full((240, 320, 3), 90, np.uint8)
    with pytest.raises(CalibrationError, match="no face found in any of the 2 calibration image"):
        model.calibrate([blank, blank])
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"not an image")
    person = model.calibrate([str(junk), astronaut(), blank])  # the unusable ones are skipped, with the reason
    assert person.calibrated_on == 1
    assert len(person.calibration_skipped) == 2 and str(junk) in person.calibration_skipped[0]
    assert person.calibration_skipped[1].endswith("no face found")


def test_predict_baseline_cli(cli, tmp_path):
    rest = tmp_path / "rest"
    rest.mkdir()
    cv2.imwrite(str(rest / "me.png"), astronaut())
    plain = json.loads(cli("predict", str(ASTRONAUT), "--json").stdout)
    res = cli("predict", "--baseline", str(rest), str(ASTRONAUT), "--json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert set(out[0]) == set(plain[0]) and set(out[0]["faces"][0]) == set(plain[0]["faces"][0])  # same JSON shape
    assert plain[0]["faces"][0]["dominant"] == "happiness" and out[0]["faces"][0]["dominant"] == "neutral"
    assert "calibrated on 1 face(s)" in res.stderr


@pytest.mark.parametrize(
    "setup, message",
    [
        (lambda p: p.mkdir(), "folder is empty"),
        (lambda p: (p.mkdir(), (p / "notes.txt").write_text("x")), "folder has no image files (found 1 file"),
        (lambda p: None, "no such file or folder"),
        (
            lambda p: (p.mkdir(), cv2.imwrite(str(p / "wall.png"), np.full((240, 320, 3), 90, np.uint8))),
            "no face found",
        ),
    ],
)
def test_predict_baseline_bad_input(cli, tmp_path, setup, message):
    rest = tmp_path / "rest"
    setup(rest)
    res = cli("predict", "--baseline", str(rest), str(ASTRONAUT), "--json")
    assert res.exit_code == 2
    assert message in res.stderr and "Traceback" not in res.output


@pytest.fixture(scope="module")
def resting_video(tmp_path_factory):
    return make_video(tmp_path_factory.mktemp("rest") / "rest.mp4", [(3, "neutral")], fps=5)


def test_stream_calibrates_after_the_first_seconds(resting_video):
    stream = FERModel(threads=1).predict_video(resting_video, calibrate_s=1.0)
    frames = list(stream)
    assert [f.calibrating for f in frames] == [True] * 5 + [False] * 10
    assert stream.calibration == {"faces": 5, "time_s": 1.0}
    before, after = frames[0].faces[0], frames[-1].faces[0]
    assert after.dominant == "neutral" and after.emotions["neutral"] > before.emotions["neutral"]
    assert FERModel(threads=1).predict_video(resting_video).calibration is None  # off unless asked for
    with pytest.raises(ValueError, match="calibrate_s"):
        FERModel(threads=1).predict_video(resting_video, calibrate_s=-1)


def test_story_calibration_segment(resting_video):
    story = parse_story(
        {
            "start": "rest",
            "segments": {
                "rest": {"card": "Relax and look at the screen", "duration": 1, "calibrate": True, "next": "scene"},
                "scene": {
                    "card": "Sirens.",
                    "duration": 2,
                    "decision": {
                        "emotions": ["calm", "fear"],
                        "window": 1,
                        "threshold": 0.5,
                        "branches": {"calm": "end"},
                        "default": "end",
                    },
                },
                "end": {"card": "THE END", "duration": 0.1},
            },
        }
    )
    stream = FERModel(threads=1).predict_video(resting_video)
    log = run_on_stream(story, stream, calibrator=stream)
    assert log.path == ["rest", "scene", "end"]
    assert log.extra["calibration"]["faces"] >= 4 and log.to_dict()["calibration"] == log.extra["calibration"]
    assert log.steps[1].decision.emotion == "neutral"
    with pytest.raises(StoryError, match="segments.rest: a calibrate segment measures the viewer at rest"):
        parse_story(
            {
                "start": "rest",
                "segments": {
                    "rest": {
                        "card": "x",
                        "duration": 2,
                        "calibrate": True,
                        "decision": {
                            "emotions": ["calm"],
                            "window": 1,
                            "branches": {"calm": "rest"},
                            "default": "rest",
                        },
                    }
                },
            }
        )


def test_balance_finds_rare_emotions_more_often(model):
    prior = np.asarray(model.classifier.card.reference["prior"])
    assert model.classifier.card.labels[int(np.argmin(prior))] in ("contempt", "disgust")  # the rarest in FER+
    crops = np.stack([cv2.resize(cv2.cvtColor(astronaut(), cv2.COLOR_BGR2GRAY)[82:176, 180:274], (48, 48))] * 2)
    plain = FERModel(balance=0.0, threads=1).predict_proba(crops)[0]
    balanced = FERModel(balance=1.0, threads=1).predict_proba(crops)[0]
    ratio = balanced / plain  # each emotion scaled by 1 / prior, renormalised: rarer emotions gain more
    rare, common = int(np.argmin(prior)), int(np.argmax(prior))
    assert ratio[rare] > ratio[common] and ratio[rare] / ratio[common] == pytest.approx(
        np.exp(prior[common] - prior[rare]), rel=1e-3
    )
    with pytest.raises(ValueError, match="balance must be between 0"):
        FERModel(balance=2.0)


def test_the_prior_correction_is_a_knob_on_top_of_the_default(model):
    """The default carries its fitted class bias inside the graph (card balance 0); `balance=` still corrects more."""
    assert model.balance == model.classifier.card.balance == 0.0
    assert FERModel(balance=0.5, threads=1).balance == 0.5
    assert FERModel(model="ferplus", threads=1).balance == 0.0
    crops = np.stack([cv2.resize(cv2.cvtColor(astronaut(), cv2.COLOR_BGR2GRAY)[82:176, 180:274], (48, 48))])
    assert not np.allclose(model.predict_proba(crops), FERModel(balance=0.5, threads=1).predict_proba(crops))


def test_shipped_cards_name_no_machine_local_paths():
    from pathlib import Path

    from emopy.cards import registry
    from emopy.portable import portable

    assert portable(Path.home() / "runs" / "x") == "~/runs/x"
    for weights in registry():
        command = weights.card.training["command"]
        assert str(Path.home()) + "/" not in command and "~/.cache/emopy-runs/" in command, (weights.name, command)
