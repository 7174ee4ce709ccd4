"""From request bytes to a recorded prediction: decode, predict through `Predictor`, store as asked."""

from __future__ import annotations

import base64
import uuid

import cv2
import numpy as np
from sqlalchemy.orm import Session

from ..errors import EmopyError
from ..imageio import decode_image
from ..predict.annotate import annotate
from . import models
from .predictor import Prediction, Predictor
from .schemas import FaceOut, PredictOptions, PredictOut


class PayloadTooLarge(EmopyError, ValueError):
    """A request body or image over the configured size limit."""


def b64(image: np.ndarray, ext: str) -> str:
    """An image encoded as `ext` (".png", ".jpg") and then as base64 text."""
    ok, buf = cv2.imencode(ext, image)
    assert ok, ext
    return base64.b64encode(buf.tobytes()).decode()


def png(image: np.ndarray) -> bytes:
    """PNG bytes of an image."""
    return cv2.imencode(".png", image)[1].tobytes()


def decode(data: bytes, *, max_bytes: int, max_pixels: int) -> np.ndarray:
    """A BGR image from upload bytes, refusing oversized, empty, truncated and non-image data."""
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"image is {len(data)} bytes, over the limit of {max_bytes} (EMOPY_MAX_UPLOAD_BYTES)")
    return decode_image(data, max_pixels=max_pixels)


def predict_and_record(data: bytes, image: np.ndarray, opts: PredictOptions, predictor: Predictor, session: Session) -> PredictOut:
    """Predict one decoded image, record it (pixels only when opts.store) and build the answer."""
    pred: Prediction = predictor.predict(image, model=opts.model, emotions=opts.emotions)
    row = models.Image(id=uuid.uuid4().hex, model=pred.model, width=image.shape[1], height=image.shape[0],
                       data=data if opts.store else None)
    row.faces = [models.Face(index=i, box=list(f.box), emotions=f.emotions, crop=png(c) if opts.store else None)
                 for i, (f, c) in enumerate(zip(pred.faces, pred.crops))]
    session.add(row)
    session.commit()
    faces = [FaceOut(index=i, **f.to_dict(), crop_base64=b64(c, ".png") if opts.crop_faces else None)
             for i, (f, c) in enumerate(zip(pred.faces, pred.crops))]
    return PredictOut(image_id=row.id, model=pred.model, width=row.width, height=row.height, stored=opts.store, faces=faces,
                      annotated_image_base64=b64(annotate(image, pred.faces), ".jpg") if opts.annotate_image else None)
