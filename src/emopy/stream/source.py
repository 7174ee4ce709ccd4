"""Frame sources: video files read in order, cameras and stream URLs read by a thread into a bounded buffer."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import SourceError
from ..results import round_time


@dataclass(frozen=True)
class Frame:
    """One decoded frame: position in the source, time in seconds to the microsecond (the container's timestamp for
    files, since start for live sources), BGR image."""

    index: int
    t: float
    image: np.ndarray = field(repr=False, compare=False)


def _capture(spec: str | int) -> Any:
    import cv2

    cap = cv2.VideoCapture(spec)
    if not cap.isOpened():
        raise SourceError(f"cannot open video source {spec!r}")
    return cap


class FileSource:
    """Every frame of a video file in order (nothing dropped); `fps` keeps about that many frames per second."""

    live = False

    def __init__(self, path: str | Path, fps: float | None = None):
        path = Path(path)
        if not path.is_file():
            raise SourceError(f"video file not found: {path}")
        import cv2

        self.path = path
        self._cap = _capture(str(path))
        self.fps = float(self._cap.get(cv2.CAP_PROP_FPS) or 0) or 30.0
        self.total = int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0) or None
        self.size = (int(self._cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
        self.target_fps = fps
        self.dropped = 0  # a file never drops; frames thinned by `fps` are counted in `skipped`
        self.skipped = 0

    def __iter__(self) -> Iterator[Frame]:
        import cv2

        step = 1.0 / self.target_fps if self.target_fps else 0.0
        next_t, index, last = 0.0, 0, -1.0
        try:
            while self._cap.grab():
                # the container's timestamp (PTS) of this frame: right for variable-frame-rate video too
                ms = self._cap.get(cv2.CAP_PROP_POS_MSEC)
                t = ms / 1000.0 if ms > 0 or index == 0 else index / self.fps
                t = round_time(t if t > last else last + 1.0 / self.fps)  # no timestamps: count frames
                last = t
                if t < next_t - 1e-6:  # thinned by `fps`
                    self.skipped += 1
                else:
                    ok, image = self._cap.retrieve()
                    if not ok:
                        return
                    while step and next_t <= t + 1e-6:
                        next_t += step
                    yield Frame(index, t, image)
                index += 1
        finally:
            self.close()

    def close(self) -> None:
        """Release the decoder."""
        self._cap.release()


class LiveSource:
    """A camera or stream URL: a reader thread keeps only the newest `buffer` frames, counting the ones it drops."""

    live = True

    def __init__(self, open_capture: Callable[[], Any], buffer: int = 2, clock: Callable[[], float] = time.monotonic):
        if buffer < 1:
            raise ValueError("buffer must hold at least one frame")
        self._open = open_capture
        self._buf: deque[Frame] = deque(maxlen=buffer)
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._ended = False
        self._clock = clock
        self._thread: threading.Thread | None = None
        self.dropped = 0
        self.skipped = 0
        self.fps: float | None = None
        self.total = None

    def _read(self) -> None:
        cap = self._open()
        start, index = self._clock(), 0
        try:
            while not self._stop.is_set():
                ok, image = cap.read()
                if not ok:
                    break
                with self._cond:
                    if len(self._buf) == self._buf.maxlen:
                        self.dropped += 1  # deque drops the oldest
                    self._buf.append(Frame(index, round_time(self._clock() - start), image))
                    self._cond.notify()
                index += 1
        finally:
            if hasattr(cap, "release"):
                cap.release()
            with self._cond:
                self._ended = True
                self._cond.notify_all()

    def __iter__(self) -> Iterator[Frame]:
        self._thread = threading.Thread(target=self._read, name="emopy-frames", daemon=True)
        self._thread.start()
        try:
            while True:
                with self._cond:
                    while not self._buf and not self._ended:
                        self._cond.wait(0.5)
                    if not self._buf:
                        return
                    frame = self._buf.popleft()
                yield frame
        finally:
            self.close()

    def close(self) -> None:
        """Stop the reader thread."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2)


def open_source(spec: str | int | Path, *, fps: float | None = None, buffer: int = 2) -> FileSource | LiveSource:
    """A video file path, a camera index (0, "0") or a stream URL ("rtsp://...", "http://...")."""
    if isinstance(spec, int) or (isinstance(spec, str) and spec.strip().isdigit()):
        index = int(spec)
        return LiveSource(lambda: _capture(index), buffer=buffer)
    if isinstance(spec, str) and "://" in spec:
        return LiveSource(lambda: _capture(spec), buffer=buffer)
    return FileSource(spec, fps=fps)
