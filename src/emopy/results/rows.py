"""The two rows every producer emits: a face row (one face) and a frame row (one image or video frame), as JSON
objects with the names the package docstring lists; `Face` is the face result `FERModel.predict` returns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypedDict, overload

TIME_DECIMALS = 6  # microseconds: finer than any container's time base in use (1/90000 s), coarse enough for no noise
PROB_DECIMALS = 4


class FaceRow(TypedDict):
    """One face: its number, box, detector score, probabilities, dominant emotion, landmarks."""

    face: int
    box: list[int]
    score: float | None
    emotions: dict[str, float]
    dominant: str | None
    landmarks: dict[str, list[float]] | None


class TrackedFaceRow(FaceRow):
    """A face in a video: `face` is its track id, and its probabilities smoothed over time come along."""

    smoothed: dict[str, float]


class FrameRow(TypedDict):
    """One image or video frame: where it came from, when, its faces, and the error that stopped it."""

    source: str | None
    frame: int | None
    time_s: float | None
    faces: list[FaceRow]  # TrackedFaceRow in a video
    error: str | None


FACE_FIELDS = tuple(FaceRow.__annotations__)
FRAME_FIELDS = tuple(FrameRow.__annotations__)


@overload
def round_time(t: float) -> float: ...
@overload
def round_time(t: None) -> None: ...
def round_time(t: float | None) -> float | None:
    """A time in seconds to microseconds (None stays None): 1.4000000000000001 becomes 1.4."""
    return None if t is None else round(float(t), TIME_DECIMALS)


def _probabilities(p: Mapping[str, float]) -> dict[str, float]:
    return {k: round(float(v), PROB_DECIMALS) for k, v in p.items()}


def face_row(
    face: int,
    box: Sequence[float],
    score: float | None,
    emotions: Mapping[str, float],
    dominant: str | None,
    *,
    landmarks: Mapping[str, tuple[float, float]] | None = None,
    smoothed: Mapping[str, float] | None = None,
) -> FaceRow:
    """A face row (with `smoothed`: a tracked face's); probabilities and the score are rounded to 4 decimals,
    landmarks to 0.1 pixel."""
    row = FaceRow(
        face=int(face),
        box=[round(v) for v in box],
        score=None if score is None else round(float(score), PROB_DECIMALS),
        emotions=_probabilities(emotions),
        dominant=dominant,
        landmarks={k: [round(x, 1), round(y, 1)] for k, (x, y) in landmarks.items()} if landmarks else None,
    )
    return row if smoothed is None else TrackedFaceRow(**row, smoothed=_probabilities(smoothed))


def frame_row(
    source: str | None,
    frame: int | None,
    time_s: float | None,
    faces: Sequence[FaceRow] = (),
    error: str | None = None,
) -> FrameRow:
    """A frame row (a still image: frame and time_s None); the time is rounded to microseconds."""
    return FrameRow(
        source=None if source is None else str(source),
        frame=None if frame is None else int(frame),
        time_s=round_time(time_s),
        faces=list(faces),
        error=error,
    )


@dataclass(frozen=True)
class Face:
    """One face: square box (x, y, w, h), detector score (None without detection), probabilities, dominant emotion."""

    box: tuple[int, int, int, int]
    score: float | None
    emotions: dict[str, float]
    dominant: str
    landmarks: dict[str, tuple[float, float]] | None = None

    def to_row(self, face: int) -> FaceRow:
        """This face as face row number `face` (its place in detection order)."""
        return face_row(face, self.box, self.score, self.emotions, self.dominant, landmarks=self.landmarks)
