"""Dependencies shared by the routers: the predictor, the decoder and the API-key guard."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Security
from fastapi.security import APIKeyHeader
from starlette.requests import HTTPConnection

from .inference import Decoder
from .predictor import Predictor
from .settings import Settings, get_settings

API_KEY_HEADER = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="Needed for export and deletion (EMOPY_API_KEY)."
)
CLOSED = (
    "export and deletion are closed on this server: set EMOPY_API_KEY on the server and send it in the X-API-Key "
    "header (or set EMOPY_OPEN_EXPORT=true on a private, trusted setup)"
)


def get_predictor(conn: HTTPConnection) -> Predictor:
    """The predictor loaded at startup (tests may override this dependency)."""
    return conn.app.state.predictor


def get_decoder(conn: HTTPConnection) -> Decoder:
    """The app's decoder: its limits, its decoder processes and the memory budget of the requests using it."""
    return conn.app.state.decoder


def require_api_key(
    settings: Annotated[Settings, Depends(get_settings)], key: Annotated[str | None, Security(API_KEY_HEADER)] = None
) -> None:
    """Refuse the request unless it carries the configured API key; closed when none is configured (unless opened)."""
    if settings.api_key is None:
        if settings.open_export:
            return
        raise HTTPException(403, CLOSED)
    if not key:
        raise HTTPException(401, "this endpoint needs the X-API-Key header (EMOPY_API_KEY is set on the server)")
    if not secrets.compare_digest(key.encode(), settings.api_key.get_secret_value().encode()):
        raise HTTPException(403, "the X-API-Key header does not match the server's key")
