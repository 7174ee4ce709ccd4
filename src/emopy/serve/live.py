"""The live WebSockets' one engine (/v1/ws, a story's play): webcam frames in, JSON messages out.

Each frame is decoded in a child process within the decode budget (`Decoder`); prediction and every step of a
session, calibration included, run in the thread pool, never on the event loop. The next frame is read only once
the last one is answered (one frame in flight per connection; the client waits, or its frames queue up in the
WebSocket's bounded buffers). Idle, close and errors are handled here; a `LiveSession` says only what differs.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any

import numpy as np
from fastapi import Depends, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool

from ..errors import EmopyError
from ..stream.calibration import Calibration
from .dependencies import get_decoder, get_predictor
from .inference import Decoder
from .predictor import Predictor
from .settings import Settings, get_settings

POLICY_CLOSE = 1008  # policy violation: idle past EMOPY_WS_IDLE_S, or a session that cannot open
NOT_BINARY = "send each frame as a binary message holding a JPEG or PNG image"
GONE = (WebSocketDisconnect, RuntimeError)  # the client left (Starlette raises RuntimeError for a closed socket)


@dataclass
class Frame:
    """One predicted webcam frame, as a session sees it."""

    faces: list[dict]  # face rows (emopy.results: "face", "box", "emotions", "dominant"...), as the wire shows them
    width: int
    height: int
    model: str
    arrived: float  # time.monotonic() when its message came in
    ms: float  # decoding and prediction, in milliseconds


class LiveSession(ABC):
    """What one kind of live WebSocket does with its frames and its clock; the engine runs each method in the thread
    pool, one at a time per connection."""

    tick_s: float | None = None  # how often `tick` runs; None: never

    def __init__(self, viewer: Calibration) -> None:
        self.viewer = viewer  # the viewer's calibration: the engine predicts with its model and feeds it faces

    @staticmethod
    def error(text: str) -> dict:
        """The message saying what went wrong (a bad frame, a session that cannot open)."""
        return {"error": text}

    def start(self) -> list[dict]:
        """The messages sent once the session is open."""
        return []

    @abstractmethod
    def frame(self, frame: Frame) -> list[dict]:
        """The messages answering one predicted frame."""

    def tick(self) -> list[dict]:
        """The messages the clock makes (every `tick_s` seconds)."""
        return []

    @property
    def done(self) -> bool:
        """Whether the session is over: the engine closes the socket after the step that ended it."""
        return False


@dataclass
class LiveEngine:
    """Plays live sessions over WebSockets with the server's predictor, decoder and idle limit."""

    predictor: Predictor
    decoder: Decoder
    idle_s: float

    async def serve(
        self, ws: WebSocket, kind: type[LiveSession], model: str | None, emotions: str | None = None, **options: Any
    ) -> None:
        """Accept `ws` and play a `kind(viewer, **options)` session on it until it ends, idles or the client leaves;
        a session that cannot open (unknown model, broken story) is answered with its error and closed."""
        await ws.accept()
        try:
            session = await run_in_threadpool(lambda: kind(Calibration(self.predictor.get(model)), **options))
        except EmopyError as exc:
            await ws.send_json(kind.error(str(exc)))
            await ws.close(POLICY_CLOSE)
            return
        await _Connection(ws, session, self, partial(self.predictor.predict, model=model, emotions=emotions)).run()


def get_live(
    settings: Annotated[Settings, Depends(get_settings)],
    predictor: Annotated[Predictor, Depends(get_predictor)],
    decoder: Annotated[Decoder, Depends(get_decoder)],
) -> LiveEngine:
    """The live engine of this server (a dependency of the WebSocket routes)."""
    return LiveEngine(predictor, decoder, settings.ws_idle_s)


class _Connection:
    """One WebSocket playing one session: frames are read here, steps run and are sent one at a time."""

    def __init__(self, ws: WebSocket, session: LiveSession, engine: LiveEngine, predict: Callable[..., Any]) -> None:
        self.ws, self.session, self.engine, self.predict = ws, session, engine, predict
        self._lock, self._closed = asyncio.Lock(), False

    async def run(self) -> None:
        """Open the session, run its clock, answer frames; at the end, whatever step is under way finishes."""
        clock: asyncio.Task | None = None
        try:
            await self._step(self.session.start)
            if self.session.tick_s:
                clock = asyncio.create_task(self._clock(self.session.tick_s))
            await self._frames()
        except GONE:
            pass
        finally:
            async with self._lock:  # a step under way (the clock's, say) ends first: an ending story sends its end
                self._closed = True
            if clock is not None:
                clock.cancel()
                with contextlib.suppress(asyncio.CancelledError, *GONE):
                    await clock

    async def _step(self, make: Callable[[], list[dict]], close: tuple[int, str] | None = None) -> None:
        """Run `make` (a step of the session) in the thread pool and send its messages, all under the lock: the clock
        and the frames both step a session, and whichever ends it sends the end before the socket closes (or closes
        as `close` says)."""
        async with self._lock:
            if self._closed:
                return
            for msg in await run_in_threadpool(make):
                await self.ws.send_json(msg)
            if self.session.done or close:
                self._closed = True
                await self.ws.close(*(close or ()))

    async def _clock(self, every: float) -> None:
        """Step the session's clock every `every` seconds until the socket is closed."""
        while not self._closed:
            await asyncio.sleep(every)
            await self._step(self.session.tick)

    async def _frames(self) -> None:
        """Answer each message until the client leaves, the session ends or nothing comes for EMOPY_WS_IDLE_S."""
        idle_s = self.engine.idle_s
        while not self._closed:
            try:
                msg = await asyncio.wait_for(self.ws.receive(), idle_s)
            except TimeoutError:
                await self._step(list, (POLICY_CLOSE, f"no message for {idle_s:g} s (EMOPY_WS_IDLE_S)"))
                return
            if msg["type"] == "websocket.disconnect":
                return
            data = msg.get("bytes")
            if data is None:
                await self._step(partial(self._error, NOT_BINARY))
                continue
            arrived = time.monotonic()
            try:  # decoded in a child process, within the memory budget; predicted in the thread pool
                frame = await self.engine.decoder.run(data, partial(self._predict, arrived))
            except EmopyError as exc:
                await self._step(partial(self._error, str(exc)))
                continue
            await self._step(partial(self.session.frame, frame))

    def _error(self, text: str) -> list[dict]:
        return [self.session.error(text)]

    def _predict(self, arrived: float, image: np.ndarray) -> Frame:
        """The faces of one decoded frame; while the viewer is calibrating, its largest face's crop is kept."""
        viewer = self.session.viewer
        pred = self.predict(image, viewer=viewer.model)
        viewer.add(pred.crops, [f.box for f in pred.faces])
        faces = [f.to_row(i) for i, f in enumerate(pred.faces)]
        ms = round((time.monotonic() - arrived) * 1000, 1)
        return Frame(faces, image.shape[1], image.shape[0], pred.model, arrived, ms)
