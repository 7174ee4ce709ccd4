"""WebSocket /v1/ws: webcam frames (encoded JPEG/PNG bytes) in, faces as JSON out; nothing is stored."""

from __future__ import annotations

import time
from typing import Annotated

import numpy as np
from fastapi import APIRouter, Depends, Query, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool

from ...errors import EmopyError
from ...stream.calibration import Calibration
from ..dependencies import get_decoder, get_predictor
from ..frames import frames
from ..inference import Decoder
from ..predictor import Predictor
from ..settings import Settings, get_settings

router = APIRouter(prefix="/v1", tags=["predict"])


@router.websocket("/ws")
async def live(
    ws: WebSocket,
    settings: Annotated[Settings, Depends(get_settings)],
    predictor: Annotated[Predictor, Depends(get_predictor)],
    decoder: Annotated[Decoder, Depends(get_decoder)],
    emotions: str | None = None,
    model: str | None = None,
    calibrate: Annotated[float, Query(ge=0, le=30, description="seconds of resting face to calibrate to first")] = 0,
) -> None:
    """Answer each binary frame with {"faces", "width", "height", "ms", "calibrating"} or {"error"}; a bad frame does
    not
    end the stream. With `calibrate`, the first seconds' faces calibrate the model to the viewer: {"calibrated":
    ...}."""
    await ws.accept()
    try:
        viewer = Calibration(predictor.get(model))
    except EmopyError as exc:
        await ws.send_json({"error": str(exc)})
        await ws.close(code=1008)
        return
    if calibrate:
        viewer.begin()
    until = time.monotonic() + calibrate

    def work(image: np.ndarray) -> dict:
        pred = predictor.predict(image, model=model, emotions=emotions, viewer=viewer.model)
        viewer.add(pred.crops, [f.box for f in pred.faces])
        return {
            "faces": [f.to_row(i) for i, f in enumerate(pred.faces)],
            "width": image.shape[1],
            "height": image.shape[0],
            "model": pred.model,
            "calibrating": viewer.collecting,
        }

    try:
        async for data in frames(ws, settings.ws_idle_s):
            if data is None:
                await ws.send_json({"error": "send each frame as a binary message holding a JPEG or PNG image"})
                continue
            try:
                t0 = time.perf_counter()
                answer = await decoder.run(data, work)  # decoded in a child process, within the memory budget
                await ws.send_json({**answer, "ms": round((time.perf_counter() - t0) * 1000, 1)})
            except EmopyError as exc:
                await ws.send_json({"error": str(exc)})
            if viewer.collecting and time.monotonic() >= until:
                await ws.send_json({"calibrated": await run_in_threadpool(viewer.end)})
    except WebSocketDisconnect:
        return
