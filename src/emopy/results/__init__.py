"""One result schema for `emopy predict --json`, `emopy video --out`, `emopy batch`, the REST API and Python.

Face row (one face; a JSON object):
    face        int          the face's number: its place in detection order in an image, its track id in a video
    box         [x, y, w, h] the square face box in pixels
    score       float|null   the detector's confidence (null when detection was skipped)
    emotions    {name: p}    the probability of each chosen emotion (they sum to 1), to 4 decimals
    dominant    str|null     the emotion shown: the most probable (video: the steady one, null while undecided)
    landmarks   {name: [x, y]}|null  eyes, nose and mouth where the detector gives them (null in a video)
    smoothed    {name: p}    video only: the probabilities smoothed over time

Frame row (one image or video frame; a JSON object):
    source      str|null     what it came from: the file, camera or stream (the API: the image URL, else null)
    frame       int|null     the frame's index in the video; null for a still image
    time_s      float|null   the frame's time in seconds (the container's timestamp, to the microsecond); null for a
                             still image
    faces       [face row]   in detection order
    error       str|null     why the input could not be read (its faces are then [])

Table (CSV, JSON Lines, Parquet, pandas): one line per face per frame, and one with empty face columns for a frame
without a face, in these columns (`columns`): source, frame, time_s, face, x, y, w, h, score, one column per emotion,
smoothed_<emotion> per emotion (video only), dominant, error.
"""

from __future__ import annotations

from .files import SUFFIXES, TableWriter, open_table, read_table
from .rows import (
    FACE_FIELDS,
    FRAME_FIELDS,
    Face,
    FaceRow,
    FrameRow,
    TrackedFaceRow,
    face_row,
    frame_row,
    round_time,
)
from .tables import Line, columns, kind, lines, table, to_pandas

__all__ = [
    "FACE_FIELDS",
    "FRAME_FIELDS",
    "SUFFIXES",
    "Face",
    "FaceRow",
    "FrameRow",
    "Line",
    "TableWriter",
    "TrackedFaceRow",
    "columns",
    "face_row",
    "frame_row",
    "kind",
    "lines",
    "open_table",
    "read_table",
    "round_time",
    "table",
    "to_pandas",
]
