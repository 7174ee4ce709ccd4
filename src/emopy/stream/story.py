"""Branching stories: a validated story file, a pure engine over per-frame probabilities, and the run log.

The engine never touches video or models: feed it `(t, probabilities or None)` samples (from `EmotionStream`,
a browser, a test) and it reports each segment played and each decision with the measurements behind it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..emotions import resolve, resolve_many
from ..errors import StoryError
from ..structured import field_errors, read_mapping


class DecisionPoint(BaseModel):
    """Measure the viewer over the last `window` seconds of a segment and pick a branch."""

    model_config = ConfigDict(extra="forbid")
    emotions: list[str] = Field(min_length=1, description="emotions that count (aliases allowed)")
    window: float = Field(gt=0, description="seconds measured, ending when the segment ends")
    threshold: float = Field(0.5, ge=0, le=1, description="mean probability the winner needs")
    min_frames: int = Field(1, ge=1, description="frames with a face needed in the window")
    branches: dict[str, str] = Field(min_length=1, description="emotion -> segment id")
    default: str = Field(description="segment when no face is seen or no emotion is confident")

    @field_validator("emotions")
    @classmethod
    def _emotions(cls, v: list[str]) -> list[str]:
        return resolve_many(v)

    @field_validator("branches")
    @classmethod
    def _branches(cls, v: dict[str, str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for key, target in v.items():
            name = resolve(key)
            if name in out:
                raise ValueError(f"emotion {key!r} appears twice")
            out[name] = target
        return out

    @model_validator(mode="after")
    def _keys(self) -> DecisionPoint:
        extra = [k for k in self.branches if k not in self.emotions]
        if extra:
            raise ValueError(f"branches {extra} are not among the decision's emotions {self.emotions}")
        return self


class Segment(BaseModel):
    """A text card or a media file shown for `duration` seconds, then `next`, a decision, or the end.

    `calibrate: true` marks a resting segment: the viewer's face during it calibrates the model to them
    (per-viewer calibration) for the rest of the story.
    """

    model_config = ConfigDict(extra="forbid")
    card: str | None = None
    media: str | None = None
    duration: float = Field(gt=0)
    next: str | None = None
    decision: DecisionPoint | None = None
    calibrate: bool = False

    @model_validator(mode="after")
    def _one_kind(self) -> Segment:
        if (self.card is None) == (self.media is None):
            raise ValueError("give exactly one of card (text) or media (a file)")
        if self.next is not None and self.decision is not None:
            raise ValueError("give next or decision, not both")
        if self.calibrate and self.decision is not None:
            raise ValueError("a calibrate segment measures the viewer at rest; it cannot also decide")
        if self.decision is not None and self.decision.window > self.duration:
            raise ValueError(f"decision.window ({self.decision.window:g}) is longer than duration ({self.duration:g})")
        return self


class Story(BaseModel):
    """A story: its segments by id and the one it starts with."""

    model_config = ConfigDict(extra="forbid")
    title: str = ""
    start: str
    segments: dict[str, Segment] = Field(min_length=1)

    def emotions(self) -> list[str]:
        """Every emotion any decision measures."""
        out: list[str] = []
        for seg in self.segments.values():
            for e in seg.decision.emotions if seg.decision else []:
                if e not in out:
                    out.append(e)
        return out


def _check_links(story: Story) -> list[str]:
    """Errors for targets that do not exist and for cycles (a story must end)."""
    errors = []
    ids = set(story.segments)
    if story.start not in ids:
        errors.append(f"start: unknown segment {story.start!r}")
    for sid, seg in story.segments.items():
        links = [(f"segments.{sid}.next", seg.next)] if seg.next else []
        if seg.decision:
            links += [(f"segments.{sid}.decision.branches.{k}", v) for k, v in seg.decision.branches.items()]
            links.append((f"segments.{sid}.decision.default", seg.decision.default))
        errors += [f"{where}: unknown segment {target!r}" for where, target in links if target not in ids]
    if errors:
        return errors
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(sid: str, trail: list[str]) -> str | None:
        state[sid] = 1
        for nxt in successors(story.segments[sid]):
            if state.get(nxt) == 1:
                return " -> ".join(trail + [sid, nxt])
            if nxt not in state and (found := visit(nxt, trail + [sid])):
                return found
        state[sid] = 2
        return None

    for sid in story.segments:
        if sid not in state and (cycle := visit(sid, [])):
            return [f"segments: the story loops ({cycle}); it must always reach an end"]
    return []


def successors(seg: Segment) -> list[str]:
    """Segment ids a segment can lead to."""
    if seg.decision:
        return list(dict.fromkeys([*seg.decision.branches.values(), seg.decision.default]))
    return [seg.next] if seg.next else []


def parse_story(data: Any, name: str = "story") -> Story:
    """A validated Story from parsed YAML/JSON; StoryError lists every problem with its field path."""
    if not isinstance(data, dict):
        raise StoryError(f"{name}: expected a mapping with start and segments, got {type(data).__name__}")
    try:
        story = Story.model_validate(data)
    except ValidationError as exc:
        lines = field_errors(exc)
        raise StoryError(f"{name}: invalid story:\n  " + "\n  ".join(lines)) from None
    problems = _check_links(story)
    if problems:
        raise StoryError(f"{name}: invalid story:\n  " + "\n  ".join(problems))
    return story


def load_story(path: str | Path) -> Story:
    """Read and validate a .yaml/.yml or .json story file; media paths become relative to the file."""
    path = Path(path)
    data = read_mapping(path, "story", StoryError)
    story = parse_story(data, str(path))
    for seg in story.segments.values():
        if seg.media and not Path(seg.media).is_absolute():
            seg.media = str(path.parent / seg.media)
    return story


# --- the engine -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """The viewer at time t: probabilities by emotion name, or None when no face was seen."""

    t: float
    emotions: Mapping[str, float] | None


@dataclass(frozen=True)
class Decision:
    """What a decision point measured and chose."""

    emotion: str | None
    target: str
    reason: str  # "confident", "below_threshold", "no_face" or "no_branch" (winner has no branch)
    window: tuple[float, float]
    threshold: float
    frames: int
    face_frames: int
    means: dict[str, float]

    def to_dict(self) -> dict:
        return {
            "emotion": self.emotion,
            "target": self.target,
            "reason": self.reason,
            "window": [round(self.window[0], 3), round(self.window[1], 3)],
            "threshold": self.threshold,
            "frames": self.frames,
            "face_frames": self.face_frames,
            "means": {k: round(v, 4) for k, v in self.means.items()},
        }


@dataclass(frozen=True)
class Step:
    """One segment played: its id, story-time span, what was shown, and the decision at its end if any."""

    segment: str
    start: float
    end: float
    kind: str
    content: str
    decision: Decision | None = None

    def to_dict(self) -> dict:
        return {
            "segment": self.segment,
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "kind": self.kind,
            "content": self.content,
            "decision": self.decision.to_dict() if self.decision else None,
        }


def decide(point: DecisionPoint, samples: Iterable[Sample], window: tuple[float, float]) -> Decision:
    """The branch for the samples inside `window` [start, end): mean probabilities over the point's emotions."""
    start, end = window
    inside = [s for s in samples if start <= s.t < end]
    faces = [s.emotions for s in inside if s.emotions is not None]
    means = {e: 0.0 for e in point.emotions}
    for probs in faces:
        missing = [e for e in point.emotions if e not in probs]
        if missing:
            raise StoryError(f"decision.emotions: {missing} not measured (samples have {list(probs)})")
        total = sum(probs[e] for e in point.emotions) or 1.0
        for e in point.emotions:
            means[e] += probs[e] / total / len(faces)
    if len(faces) < point.min_frames:
        return Decision(None, point.default, "no_face", window, point.threshold, len(inside), len(faces), means)
    best = max(means, key=means.__getitem__)
    if means[best] < point.threshold:
        return Decision(None, point.default, "below_threshold", window, point.threshold, len(inside), len(faces), means)
    if best not in point.branches:
        return Decision(best, point.default, "no_branch", window, point.threshold, len(inside), len(faces), means)
    return Decision(best, point.branches[best], "confident", window, point.threshold, len(inside), len(faces), means)


