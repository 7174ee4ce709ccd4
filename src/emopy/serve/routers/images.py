"""DELETE /v1/images/{image_id}: remove a predicted image, its face crops and their feedback."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Response
from sqlalchemy.orm import Session

from ..db import get_session
from ..dependencies import require_api_key
from ..models import Image

router = APIRouter(prefix="/v1/images", tags=["images"], dependencies=[Depends(require_api_key)])


@router.delete("/{image_id}", status_code=204)
def delete_image(image_id: str, session: Annotated[Session, Depends(get_session)]) -> Response:
    """Delete everything stored about one image."""
    image = session.get(Image, image_id)
    if image is None:
        raise HTTPException(404, f"unknown image_id {image_id!r}")
    session.delete(image)
    session.commit()
    return Response(status_code=204)
