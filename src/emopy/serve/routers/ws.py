"""WebSocket /v1/ws: webcam frames (encoded JPEG/PNG bytes) in, faces as JSON out; nothing is stored."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, Query, WebSocket

from ...stream.calibration import Calibration
from ..live import Frame, LiveEngine, LiveSession, get_live

router = APIRouter(prefix="/v1", tags=["predict"])


class Webcam(LiveSession):
    """Each frame answered with its faces; with `calibrate` seconds, the frames until then calibrate the model."""

    def __init__(self, viewer: Calibration, calibrate: float):
        super().__init__(viewer)
        if calibrate:
            viewer.begin()
        self.until = time.monotonic() + calibrate

    def frame(self, frame: Frame) -> list[dict]:
        """The frame's answer; the first frame past the calibration time ends it, {"calibrated": ...} after."""
        answer = {
            "faces": frame.faces,
            "width": frame.width,
            "height": frame.height,
            "model": frame.model,
            "calibrating": self.viewer.collecting,
            "ms": frame.ms,
        }
        if self.viewer.collecting and time.monotonic() >= self.until:
            return [answer, {"calibrated": self.viewer.end()}]
        return [answer]


@router.websocket("/ws")
async def live(
    ws: WebSocket,
    engine: Annotated[LiveEngine, Depends(get_live)],
    emotions: str | None = None,
    model: str | None = None,
    calibrate: Annotated[float, Query(ge=0, le=30, description="seconds of resting face to calibrate to first")] = 0,
) -> None:
    """Answer each binary frame with {"faces", "width", "height", "model", "ms", "calibrating"} or {"error"}; a bad
    frame does not end the stream. With `calibrate`, the first seconds' faces calibrate the model to the viewer:
    {"calibrated": ...}."""
    await engine.serve(ws, Webcam, model, emotions, calibrate=calibrate)
