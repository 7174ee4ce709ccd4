"""Stories in the browser, server side: listing, reading, media, and a live play decided from webcam frames."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml

pytest.importorskip("fastapi", reason="the server extra is not installed: pip install 'emopy-fer[server]'")

from _serve_helpers import face_jpeg, write_story_folder  # noqa: E402
from emopy.serve.stories import StoryLibrary, UnknownStory  # noqa: E402


@pytest.fixture()
def stories(tmp_path):
    (tmp_path / "secret.txt").write_text("outside the story folder")
    return write_story_folder(tmp_path / "stories")


def play(client, name: str, frames: bool, bad_frame: bool = False) -> list[dict]:
    """Every message of one live play; with `frames`, a face frame whenever the last one is answered (as the page
    does, one in flight)."""
    msgs: list[dict] = []
    with client.websocket_connect(f"/v1/stories/{name}/play") as ws:
        msgs.append(ws.receive_json())
        if bad_frame:
            ws.send_bytes(b"not an image")
            msgs.append(ws.receive_json())
        while not msgs or msgs[-1]["type"] != "end":
            if frames:
                try:
                    ws.send_bytes(face_jpeg())
                except Exception:  # the story ended and the server closed meanwhile; its last messages are queued
                    frames = False
                    continue
            while True:  # until this frame's answer (or the end): timer messages may come in between
                msgs.append(ws.receive_json())
                if msgs[-1]["type"] in ("frame", "end") or not frames:
                    break
    return msgs


def test_lists_and_reads_the_shipped_stories(client):
    listed = {s["name"]: s for s in client.get("/v1/stories").json()}
    assert listed["riot"]["emotions"] == ["fear", "anger", "neutral"] and listed["riot"]["start"] == "settle"
    story = client.get("/v1/stories/riot").json()
    assert story["segments"]["street"]["decision"]["branches"] == {
        "fear": "alley",
        "anger": "barricade",
        "neutral": "officer",
    }
    missing = client.get("/v1/stories/nope")
    assert missing.status_code == 404 and "riot" in missing.json()["detail"]
    page = client.get("/story.html")
    assert page.status_code == 200 and "story.js" in page.text


def test_broken_story_and_media_rules(make_client, stories):
    client = make_client(stories=str(stories))
    listed = {s["name"]: s for s in client.get("/v1/stories").json()}
    assert set(listed) == {"quick", "broken"}
    assert "segments.start.duration" in listed["broken"]["error"]
    bad = client.get("/v1/stories/broken")
    assert bad.status_code == 422 and "segments.start.duration" in bad.json()["detail"]
    media = client.get("/v1/stories/quick/media/clips/empty.webm")
    assert media.status_code == 200 and media.content.startswith(b"\x1a\x45\xdf\xa3")
    for sneaky in ("../secret.txt", "clips/../../secret.txt", "nothing.webm"):
        assert client.get(f"/v1/stories/quick/media/{sneaky}").status_code == 404, sneaky
        with pytest.raises(UnknownStory, match="no media file"):  # also when no URL normalisation happens first
            StoryLibrary(stories).media("quick", sneaky)
    with client.websocket_connect("/v1/stories/broken/play") as ws:
        assert "segments.start.duration" in ws.receive_json()["error"]


def test_live_play_branches_on_the_viewers_face(make_client, stories):
    client = make_client(stories=str(stories))
    msgs = play(client, "quick", frames=True, bad_frame=True)
    assert msgs[0] == {
        "type": "segment",
        "segment": "start",
        "start": 0.0,
        "duration": 1.5,
        "calibrate": False,
        "kind": "card",
        "content": "Look at the camera",
        "decision": {"emotions": ["happiness", "sadness"], "window": 1.5, "threshold": 0.5},
    }
    assert msgs[1]["type"] == "error" and "not a readable image" in msgs[1]["error"]
    frames = [m for m in msgs if m["type"] == "frame"]
    assert len(frames) >= 3 and all(len(m["faces"]) == 1 for m in frames)
    assert frames[0]["measure"]["means"]["happiness"] > 0.5  # the running measurement the page shows
    steps = [m for m in msgs if m["type"] == "step"]
    decision = steps[0]["decision"]
    assert decision["reason"] == "confident" and decision["emotion"] == "happiness" and decision["face_frames"] >= 3
    assert [m["segment"] for m in msgs if m["type"] == "segment"] == ["start", "smile"]
    assert msgs[-1]["type"] == "end" and msgs[-1]["path"] == ["start", "smile"]


def test_live_play_without_a_face_takes_the_default(make_client, stories):
    client = make_client(stories=str(stories))
    msgs = play(client, "quick", frames=False)
    step = next(m for m in msgs if m["type"] == "step")
    assert step["decision"]["reason"] == "no_face" and step["decision"]["target"] == "nobody"
    nobody = next(m for m in msgs if m["type"] == "segment" and m["segment"] == "nobody")
    assert nobody["kind"] == "media" and nobody["media_url"] == "v1/stories/quick/media/clips/empty.webm"
    assert msgs[-1]["path"] == ["start", "nobody"]


def test_calibration_segment_calibrates_the_viewer(make_client, stories):
    """A story that opens by calibrating: the smiling astronaut is this viewer's resting face, so they now read calm."""
    story = {
        "title": "calibrated",
        "start": "rest",
        "segments": {
            "rest": {"card": "Relax and look at the screen", "duration": 1.0, "calibrate": True, "next": "start"},
            "start": {
                "card": "Look at the camera",
                "duration": 1.5,
                "decision": {
                    "emotions": ["happiness", "neutral"],
                    "window": 1.5,
                    "threshold": 0.5,
                    "min_frames": 3,
                    "branches": {"happiness": "smile", "neutral": "calm"},
                    "default": "smile",
                },
            },
            "smile": {"card": "You smiled", "duration": 0.3},
            "calm": {"card": "You stayed calm", "duration": 0.3},
        },
    }
    (stories / "calibrated.yaml").write_text(yaml.safe_dump(story))
    msgs = play(make_client(stories=str(stories)), "calibrated", frames=True)
    assert msgs[0]["segment"] == "rest" and msgs[0]["calibrate"] is True
    calibrated = next(m for m in msgs if m["type"] == "calibrated")
    assert calibrated["faces"] >= 1 and "error" not in calibrated  # how many: as many frames as the second allowed
    assert msgs.index(calibrated) < next(
        i for i, m in enumerate(msgs) if m["type"] == "segment" and m["segment"] == "start"
    )
    step = next(m for m in msgs if m["type"] == "step" and m["segment"] == "start")
    assert step["decision"]["emotion"] == "neutral" and step["decision"]["reason"] == "confident"
    assert msgs[-1]["path"] == ["rest", "start", "calm"]


