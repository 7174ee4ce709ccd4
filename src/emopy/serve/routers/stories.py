"""Stories in the browser: list and read story files, serve their media, and play one live over a WebSocket."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from functools import partial
from typing import Annotated

import numpy as np
from fastapi import APIRouter, Depends, HTTPException, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse

from ...errors import EmopyError, StoryError, UnknownStory
from ...stream.calibration import Calibration
from ..contract import errors
from ..dependencies import get_decoder, get_predictor
from ..frames import frames
from ..inference import Decoder
from ..predictor import Predictor
from ..settings import Settings, get_settings
from ..stories import LiveStory, StoryLibrary

router = APIRouter(prefix="/v1/stories", tags=["stories"])
TICK_S = 0.1  # how often a live story checks whether its segment has ended


def get_library(settings: Annotated[Settings, Depends(get_settings)]) -> StoryLibrary:
    """The story folder of this server (EMOPY_STORIES, default: the shipped examples)."""
    return StoryLibrary(settings.stories)


Library = Annotated[StoryLibrary, Depends(get_library)]


@router.get("")
def list_stories(library: Library) -> list[dict]:
    """Every story in the folder: name, title, start segment, the emotions its decisions measure."""
    return [library.summary(name) for name in library.names()]


@router.get("/{name}", responses=errors(404, 422))
def get_story(name: str, library: Library) -> dict:
    """One story, validated, as JSON."""
    try:
        return library.public(name)
    except UnknownStory as exc:
        raise HTTPException(404, str(exc)) from None
    except StoryError as exc:
        raise HTTPException(422, str(exc)) from None


@router.get(
    "/{name}/media/{file:path}",
    response_class=FileResponse,
    responses={200: {"content": {"*/*": {}}, "description": "The file, typed by its extension."}, **errors(404)},
)
def get_media(name: str, file: str, library: Library) -> FileResponse:
    """A media file the story's segments name (nothing else in the story folder)."""
    try:
        return FileResponse(library.media(name, file))
    except (UnknownStory, StoryError) as exc:
        raise HTTPException(404, str(exc)) from None


@router.websocket("/{name}/play")
async def play(
    ws: WebSocket,
    name: str,
    library: Library,
    settings: Annotated[Settings, Depends(get_settings)],
    predictor: Annotated[Predictor, Depends(get_predictor)],
    decoder: Annotated[Decoder, Depends(get_decoder)],
    model: str | None = None,
) -> None:
    """Play a story from the viewer's webcam: binary JPEG/PNG frames in; segment, frame, step and end messages out."""
    await ws.accept()
    try:
        viewer = Calibration(predictor.get(model))
        live = LiveStory(name, library.load(name), library, viewer=viewer)
    except (UnknownStory, EmopyError) as exc:
        await ws.send_json({"type": "error", "error": str(exc)})
        await ws.close(code=1008)
        return
    lock, closed = asyncio.Lock(), False

    async def send(make: Callable[[], list[dict]], close: tuple[int, str] | None = None) -> None:
        """Advance the story and send what that says, as one step under the lock: the timer and the frame loop both
        advance it, and whichever ends the story sends the end before the socket closes (or closes as `close`
        says)."""
        nonlocal closed
        async with lock:
            if closed:
                return
            for msg in make():
                await ws.send_json(msg)
            if live.done or close:
                closed = True
                await ws.close(*(close or ()))

    async def close_idle(code: int, reason: str) -> None:
        await send(list, (code, reason))

    async def timer() -> None:
        while not live.done:
            await asyncio.sleep(TICK_S)
            await send(live.tick)

    def work(image: np.ndarray) -> list[dict]:
        pred = predictor.predict(image, model=model, viewer=viewer.model)
        viewer.add(pred.crops, [f.box for f in pred.faces])  # while a calibrate segment plays
        return [f.to_row(i) for i, f in enumerate(pred.faces)]

    def frame_messages(t: float, faces: list[dict], ms: float) -> list[dict]:
        """The frame's message and whatever it ended; nothing once the story has ended meanwhile."""
        if live.done:
            return []
        msgs = live.frame(t, faces)
        msgs[0]["ms"] = ms
        return msgs

    def error(text: str) -> Callable[[], list[dict]]:
        return lambda: [{"type": "error", "error": text}]

    await send(lambda: [live.segment()])
    clock = asyncio.create_task(timer())
    try:
        async for data in frames(ws, settings.ws_idle_s, close_idle):
            if live.done:
                break
            if data is None:
                await send(error("send each webcam frame as a binary message holding a JPEG or PNG image"))
                continue
            t, t0 = live.now(), time.perf_counter()  # the frame's story time is when it arrived, not when answered
            try:
                faces = await decoder.run(data, work)  # decoded in a child process, within the memory budget
            except EmopyError as exc:
                await send(error(str(exc)))
                continue
            await send(partial(frame_messages, t, faces, round((time.perf_counter() - t0) * 1000, 1)))
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        if not live.done:  # the viewer left mid-story; once it has ended, the timer may still be sending the end
            clock.cancel()
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):  # a viewer who left
            await clock
