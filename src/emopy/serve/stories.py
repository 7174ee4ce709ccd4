"""Stories for the browser: the story folder, and a live session that plays one on the server's clock.

The browser only shows what it is told and sends webcam frames; the decisions are taken here by the same
`StoryPlayer` that `emopy story run` uses, so a story behaves the same in the browser and headless.
"""

from __future__ import annotations

import time
from pathlib import Path

from ..errors import StoryError, UnknownStory
from ..stream.calibration import Calibration
from ..stream.story import Step, Story, StoryPlayer, load_story
from .live import Frame, LiveSession

EXAMPLES = Path(__file__).resolve().parent.parent / "stream" / "examples"
SUFFIXES = (".yaml", ".yml", ".json")


class StoryLibrary:
    """The story files of one folder, by name (the file name without its suffix)."""

    def __init__(self, folder: str | Path | None = None):
        self.folder = Path(folder or EXAMPLES).resolve()

    def names(self) -> list[str]:
        """Names of the story files in the folder, sorted."""
        if not self.folder.is_dir():
            return []
        return sorted(p.stem for p in self.folder.iterdir() if p.suffix.lower() in SUFFIXES and p.is_file())

    def path(self, name: str) -> Path:
        """The file of story `name`; UnknownStory lists the names there are."""
        if name in self.names():
            return next(self.folder / f"{name}{s}" for s in SUFFIXES if (self.folder / f"{name}{s}").is_file())
        raise UnknownStory(f"unknown story {name!r}; this server has: {', '.join(self.names()) or 'none'}")

    def load(self, name: str) -> Story:
        """The validated story; StoryError names the field of a broken file, and the file by its name only (the
        message reaches clients: no server paths)."""
        path = self.path(name)
        try:
            return load_story(path)
        except StoryError as exc:
            raise StoryError(str(exc).replace(str(path), path.name)) from None

    def relative(self, media: str) -> str | None:
        """A media path as the API shows it: relative to the story folder, or None for a file outside it."""
        path = Path(media).resolve()
        return path.relative_to(self.folder).as_posix() if path.is_relative_to(self.folder) else None

    def media_files(self, name: str) -> dict[str, Path]:
        """The media files story `name` plays, by their path relative to the folder (files outside it are never
        served)."""
        segments = self.load(name).segments.values()
        return {
            rel: Path(s.media).resolve() for s in segments if s.media and (rel := self.relative(s.media)) is not None
        }

    def media(self, name: str, file: str) -> Path:
        """A media file that story `name` names in one of its segments; nothing else in the folder is served."""
        path = self.media_files(name).get(file)
        if path is None or not path.is_file():
            raise UnknownStory(f"story {name!r} has no media file {file[:100]!r}")
        return path

    def public(self, name: str) -> dict:
        """Story `name` as JSON, media paths relative to the story folder (no server paths)."""
        story = self.load(name).model_dump(exclude_none=True)
        for seg in story["segments"].values():
            if "media" in seg:
                seg["media"] = self.relative(seg["media"]) or Path(seg["media"]).name
        return story

    def summary(self, name: str) -> dict:
        """Name, title, first segment and measured emotions; a broken file reports its error instead."""
        try:
            story = self.load(name)
        except StoryError as exc:
            return {"name": name, "error": str(exc)}
        return {
            "name": name,
            "title": story.title,
            "start": story.start,
            "emotions": story.emotions(),
            "segments": len(story.segments),
        }


class LiveStory(LiveSession):
    """One viewer playing one story on the server's clock (story time: seconds since it opened): frames add samples,
    the clock advances it. The story's `calibrate` segments gather the viewer's resting face and calibrate the
    model to it."""

    tick_s = 0.1  # how often the clock checks whether the segment has ended

    def __init__(self, viewer: Calibration, name: str, library: StoryLibrary):
        super().__init__(viewer)
        self.name, self.story, self.library = name, library.load(name), library
        self.t0 = time.monotonic()
        self.player = StoryPlayer(self.story)
        if self.player.calibrating:
            viewer.begin()

    @staticmethod
    def error(text: str) -> dict:
        return {"type": "error", "error": text}

    def now(self) -> float:
        return time.monotonic() - self.t0

    def start(self) -> list[dict]:
        return [self.playing()]

    def playing(self) -> dict:
        """The message for what plays now: the segment, or the story's end once there is none."""
        return self.segment() or {
            "type": "end",
            "title": self.story.title,
            "path": self.player.path,
            "steps": [s.to_dict() for s in self.player.steps],
        }

    def segment(self) -> dict | None:
        """The message announcing the segment now playing (None once the story has ended)."""
        sid = self.player.current
        if sid is None:
            return None
        seg = self.story.segments[sid]
        msg = {
            "type": "segment",
            "segment": sid,
            "start": round(self.player.start, 3),
            "duration": seg.duration,
            "calibrate": seg.calibrate,
            "kind": "card" if seg.card is not None else "media",
            "content": seg.card or Path(seg.media or "").name,
            "decision": seg.decision.model_dump(include={"emotions", "window", "threshold"}) if seg.decision else None,
        }
        if seg.media:
            rel = self.library.relative(seg.media)
            msg["media_url"] = f"v1/stories/{self.name}/media/{rel}" if rel is not None else None
        return msg

    def _after(self, steps: list[Step]) -> list[dict]:
        """Messages for steps that just ended: each step, a calibration that ended, then the new segment or the end."""
        if not steps:
            return []
        msgs = [{"type": "step", **s.to_dict()} for s in steps]
        if self.viewer.collecting != self.player.calibrating:
            if self.viewer.collecting:
                msgs.append({"type": "calibrated", **self.viewer.end()})
            else:
                self.viewer.begin()
        return msgs + [self.playing()]

    def tick(self) -> list[dict]:
        """Advance to now; messages for whatever ended."""
        return self._after(self.player.advance(self.now()))

    def frame(self, frame: Frame) -> list[dict]:
        """Record a frame at the story time it arrived (the largest face counts); a frame message, then any step
        messages. (Its crops went to the viewer's calibration where it was predicted.)"""
        t, faces = frame.arrived - self.t0, frame.faces
        face = max(faces, key=lambda f: f["box"][2] * f["box"][3]) if faces else None
        steps = self.player.feed(t, face["emotions"] if face else None)
        preview = self.player.preview()
        measure = preview.to_dict() if preview else None
        msg = {"type": "frame", "time_s": round(t, 3), "faces": faces, "measure": measure, "ms": frame.ms}
        return [msg, *self._after(steps)]

    @property
    def done(self) -> bool:
        return self.player.done
