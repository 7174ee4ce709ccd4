"""From request bytes to a recorded prediction: decode within the limits, predict through `Predictor`, store as
asked."""

from __future__ import annotations

import base64
import threading
import uuid

import cv2
import numpy as np
from sqlalchemy.orm import Session

from ..errors import PayloadTooLarge
from ..imageio import decode_image
from ..predict.annotate import annotate
from . import models
from .predictor import Prediction, Predictor
from .schemas import FaceOut, PredictOptions, PredictOut
from .settings import Settings


def b64(image: np.ndarray, ext: str) -> str:
    """An image encoded as `ext` (".png", ".jpg") and then as base64 text."""
    ok, buf = cv2.imencode(ext, image)
    assert ok, ext
    return base64.b64encode(buf.tobytes()).decode()


def png(image: np.ndarray) -> bytes:
    """PNG bytes of an image (pixels only: no metadata of the upload survives)."""
    return cv2.imencode(".png", image)[1].tobytes()


class Decoder:
    """Upload bytes to a BGR image within the server's limits: bytes, header pixels, and decodes running at once."""

    def __init__(self, settings: Settings) -> None:
        self.max_bytes, self.max_pixels = settings.max_upload_bytes, settings.max_pixels
        self._slots = threading.BoundedSemaphore(settings.max_decodes)

    def __call__(self, data: bytes) -> np.ndarray:
        """The decoded image; refuses oversized, empty, truncated, over-pixel and non-image data (ImageDecodeError)."""
        if len(data) > self.max_bytes:
            raise PayloadTooLarge(
                f"image is {len(data)} bytes, over the limit of {self.max_bytes} (EMOPY_MAX_UPLOAD_BYTES)"
            )
        with self._slots:
            return decode_image(data, max_pixels=self.max_pixels)


def predict_and_record(image: np.ndarray, opts: PredictOptions, predictor: Predictor, session: Session) -> PredictOut:
    """Predict one decoded image, record it (face crops only when opts.store; never the upload) and build the answer."""
    pred: Prediction = predictor.predict(image, model=opts.model, emotions=opts.emotions)
    row = models.Image(id=uuid.uuid4().hex, model=pred.model, width=image.shape[1], height=image.shape[0])
    row.faces = [
        models.Face(index=i, box=list(f.box), emotions=f.emotions, crop=png(c) if opts.store else None)
        for i, (f, c) in enumerate(zip(pred.faces, pred.crops))
    ]
    session.add(row)
    session.commit()
    faces = [
        FaceOut(index=i, **f.to_dict(), crop_base64=b64(c, ".png") if opts.crop_faces else None)
        for i, (f, c) in enumerate(zip(pred.faces, pred.crops))
    ]
    return PredictOut(
        image_id=row.id,
        model=pred.model,
        width=row.width,
        height=row.height,
        stored=opts.store,
        faces=faces,
        annotated_image_base64=b64(annotate(image, pred.faces), ".jpg") if opts.annotate_image else None,
    )
