"""Images and a server process for the server tests."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import cv2
import httpx
import numpy as np
import yaml

from _predict_helpers import ASTRONAUT, astronaut, png_claiming

T = TypeVar("T")
GUARD_S = 60  # how long a test waits for what must happen before calling it missing: bounds a hang, claims no speed


def wait_until(condition: Callable[[], T], missing: str, timeout: float = GUARD_S) -> T:
    """Poll `condition` until it returns something truthy, and return that; AssertionError saying what is
    `missing` after `timeout` seconds."""
    end = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > end:
            raise AssertionError(f"{missing} (waited {timeout:g} s)")
        time.sleep(0.05)
    return value


def face_jpeg() -> bytes:
    """The shipped example photo (one face), as the JPEG bytes it ships as."""
    return ASTRONAUT.read_bytes()


def face_frame_640x480() -> np.ndarray:
    """A 640x480 BGR frame with the astronaut's face in it (for the benchmark and the fake camera)."""
    frame = np.full((480, 640, 3), 90, np.uint8)
    frame[:, 64:576] = cv2.resize(astronaut(), (512, 480), interpolation=cv2.INTER_AREA)
    return frame


def bomb_png(width: int = 30_000, height: int = 30_000) -> bytes:
    """A tiny PNG whose header claims width x height pixels (a decompression bomb as decoders see it)."""
    return png_claiming(width, height)


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """`emopy serve` as a real uvicorn process on 127.0.0.1 (its own process group, so kill() ends all its workers)."""

    def __init__(
        self, cmd: list[str], db: str, log: Path, workers: int = 1, env: dict | None = None, extra: tuple[str, ...] = ()
    ):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [
            *cmd,
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--db",
            db,
            "--workers",
            str(workers),
            *extra,
        ]
        full_env = {**os.environ, "EMOPY_THREADS": "1", "OMP_NUM_THREADS": "1", **(env or {})}
        self.log = log.open("ab")
        self.proc = subprocess.Popen(
            args, stdout=self.log, stderr=subprocess.STDOUT, env=full_env, start_new_session=True
        )

    def wait_ready(self, timeout: float = 60) -> None:
        """Poll /health until it answers 200."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}; see {self.log.name}")
            try:
                if httpx.get(self.url + "/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"server not ready after {timeout} s; see {self.log.name}")

    def kill(self) -> None:
        """SIGKILL the server and its workers: no shutdown handler runs."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        self.log.close()

    def stop(self) -> None:
        """SIGTERM for a clean shutdown, SIGKILL if it hangs."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.log.close()


def write_y4m(path: Path, frame: np.ndarray, frames: int = 30, fps: int = 30) -> Path:
    """A .y4m video (4:2:0) repeating one BGR frame: Chromium's fake camera plays it in a loop."""
    h, w = frame.shape[:2]
    planes = cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420).tobytes()  # Y, then U, then V
    with path.open("wb") as fh:
        fh.write(f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            fh.write(b"FRAME\n" + planes)
    return path


def quick_story(seconds: float = 1.5) -> dict:
    """A story that decides in its first `seconds` between happiness (the astronaut smiles) and sadness."""
    return {
        "title": "quick",
        "start": "start",
        "segments": {
            "start": {
                "card": "Look at the camera",
                "duration": seconds,
                "decision": {
                    "emotions": ["happiness", "sadness"],
                    "window": seconds,
                    "threshold": 0.5,
                    "min_frames": 3,
                    "branches": {"happiness": "smile", "sadness": "frown"},
                    "default": "nobody",
                },
            },
            "smile": {"card": "You smiled", "duration": 0.3},
            "frown": {"card": "You frowned", "duration": 0.3},
            "nobody": {"media": "clips/empty.webm", "duration": 0.3},
        },
    }


def write_story_folder(folder: Path, seconds: float = 1.5) -> Path:
    """A story folder: quick.yaml, its media file, and broken.json (a negative duration)."""
    (folder / "clips").mkdir(parents=True)
    (folder / "clips" / "empty.webm").write_bytes(b"\x1a\x45\xdf\xa3 not really a video")
    story = quick_story(seconds)
    (folder / "quick.yaml").write_text(yaml.safe_dump(story))
    start = {**story["segments"]["start"], "duration": -1}
    (folder / "broken.json").write_text(json.dumps({**story, "segments": {**story["segments"], "start": start}}))
    return folder


def process_tree(pid: int) -> list[int]:
    """A process and all its descendants (those alive now)."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        for children in Path(f"/proc/{p}/task").glob("*/children"):
            try:
                todo += map(int, children.read_text().split())
            except OSError:  # the thread or process ended meanwhile
                pass
    return found


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and its descendants together (VmRSS summed), in MB."""
    total = 0
    for p in process_tree(pid):
        try:
            status = Path(f"/proc/{p}/status").read_text().splitlines()
        except OSError:
            continue
        total += next((int(x.split()[1]) for x in status if x.startswith("VmRSS")), 0)
    return total / 1024


def tree_cpu_s(pid: int) -> float:
    """CPU seconds used so far by a process and its descendants, those that ended and were reaped included."""
    total = 0
    for p in process_tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(map(int, fields[11:15]))  # utime, stime, and cutime, cstime: its reaped children's
    return total / os.sysconf("SC_CLK_TCK")


def decoders(pid: int) -> dict[int, str]:
    """The live decoder processes (`emopy.decode_process`) under `pid`, with their state: R running, S waiting."""
    found = {}
    for p in process_tree(pid):
        try:
            command = Path(f"/proc/{p}/cmdline").read_bytes()
            state = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:  # it ended meanwhile
            continue
        if b"emopy.decode_process" in command and state not in ("Z", "X"):
            found[p] = state
    return found
