"""DELETE /v1/images/{image_id}: remove a predicted image, its face crops and their feedback."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from sqlalchemy.orm import Session

from ..contract import errors
from ..db import checkpoint, get_session
from ..dependencies import require_api_key
from ..models import Image

router = APIRouter(prefix="/v1/images", tags=["images"], dependencies=[Depends(require_api_key)])
RETRY_AFTER_S = 5  # a 503 asks for the DELETE again after this long: readers of an older snapshot are short-lived


@router.delete("/{image_id}", status_code=204, responses=errors(404))
def delete_image(image_id: str, request: Request, session: Annotated[Session, Depends(get_session)]) -> Response:
    """Delete everything stored about one image; 204 only once its bytes have left SQLite's write-ahead log too.

    A reader on an older snapshot keeps the log: then 503 with Retry-After, and a repeated DELETE purges the log
    (404 then: nothing about the image is left).
    """
    image = session.get(Image, image_id[:64])
    if image is not None:
        session.delete(image)
        session.commit()
    if not checkpoint(request.app.state.engine):
        raise HTTPException(
            503,
            f"image_id {image_id[:64]!r} is gone from the database, but a reader still holds an older snapshot, so "
            "deleted bytes remain in SQLite's write-ahead log; send this DELETE again after Retry-After seconds to "
            "purge them",
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )
    if image is None:
        raise HTTPException(404, f"unknown image_id {image_id[:64]!r}")
    return Response(status_code=204)