def test_every_play_ends_with_its_end_message_while_frames_keep_coming(make_client, stories):
    """The timer and the frame loop both advance a live story: whichever ends it must send the end before closing."""
    seg = {"card": "Hold still", "duration": 0.15}
    story = {
        "title": "blink",
        "start": "a",
        "segments": {"a": {**seg, "next": "b"}, "b": {**seg, "next": "c"}, "c": seg},
    }
    (stories / "blink.yaml").write_text(yaml.safe_dump(story))
    client = make_client(stories=str(stories))
    for _ in range(8):
        msgs = play(client, "blink", frames=True)
        assert msgs[-1]["type"] == "end" and msgs[-1]["path"] == ["a", "b", "c"]
        announced = [m["segment"] for m in msgs if m["type"] == "segment"]
        assert announced == ["a", "b", "c"]  # each segment once, in story order


def test_calibration_runs_off_the_event_loop(make_client, stories, monkeypatch):
    """While a story's calibration is held (by an Event this test controls), the server still answers HTTP: the
    calibration runs in the thread pool, never on the event loop. Then it ends and the story with it."""
    from emopy.stream.calibration import Calibration

    entered, release, end = threading.Event(), threading.Event(), Calibration.end

    def held(viewer: Calibration) -> dict:
        entered.set()
        release.wait()
        return end(viewer)

    monkeypatch.setattr(Calibration, "end", held)
    rest = {"card": "Relax", "duration": 0.2, "calibrate": True}
    (stories / "rest.yaml").write_text(yaml.safe_dump({"title": "rest", "start": "rest", "segments": {"rest": rest}}))
    client = make_client(stories=str(stories))
    with ThreadPoolExecutor(1) as pool, client.websocket_connect("/v1/stories/rest/play") as ws:
        assert ws.receive_json()["segment"] == "rest"
        try:
            assert entered.wait(60), "the calibrate segment never ended"
            listed = pool.submit(client.get, "/v1/stories")  # on the event loop a held calibration would hold it
            assert listed.result(timeout=60).status_code == 200, "the server did not answer during a calibration"
        finally:
            release.set()
        msgs = [ws.receive_json() for _ in range(3)]
    assert [m["type"] for m in msgs] == ["step", "calibrated", "end"]
    assert msgs[1]["faces"] == 0 and "no face was seen" in msgs[1]["error"]
