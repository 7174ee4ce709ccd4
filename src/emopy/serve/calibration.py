"""Per-viewer calibration for live connections: collect the viewer's resting face, then calibrate to it."""

from __future__ import annotations

import numpy as np

from ..predict import FERModel


class ViewerCalibration:
    """One viewer's resting faces, gathered while a calibration runs, and the model calibrated to them."""

    def __init__(self, base: FERModel):
        self.base = base
        self.crops: list[np.ndarray] | None = None  # None: not collecting
        self.model: FERModel | None = None  # calibrated (all labels); None until a calibration found a face

    @property
    def collecting(self) -> bool:
        return self.crops is not None

    def begin(self) -> None:
        """Start (or restart) gathering resting faces; predictions go on with the model as it is."""
        self.crops = []

    def add(self, prediction) -> None:
        """Keep the largest face of a `Prediction` while collecting."""
        crops = self.crops  # (a local: `end` may run meanwhile on the event loop)
        if crops is not None and prediction.faces:
            crops.append(prediction.crops[int(np.argmax([f.box[2] * f.box[3] for f in prediction.faces]))])

    def end(self) -> dict:
        """Calibrate on what was gathered; the message for the client says how many faces, or why not."""
        crops, self.crops = self.crops or [], None
        if not crops:
            return {"faces": 0, "error": "no face was seen while calibrating; predictions stay uncalibrated"}
        self.model = self.base.calibrate(crops, detect=False)
        return {"faces": len(crops)}