class StoryPlayer:
    """Plays a story on a clock driven by samples: `feed(t, probs)` returns the steps that finished by time t."""

    def __init__(self, story: Story, t0: float = 0.0):
        self.story = story
        self.current: str | None = story.start
        self.start = t0
        self.steps: list[Step] = []
        self._samples: list[Sample] = []

    @property
    def done(self) -> bool:
        return self.current is None

    @property
    def path(self) -> list[str]:
        """Segment ids played so far, in order."""
        return [s.segment for s in self.steps]

    @property
    def calibrating(self) -> bool:
        """Whether the current segment is a calibration (resting) segment."""
        return bool(self.current and self.story.segments[self.current].calibrate)

    @property
    def end(self) -> float:
        """Story time at which the current segment ends."""
        return self.start + self.story.segments[self.current].duration if self.current else self.start

    def _finish_segment(self, sid: str) -> Step:
        """End segment `sid` (the current one): decide where to go, record its step and move on."""
        seg = self.story.segments[sid]
        end = self.end
        decision = None
        if seg.decision:
            decision = decide(seg.decision, self._samples, (end - seg.decision.window, end))
            nxt: str | None = decision.target
        else:
            nxt = seg.next
        step = Step(
            sid, self.start, end, "card" if seg.card is not None else "media", seg.card or seg.media or "", decision
        )
        self.steps.append(step)
        self.current, self.start = nxt, end
        self._samples = [s for s in self._samples if s.t >= end]
        return step

    def advance(self, t: float) -> list[Step]:
        """Move the clock to t without a sample (a live player's timer); returns the steps completed by then."""
        done = []
        while self.current is not None and t >= self.end:
            done.append(self._finish_segment(self.current))
        return done

    def feed(self, t: float, emotions: Mapping[str, float] | None) -> list[Step]:
        """Record the viewer at time t; returns the steps completed by then (segments whose end is <= t)."""
        done = self.advance(t)
        if self.current is not None:
            self._samples.append(Sample(t, emotions))
        return done

    def preview(self) -> Decision | None:
        """The current segment's decision as it would be taken now, from the samples measured so far."""
        seg = self.story.segments[self.current] if self.current else None
        if seg is None or seg.decision is None:
            return None
        return decide(seg.decision, self._samples, (self.end - seg.decision.window, self.end))

    def finish(self) -> list[Step]:
        """Play the rest with no more samples (decisions fall back to their defaults)."""
        done = []
        while self.current is not None:
            done.append(self._finish_segment(self.current))
        return done


