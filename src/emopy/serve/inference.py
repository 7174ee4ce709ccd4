"""From request bytes to a recorded prediction: decode within the limits, predict through `Predictor`, store as
asked."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

import cv2
import numpy as np
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from ..decode_process import DecodeProcess
from ..errors import PayloadTooLarge
from ..imageio import check_image
from ..predict.annotate import annotate
from ..results import frame_row
from . import models
from .predictor import Prediction, Predictor
from .schemas import FaceOut, PredictJSON, PredictOptions, PredictOut
from .settings import Settings

T = TypeVar("T")


def b64(image: np.ndarray, ext: str) -> str:
    """An image encoded as `ext` (".png", ".jpg") and then as base64 text."""
    ok, buf = cv2.imencode(ext, image)
    assert ok, ext
    return base64.b64encode(buf.tobytes()).decode()


def png(image: np.ndarray) -> bytes:
    """PNG bytes of an image (pixels only: no metadata of the upload survives)."""
    return cv2.imencode(".png", image)[1].tobytes()


class Decoder:
    """Upload bytes to a BGR image within the server's limits, and the memory budget of the requests using it.

    A request holds one of EMOPY_MAX_DECODES slots from before its image is decoded until its answer is built, so
    at most that many images, and what detection and annotation make of them, are in memory at once. Decoding runs
    in a child process per slot (`DecodeProcess`): killed at EMOPY_DECODE_TIMEOUT_S or when the request is
    cancelled, and capped in memory.
    """

    def __init__(self, settings: Settings) -> None:
        self.max_bytes, self.max_pixels = settings.max_upload_bytes, settings.max_pixels
        self.timeout_s = settings.decode_timeout_s
        self._slots = asyncio.Semaphore(settings.max_decodes)
        self._idle: list[DecodeProcess] = []  # at most one per slot

    async def run(self, data: bytes, work: Callable[[np.ndarray], T]) -> T:
        """`work(image)` run in a thread on the decoded upload, within one slot. Refuses oversized, empty, truncated,
        over-pixel and non-image data from its header before taking a slot, and slow decodes at the deadline
        (PayloadTooLarge, ImageDecodeError, DecodeTimeout)."""
        if len(data) > self.max_bytes:
            raise PayloadTooLarge(
                f"image is {len(data)} bytes, over the limit of {self.max_bytes} (EMOPY_MAX_UPLOAD_BYTES)"
            )
        size = check_image(data, max_pixels=self.max_pixels)
        async with self._slots:
            proc = self._process()
            try:
                image = await proc.decode(data, size, self.timeout_s)
            finally:
                if proc.alive:
                    self._idle.append(proc)
            try:
                return await run_in_threadpool(work, image)
            finally:
                del image  # freed before the slot is: also when `work` raised (its traceback holds this frame)

    def _process(self) -> DecodeProcess:
        """An idle decoder process still alive, or a new one."""
        while self._idle:
            proc = self._idle.pop()
            if proc.alive:
                return proc
            proc.kill()  # its socket
        return DecodeProcess(self.max_pixels)

    def close(self) -> None:
        """End the idle decoder processes (at shutdown; busy ones end with their requests)."""
        for proc in self._idle:
            proc.kill()
        self._idle.clear()


async def unless_disconnected(request: Request, work: Awaitable[T]) -> T | None:
    """What `work` returns, or None once the client has disconnected: `work` is then cancelled, and a decode in
    progress is killed with its process (a request's work stops when nobody waits for its answer)."""
    task = asyncio.ensure_future(work)
    gone = asyncio.ensure_future(_disconnect(request))
    try:
        await asyncio.wait((task, gone), return_when=asyncio.FIRST_COMPLETED)
    finally:
        gone.cancel()
        task.cancel()  # nothing when it is done
    with contextlib.suppress(asyncio.CancelledError):
        return await task
    return None


async def _disconnect(request: Request) -> None:
    """Returns when the client disconnects (the body has been read by then)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


def predict_and_record(image: np.ndarray, opts: PredictOptions, predictor: Predictor, session: Session) -> PredictOut:
    """Predict one decoded image, record it (face crops only when opts.store; never the upload) and build the answer:
    its frame row (emopy.results) and the rest of PredictOut."""
    pred: Prediction = predictor.predict(image, model=opts.model, emotions=opts.emotions)
    row = models.Image(id=uuid.uuid4().hex, model=pred.model, width=image.shape[1], height=image.shape[0])
    row.faces = [
        models.Face(index=i, box=list(f.box), emotions=f.emotions, crop=png(c) if opts.store else None)
        for i, (f, c) in enumerate(zip(pred.faces, pred.crops))
    ]
    session.add(row)
    session.commit()
    faces = [
        FaceOut(**f.to_row(i), crop_base64=b64(c, ".png") if opts.crop_faces else None)
        for i, (f, c) in enumerate(zip(pred.faces, pred.crops))
    ]
    frame = frame_row(opts.image_url if isinstance(opts, PredictJSON) else None, None, None)
    return PredictOut(
        source=frame["source"],
        frame=frame["frame"],
        time_s=frame["time_s"],
        faces=faces,  # the frame row's, with crops
        error=frame["error"],
        image_id=row.id,
        model=pred.model,
        width=row.width,
        height=row.height,
        stored=opts.store,
        annotated_image_base64=b64(annotate(image, pred.faces), ".jpg") if opts.annotate_image else None,
    )
