"""DELETE /v1/images/{image_id}: remove a predicted image, its face crops and their feedback."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from sqlalchemy.orm import Session

from ..db import checkpoint, get_session
from ..dependencies import require_api_key
from ..models import Image

router = APIRouter(prefix="/v1/images", tags=["images"], dependencies=[Depends(require_api_key)])


@router.delete("/{image_id}", status_code=204)
def delete_image(image_id: str, request: Request, session: Annotated[Session, Depends(get_session)]) -> Response:
    """Delete everything stored about one image; with SQLite the bytes also leave the write-ahead log."""
    image = session.get(Image, image_id[:64])
    if image is None:
        raise HTTPException(404, f"unknown image_id {image_id[:64]!r}")
    session.delete(image)
    session.commit()
    checkpoint(request.app.state.engine)
    return Response(status_code=204)
