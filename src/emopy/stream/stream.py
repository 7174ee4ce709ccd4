"""`EmotionStream`: per-frame faces with track ids, raw and smoothed probabilities and a steady dominant emotion."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..recognizer import Recognizer
from ..results import FaceRow, FrameRow, columns, face_row, frame_row, table, to_pandas
from .smoothing import Dominant, DominantTracker, make_smoother
from .source import FileSource, Frame, LiveSource, open_source
from .tracking import IoUTracker


@dataclass(frozen=True)
class TrackedFace:
    """One face in one frame: track id, box, detector score, raw and smoothed probabilities, held dominant emotion."""

    track_id: int
    box: tuple[int, int, int, int]
    score: float | None
    emotions: dict[str, float]
    smoothed: dict[str, float]
    dominant: str | None
    confidence: float

    def to_row(self) -> FaceRow:
        """This face's row (emopy.results): `face` is the track id, `smoothed` comes along."""
        return face_row(self.track_id, self.box, self.score, self.emotions, self.dominant, smoothed=self.smoothed)


@dataclass(frozen=True)
class StreamFrame:
    """Results for one processed frame; `dropped`/`skipped` count source frames never processed so far; `source`
    names the video, camera or stream (None for frames handed in)."""

    index: int
    t: float
    faces: tuple[TrackedFace, ...]
    dropped: int = 0
    skipped: int = 0
    image: np.ndarray | None = field(default=None, repr=False, compare=False)
    calibrating: bool = False  # this frame's primary face was collected to calibrate the model to the viewer
    source: str | None = None

    @property
    def primary(self) -> TrackedFace | None:
        """The largest face (the viewer, in a one-viewer setting), or None."""
        return max(self.faces, key=lambda f: f.box[2] * f.box[3], default=None)

    @property
    def dominant(self) -> str | None:
        """The primary face's held dominant emotion."""
        face = self.primary
        return face.dominant if face else None

    def to_row(self) -> FrameRow:
        """This frame's row (emopy.results)."""
        return frame_row(self.source, self.index, self.t, [f.to_row() for f in self.faces])


class _TrackState:
    """Per-track smoother and dominant tracker."""

    def __init__(self, stream: EmotionStream):
        self.smoother = make_smoother(stream.smoothing, half_life=stream.half_life, window=stream.window)
        self.dominant = DominantTracker(
            stream.labels,
            stream.dominant_emotions,
            window=stream.window,
            threshold=stream.threshold,
            hysteresis=stream.hysteresis,
        )


