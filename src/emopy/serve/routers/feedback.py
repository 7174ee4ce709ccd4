"""POST /v1/feedback stores the true emotion of a face; GET /v1/feedback exports it as training folders."""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..contract import errors
from ..db import get_session
from ..dependencies import require_api_key
from ..models import Face, Feedback, Image
from ..schemas import FeedbackIn, FeedbackOut

router = APIRouter(prefix="/v1/feedback", tags=["feedback"])


@router.post("", status_code=201, response_model=FeedbackOut, responses=errors(404))
def add_feedback(body: FeedbackIn, session: Annotated[Session, Depends(get_session)]) -> FeedbackOut:
    """Store the emotion a user says face `face` of image `image_id` shows."""
    image = session.get(Image, body.image_id)
    if image is None:
        raise HTTPException(404, f"unknown image_id {body.image_id!r}; use the image_id a /v1/predict answer gave")
    if body.face >= len(image.faces):
        raise HTTPException(404, f"image {body.image_id} has {len(image.faces)} faces; face {body.face} does not exist")
    face = image.faces[body.face]
    row = Feedback(face=face, emotion=body.emotion)
    session.add(row)
    session.commit()
    return FeedbackOut(
        id=row.id, image_id=image.id, face=face.index, emotion=body.emotion, has_crop=face.crop is not None
    )


@router.get(
    "",
    dependencies=[Depends(require_api_key)],
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}, "description": "A zip `emopy train --data` reads."}},
)
def export_feedback(session: Annotated[Session, Depends(get_session)]) -> Response:
    """A zip of <emotion>/<feedback id>.png face crops plus feedback.csv listing all feedback (crop or not)."""
    rows = session.execute(select(Feedback, Face).join(Face).order_by(Feedback.id)).all()
    buf, table = io.BytesIO(), io.StringIO()
    writer = csv.writer(table)
    writer.writerow(["feedback_id", "image_id", "face", "emotion", "created_at", "file"])
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for fb, face in rows:
            name = ""
            if face.crop is not None:
                name = f"{fb.emotion}/{fb.id}.png"
                zf.writestr(name, face.crop)
            writer.writerow([fb.id, face.image_id, face.index, fb.emotion, fb.created_at.isoformat(), name])
        zf.writestr("feedback.csv", table.getvalue())
    return Response(
        buf.getvalue(),
        media_type="application/zip",
        headers={"Content-Disposition": 'attachment; filename="emopy-feedback.zip"'},
    )
