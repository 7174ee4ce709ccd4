"""Per-viewer calibration over a live source: gather the viewer's resting face, then calibrate the model to it.

Used by `EmotionStream` (video, camera, stories headless) and by the server's WebSocket connections.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..geometry import largest
from ..recognizer import Recognizer


class Calibration:
    """One viewer's resting faces, gathered while a calibration runs, and the model calibrated to them."""

    def __init__(self, base: Recognizer):
        self.base = base
        self.crops: list[np.ndarray] | None = None  # None: not collecting
        self.model: Recognizer | None = None  # calibrated (all labels); None until a calibration found a face

    @property
    def collecting(self) -> bool:
        return self.crops is not None

    def begin(self) -> None:
        """Start (or restart) gathering resting faces; predictions go on with the model as it is."""
        self.crops = []

    def add(self, crops: np.ndarray, boxes: Sequence[Sequence[float]]) -> None:
        """Keep the crop of the largest face of one frame while collecting."""
        gathered = self.crops  # (a local: `end` may run meanwhile in another of the server's threads)
        if gathered is not None and len(boxes):
            gathered.append(crops[largest(boxes)])

    def end(self) -> dict:
        """Calibrate on what was gathered: {"faces": n}, or {"faces": 0, "error": why} (the model stays as it was)."""
        crops, self.crops = list(self.crops or []), None  # a copy: a frame's `add` may come in meanwhile
        if not crops:
            return {"faces": 0, "error": "no face was seen while calibrating; predictions stay uncalibrated"}
        self.model = self.base.calibrate(crops, detect=False)
        return {"faces": len(crops)}
