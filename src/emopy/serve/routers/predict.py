"""POST /v1/predict: an image as multipart upload or base64 JSON (or a URL, where enabled)."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

import numpy as np
from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from ..contract import errors
from ..db import get_session
from ..dependencies import get_decoder, get_predictor
from ..fetch import fetch_image
from ..inference import Decoder, predict_and_record, unless_disconnected
from ..predictor import Predictor
from ..schemas import PredictJSON, PredictOptions, PredictOut, form_schema
from ..settings import Settings, get_settings

router = APIRouter(prefix="/v1", tags=["predict"])

BODIES = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {"schema": form_schema()},
            "application/json": {"schema": PredictJSON.model_json_schema(ref_template="#/components/schemas/{model}")},
        },
    }
}


def _validated(model, data):
    """`model` validated from `data`, failing as FastAPI's own 422 does."""
    try:
        return model.model_validate_json(data) if isinstance(data, bytes) else model.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False, include_context=False)) from None


async def _read(request: Request, settings: Settings) -> tuple[bytes, PredictOptions]:
    """Image bytes and options from a multipart or JSON body."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "multipart/form-data":
        async with request.form(max_files=1, max_fields=16) as form:
            upload = form.get("image")
            if not isinstance(upload, UploadFile):
                raise HTTPException(400, "the multipart body needs a file field named 'image'")
            opts = _validated(PredictOptions, {k: v for k, v in form.items() if k != "image"})
            return await upload.read(), opts
    if ctype == "application/json":
        body = _validated(PredictJSON, await request.body())
        if (body.image_base64 is None) == (body.image_url is None):
            raise HTTPException(400, "give exactly one of image_base64 and image_url")
        if body.image_url is not None:
            if not settings.allow_image_url:
                raise HTTPException(
                    403, "image_url input is disabled on this server (EMOPY_ALLOW_IMAGE_URL=true enables it)"
                )
            data = await fetch_image(
                body.image_url,
                max_bytes=settings.max_upload_bytes,
                timeout=settings.url_timeout_s,
                max_redirects=settings.url_max_redirects,
            )
            return data, body
        text = body.image_base64
        if text.startswith("data:"):
            _media_type, comma, text = text.partition(",")
            if not comma:
                raise HTTPException(
                    400, "image_base64 is a data: URL without a comma: send data:image/png;base64,<data>"
                )
        try:
            return base64.b64decode(text, validate=True), body
        except (binascii.Error, ValueError):
            raise HTTPException(400, "image_base64 is not valid base64") from None
    raise HTTPException(
        415,
        f"content type {ctype or 'none'!r} is not accepted; send multipart/form-data (field 'image') or "
        "application/json",
    )


@router.post("/predict", response_model=PredictOut, openapi_extra=BODIES, responses=errors(403, 415))
async def predict(
    request: Request,
    settings: Annotated[Settings, Depends(get_settings)],
    predictor: Annotated[Predictor, Depends(get_predictor)],
    decoder: Annotated[Decoder, Depends(get_decoder)],
    session: Annotated[Session, Depends(get_session)],
) -> Response:
    """Faces in the image with their boxes and emotion probabilities, and an image_id for feedback."""
    data, opts = await _read(request, settings)

    def work(image: np.ndarray) -> Response:
        out = predict_and_record(image, opts, predictor, session)
        return Response(out.model_dump_json(), media_type="application/json")  # the body too within the budget

    return await unless_disconnected(request, decoder.run(data, work)) or Response(status_code=499)  # nobody reads
