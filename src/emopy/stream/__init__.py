"""Real-time emotion streams (video files, cameras, URLs) and emotion-driven branching stories."""

from __future__ import annotations

from pathlib import Path

from .smoothing import Dominant, DominantTracker, EMASmoother, WindowSmoother, make_smoother
from .source import FileSource, Frame, LiveSource, SourceError, open_source
from .story import (
    Decision,
    DecisionPoint,
    RunLog,
    Sample,
    Segment,
    Step,
    Story,
    StoryError,
    StoryPlayer,
    decide,
    load_story,
    parse_story,
    run_on_stream,
    run_story,
)
from .stream import EmotionStream, StreamFrame, TrackedFace
from .tracking import IoUTracker, iou

EXAMPLES = Path(__file__).resolve().parent / "examples"

__all__ = [
    "Decision",
    "DecisionPoint",
    "Dominant",
    "DominantTracker",
    "EMASmoother",
    "EXAMPLES",
    "EmotionStream",
    "FileSource",
    "Frame",
    "IoUTracker",
    "LiveSource",
    "RunLog",
    "Sample",
    "Segment",
    "SourceError",
    "Step",
    "Story",
    "StoryError",
    "StoryPlayer",
    "StreamFrame",
    "TrackedFace",
    "WindowSmoother",
    "decide",
    "iou",
    "load_story",
    "make_smoother",
    "open_source",
    "parse_story",
    "run_on_stream",
    "run_story",
]
