"""The web app in a real headless Chromium with a fake webcam fed from a face video: predictions appear, feedback works.

Needs Debian's `chromium` and `chromium-driver` (apt-get install -y chromium chromium-driver); skipped without them.
The screenshot goes to $EMOPY_SCREENSHOT_DIR when set, else to the test's tmp folder.
"""

from __future__ import annotations

import base64
import contextlib
import io
import os
import shutil
import subprocess
import time
import zipfile
from pathlib import Path

import pytest

pytest.importorskip("uvicorn", reason="the server extra is not installed: pip install 'emopy-fer[server]'")

import httpx  # noqa: E402

from _serve_helpers import ServerProcess, face_frame_640x480, free_port, write_story_folder, write_y4m  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and DRIVER),
    reason="needs headless Chromium and its driver: apt-get install -y chromium chromium-driver",
)


class WebDriver:
    """The few W3C WebDriver calls this test needs, over plain HTTP to chromedriver."""

    def __init__(self, url: str, args: list[str]):
        self.http = httpx.Client(base_url=url, timeout=60)
        caps = {"browserName": "chrome", "goog:chromeOptions": {"binary": CHROMIUM, "args": args}}
        self.sid = self._call("POST", "/session", {"capabilities": {"alwaysMatch": caps}})["sessionId"]

    def _call(self, method: str, path: str, body: dict | None = None):
        r = self.http.request(method, path, json=body)
        r.raise_for_status()
        return r.json()["value"]

    def get(self, url: str) -> None:
        self._call("POST", f"/session/{self.sid}/url", {"url": url})

    def js(self, script: str):
        return self._call("POST", f"/session/{self.sid}/execute/sync", {"script": script, "args": []})

    def screenshot(self) -> bytes:
        return base64.b64decode(self._call("GET", f"/session/{self.sid}/screenshot"))

    def wait_for(self, script: str, timeout: float = 60):
        """Poll `script` until it returns something truthy."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            value = self.js(script)
            if value:
                return value
            time.sleep(0.25)
        raise TimeoutError(
            f"{script!r} stayed falsy for {timeout} s; page says: {self.js('return document.body.innerText')!r}"
        )

    def quit(self) -> None:
        self.http.request("DELETE", f"/session/{self.sid}")
        self.http.close()


@contextlib.contextmanager
def browser_on_server(tmp_path: Path, emopy_cmd: list[str], env: dict | None = None):
    """(browser, server): headless Chromium whose fake webcam shows the astronaut, and `emopy serve` on loopback."""
    video = write_y4m(tmp_path / "face.y4m", face_frame_640x480())
    args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--window-size=1000,1100",
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
        "--autoplay-policy=no-user-gesture-required",
    ]
    server = ServerProcess(
        emopy_cmd,
        f"sqlite:///{tmp_path / 'emopy.db'}",
        tmp_path / "server.log",
        env={"EMOPY_API_KEY": "s3cret", **(env or {})},
    )  # export is closed without a key
    port = free_port()
    driver_log = (tmp_path / "chromedriver.log").open("wb")
    chromedriver = subprocess.Popen(
        [DRIVER, f"--port={port}"], stdout=driver_log, stderr=subprocess.STDOUT, start_new_session=True
    )
    browser = None
    try:
        server.wait_ready()
        if not _wait_port(port):
            pytest.fail(f"chromedriver did not answer on port {port}; see {driver_log.name}")
        browser = WebDriver(f"http://127.0.0.1:{port}", args)
        yield browser, server
    finally:
        if browser is not None:
            browser.quit()
        chromedriver.terminate()
        chromedriver.wait(10)
        driver_log.close()
        server.stop()


def save_screenshot(shot: bytes, name: str, tmp_path: Path) -> None:
    out = Path(os.environ.get("EMOPY_SCREENSHOT_DIR", tmp_path))
    out.mkdir(parents=True, exist_ok=True)
    (out / name).write_bytes(shot)


def test_webcam_predictions_appear_and_feedback_is_stored(tmp_path, emopy_cmd):
    with browser_on_server(tmp_path, emopy_cmd) as (browser, server):
        browser.get(server.url + "/?camera")
        browser.wait_for("return document.querySelectorAll('#faces .face').length >= 1")
        start = browser.js("return window.emopyStats.answered")
        browser.wait_for(f"return window.emopyStats.answered >= {start + 5}")  # the stream keeps flowing
        dominant = browser.js("return document.querySelector('#faces .face .dominant').textContent")
        shot = browser.screenshot()
        save_screenshot(shot, "webapp-webcam.png", tmp_path)
        browser.js(
            "const s = document.querySelector('#faces .face select'); s.value = 'happiness'; s.dispatchEvent(new "
            "Event('change'));"
        )
        sent = browser.wait_for("return document.querySelector('#faces .face .sent').textContent", timeout=30)
        export = httpx.get(server.url + "/v1/feedback", headers={"X-API-Key": "s3cret"}, timeout=30)
    assert shot.startswith(b"\x89PNG")
    assert dominant.split()[0] in (
        "anger",
        "disgust",
        "fear",
        "happiness",
        "sadness",
        "surprise",
        "neutral",
        "contempt",
    )
    assert "thanks" in sent, sent
    with zipfile.ZipFile(io.BytesIO(export.content)) as zf:
        assert any(n.startswith("happiness/") for n in zf.namelist())


def test_story_page_decides_from_the_webcam(tmp_path, emopy_cmd):
    stories = write_story_folder(tmp_path / "stories", seconds=4)
    with browser_on_server(tmp_path, emopy_cmd, env={"EMOPY_STORIES": str(stories)}) as (browser, server):
        browser.get(server.url + "/story.html?story=quick&autoplay")
        browser.wait_for("return window.emopyStory.frames >= 5 && document.querySelector('#measure meter')")
        card = browser.js("return document.querySelector('#card').textContent")
        shot = browser.screenshot()
        save_screenshot(shot, "webapp-story.png", tmp_path)
        ended = browser.wait_for("return window.emopyStory.ended", timeout=30)
        shown = browser.js("return window.emopyStory.segments")
        listed = browser.js("return [...document.querySelectorAll('#path .step')].map((li) => li.textContent)")
    assert card == "Look at the camera"
    assert ended["path"] == ["start", "smile"] and shown == ["start", "smile"]
    decision = ended["steps"][0]["decision"]
    assert (
        decision["reason"] == "confident" and decision["emotion"] == "happiness" and decision["face_frames"] >= 3
    )  # min_frames
    assert listed[0].startswith("start → smile (confident: ") and listed[1] == "smile"


def _wait_port(port: int, timeout: float = 20) -> bool:
    """True once chromedriver answers /status."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/status", timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            time.sleep(0.2)
    return False


def test_webcam_page_calibrates_to_the_viewer(tmp_path, emopy_cmd):
    with browser_on_server(tmp_path, emopy_cmd) as (browser, server):
        browser.get(server.url + "/")
        browser.js("document.getElementById('calibrate').click()")
        calibrated = browser.wait_for("return window.emopyStats.calibrated", timeout=60)
        seen = browser.js("return window.emopyStats.answered")  # the calibrated message counted too
        browser.wait_for(f"return window.emopyStats.answered > {seen}")  # a frame answered after the calibration
        dominant = browser.js("return document.querySelector('#faces .face .dominant').textContent")
        status = browser.js("return document.getElementById('status').textContent")
    assert calibrated["faces"] >= 3 and "calibrated to your resting face" in status
    assert dominant.split()[0] == "neutral"  # the smiling fake viewer, calibrated to their own face, reads as at rest