def run_story(story: Story, samples: Iterable[Sample]) -> list[Step]:
    """Every step of the story played over `samples` (then played out to the end)."""
    player = StoryPlayer(story)
    for s in samples:
        player.feed(s.t, s.emotions)
        if player.done:
            break
    player.finish()
    return player.steps


@dataclass(frozen=True)
class RunLog:
    """A headless run: the story, the source and the steps taken."""

    title: str
    source: str
    steps: tuple[Step, ...]
    frames: int = 0
    dropped: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def path(self) -> list[str]:
        return [s.segment for s in self.steps]

    def to_dict(self) -> dict:
        return {
            "title": self.title,
            "source": self.source,
            "path": self.path,
            "frames": self.frames,
            "dropped": self.dropped,
            "steps": [s.to_dict() for s in self.steps],
            **self.extra,
        }


def sample_of(frame: Any) -> Sample:
    """A Sample from a StreamFrame: its largest face's raw probabilities, or None without a face."""
    face = frame.primary
    return Sample(frame.t, dict(face.emotions) if face else None)


def run_on_stream(
    story: Story, frames: Iterable[Any], source: str = "", on_step: Any = None, calibrator: Any = None
) -> RunLog:
    """Play `story` over StreamFrames (story time = frame time), calling on_step(step) as segments end.

    `calibrator` (the EmotionStream behind `frames`) is told to begin and end calibration around the
    story's `calibrate` segments; without one such segments play as plain segments.
    """
    player = StoryPlayer(story)
    count, last, calibrating = 0, None, False
    for frame in frames:
        count, last = count + 1, frame
        for step in player.feed(frame.t, sample_of(frame).emotions):
            on_step and on_step(step)
        if calibrator is not None and player.calibrating != calibrating:  # entering or leaving a resting segment
            calibrating = player.calibrating
            calibrator.begin_calibration() if calibrating else calibrator.end_calibration(frame.t)
        if player.done:
            break
    for step in player.finish():
        on_step and on_step(step)
    extra = {"calibration": calibrator.calibration} if calibrator is not None and calibrator.calibration else {}
    return RunLog(story.title, source, tuple(player.steps), count, getattr(last, "dropped", 0), extra)
