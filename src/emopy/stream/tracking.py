"""IoU tracker: gives each face a track id that stays the same while its box keeps overlapping."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

Box = tuple[float, float, float, float]


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two (x, y, w, h) boxes."""
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


@dataclass
class Track:
    """A tracked face: id, its last box and when it was last matched."""

    id: int
    box: Box
    last_t: float


class IoUTracker:
    """Greedy IoU matching of each frame's boxes to live tracks; tracks unseen for `max_age` seconds end."""

    def __init__(self, min_iou: float = 0.3, max_age: float = 1.0):
        self.min_iou = min_iou
        self.max_age = max_age
        self.tracks: dict[int, Track] = {}
        self._next = 1

    def update(self, boxes: Sequence[Box], t: float) -> list[int]:
        """Track ids for `boxes` (same order), creating new tracks for unmatched boxes."""
        self.tracks = {i: tr for i, tr in self.tracks.items() if t - tr.last_t <= self.max_age}
        pairs = sorted(
            ((iou(b, tr.box), k, i) for k, b in enumerate(boxes) for i, tr in self.tracks.items()), reverse=True
        )
        matched: dict[int, int] = {}  # box index: track id
        used: set[int] = set()
        for score, k, i in pairs:
            if score < self.min_iou:
                break
            if k not in matched and i not in used:
                matched[k] = i
                used.add(i)
        ids: list[int] = []
        for k, b in enumerate(boxes):
            tid = matched.get(k)
            if tid is None:
                tid = self._next
                self._next += 1
            x, y, w, h = map(float, b)
            self.tracks[tid] = Track(tid, (x, y, w, h), t)
            ids.append(tid)
        return ids
