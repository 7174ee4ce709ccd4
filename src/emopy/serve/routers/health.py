"""GET /health: the model is loaded and the database answers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy import text
from sqlalchemy.orm import Session

from ... import __version__
from ..db import get_session
from ..dependencies import get_predictor
from ..predictor import Predictor

router = APIRouter(tags=["health"])


@router.get("/health")
def health(
    predictor: Annotated[Predictor, Depends(get_predictor)], session: Annotated[Session, Depends(get_session)]
) -> dict:
    """Status, version, the default model, models a request may choose, and the emotions of the default model."""
    session.execute(text("SELECT 1"))
    fer = predictor.get(None, None)
    return {
        "status": "ok",
        "version": __version__,
        "model": fer.classifier.card.name,
        "emotions": list(fer.emotions),
        "models": predictor.models(),
    }