class EmotionStream:
    """Iterate a video file, camera index, stream URL or iterable of `Frame`s and get one `StreamFrame` per processed
    frame.

    Examples:
        >>> model = FERModel(["fear", "anger", "calm"])
        >>> for frame in model.predict_video("film.mp4"):      # an EmotionStream over this model
        ...     print(frame.t, frame.dominant, [f.smoothed for f in frame.faces])
        >>> model.predict_video("film.mp4", fps=5).to_pandas()  # table lines: one per face per frame (emopy.results)

    `model` is a `Recognizer` such as FERModel (frames go through its `predict_batch`). Live sources keep only the
    newest `buffer` frames; the rest are dropped. `calibrate_s` > 0: the viewer rests for the first seconds and their
    face then calibrates the model (`FERModel.calibrate`); `begin_calibration`/`end_calibration` do it at any time.
    """

    def __init__(
        self,
        source: str | int | Path | FileSource | LiveSource | Iterable[Frame],
        model: Recognizer,
        *,
        dominant_emotions: Sequence[str] | str | None = None,
        smoothing: str = "ema",
        half_life: float = 0.5,
        window: float = 1.0,
        threshold: float = 0.5,
        hysteresis: float = 0.1,
        detect_every: int = 1,
        min_iou: float = 0.3,
        max_age: float = 1.0,
        fps: float | None = None,
        buffer: int = 2,
        keep_image: bool = False,
        calibrate_s: float = 0.0,
    ):
        from ..emotions import resolve_many

        name = source if isinstance(source, (str, int, Path)) else getattr(source, "path", None)
        self.name = None if name is None else str(name)  # the rows' `source`
        if isinstance(source, (str, int, Path)):
            source = open_source(source, fps=fps, buffer=buffer)
        self.source = source
        self.model = model
        self.labels: tuple[str, ...] = tuple(model.emotions)
        self.dominant_emotions = tuple(resolve_many(dominant_emotions)) if dominant_emotions else self.labels
        if detect_every < 1:
            raise ValueError("detect_every must be at least 1")
        self.smoothing, self.half_life, self.window = smoothing, half_life, window
        self.threshold, self.hysteresis = threshold, hysteresis
        make_smoother(smoothing, half_life=half_life, window=window)  # validate now
        DominantTracker(self.labels, self.dominant_emotions, window=window, threshold=threshold, hysteresis=hysteresis)
        self.detect_every = detect_every
        self.keep_image = keep_image
        self.tracker = IoUTracker(min_iou=min_iou, max_age=max_age)
        self._states: dict[int, _TrackState] = {}
        self._last_dets: list = []
        self.processed = 0
        self.seconds = 0.0  # wall time spent processing
        if calibrate_s < 0:
            raise ValueError("calibrate_s must be 0 (off) or a number of seconds")
        from .calibration import Calibration

        self._calibration = Calibration(model)  # every calibration starts again from the uncalibrated model
        if calibrate_s:
            self._calibration.begin()
        self._calib_until = calibrate_s or None  # seconds after the first frame
        self._t0: float | None = None
        self.calibration: dict | None = None  # {"faces": n, "time_s": t} after a calibration ({"faces": 0, ...}: none)

    @property
    def dropped(self) -> int:
        """Frames a live source dropped because processing was slower than arrival."""
        return int(getattr(self.source, "dropped", 0))

    @property
    def skipped(self) -> int:
        """File frames thinned out by the `fps` option."""
        return int(getattr(self.source, "skipped", 0))

    def begin_calibration(self) -> None:
        """Start collecting the viewer's (largest) face from the next frame on, as their resting face."""
        self._calibration.begin()
        self._calib_until = None

    def end_calibration(self, t: float | None = None) -> bool:
        """Calibrate the model on the faces collected since `begin_calibration`; False (model unchanged) if none."""
        self._calib_until = None
        done = self._calibration.end()
        self.calibration = {"faces": done["faces"], "time_s": t}
        if "error" in done or self._calibration.model is None:
            return False
        self.model = self._calibration.model
        self._states.clear()  # smoothed values of the uncalibrated model would linger otherwise
        return True

    def process(self, frame: Frame) -> StreamFrame:
        """Detect (or follow tracked boxes), classify, track and smooth one frame."""
        if self._t0 is None:
            self._t0 = frame.t
        if self._calib_until is not None and frame.t - self._t0 >= self._calib_until:
            self.end_calibration(frame.t)
        calibrating = self._calibration.collecting
        detect = self.processed % self.detect_every == 0 or not self.tracker.tracks
        found = self.model.predict_batch([frame.image], detections=None if detect else [self._last_dets])[0]
        dets, probs = found.detections, found.probs
        self._last_dets = list(dets)
        self._calibration.add(found.crops, [d.box for d in dets])
        ids = self.tracker.update([d.box for d in dets], frame.t)
        for gone in [i for i in self._states if i not in self.tracker.tracks]:
            del self._states[gone]
        faces = []
        for tid, face, p in zip(ids, found.faces, probs):
            state = self._states.setdefault(tid, _TrackState(self))
            smooth = state.smoother.update(frame.t, p)
            dom: Dominant = state.dominant.update(frame.t, p)
            faces.append(
                TrackedFace(
                    tid,
                    face.box,
                    face.score,
                    dict(face.emotions),
                    {e: float(v) for e, v in zip(self.labels, smooth)},
                    dom.emotion,
                    dom.confidence,
                )
            )
        self.processed += 1
        return StreamFrame(
            frame.index,
            frame.t,
            tuple(faces),
            self.dropped,
            self.skipped,
            frame.image if self.keep_image else None,
            calibrating,
            self.name,
        )

    def __iter__(self) -> Iterator[StreamFrame]:
        for frame in self.source:
            start = time.perf_counter()
            out = self.process(frame)
            self.seconds += time.perf_counter() - start
            yield out

    def to_pandas(self):
        """Process the (remaining) frames: a DataFrame of their table lines (emopy.results; needs pandas)."""
        return to_pandas(table((f.to_row() for f in self), self.labels, True), columns(self.labels, True))

    def close(self) -> None:
        """Stop reading the source."""
        close = getattr(self.source, "close", None)
        if close:
            close()
