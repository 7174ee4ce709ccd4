"""`create_app`: the FastAPI application; its lifespan opens the database (migrated) and loads the model."""

from __future__ import annotations

import asyncio
import contextlib
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import sessionmaker
from starlette.exceptions import HTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware

from .. import __version__
from ..errors import (
    BodyTooSlow,
    DecodeTimeout,
    EmopyError,
    FetchError,
    ImageDecodeError,
    ModelFileError,
    PayloadTooLarge,
    UnknownEmotionError,
)
from .contract import document, method_not_allowed
from .db import make_engine, migrate, purge_expired
from .docs import add_docs
from .headers import SecurityHeaders
from .inference import Decoder
from .limits import CLOSE, BodyLimit
from .predictor import Predictor
from .routers import feedback, health, images, predict, stories, ws
from .settings import Settings, get_settings

STATIC = Path(__file__).parent / "static"
MAX_ECHO = 200  # a refused input longer than this (as text) is not repeated in the 422 answer
MAX_DETAIL = 400  # an error message longer than this (one quoting a long path or header) keeps its two ends only
STATUS = {
    PayloadTooLarge: 413,
    BodyTooSlow: 408,
    UnknownEmotionError: 422,
    ModelFileError: 422,
    ImageDecodeError: 400,
    DecodeTimeout: 422,
    FetchError: 400,
}


async def _emopy_error(_request: Request, exc: Exception) -> JSONResponse:
    """An EmopyError as a JSON 4xx naming the problem; a body refused half-read (408, 413) also ends the connection."""
    code = next((c for t, c in STATUS.items() if isinstance(exc, t)), 400)
    return JSONResponse({"detail": clip(str(exc))}, status_code=code, headers=CLOSE if code in (408, 413) else None)


def clip(text: str) -> str:
    """`text` cut to MAX_DETAIL characters in its middle: a 404 for a 60 KB path answers in a few hundred bytes."""
    half = MAX_DETAIL // 2
    return text if len(text) <= MAX_DETAIL else f"{text[:half]} [...] {text[-half:]}"


async def _http_error(request: Request, exc: HTTPException) -> Response:
    """Starlette's answer to an HTTPException (404, 405, 415...), its message clipped."""
    if exc.status_code in (404, 405):
        exc = method_not_allowed(request) or exc
    if isinstance(exc.detail, str):
        exc.detail = clip(exc.detail)
    return await http_exception_handler(request, exc)


async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    """A 422 as ErrorOut: the problems in words, then each field's, without echoing long inputs (5 MB in must not
    mean 5 MB out) or raw bytes (a body that is not UTF-8 has no JSON form)."""
    errors = [
        {"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]}
        | {k: v for k, v in e.items() if k == "input" and not isinstance(v, bytes) and len(repr(v)) <= MAX_ECHO}
        for e in exc.errors()
    ]
    detail = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}".removeprefix(": ") for e in errors)
    return JSONResponse(jsonable_encoder({"detail": clip(detail), "errors": errors}), status_code=422)


async def _purge_forever(app: FastAPI, settings: Settings) -> None:
    """Apply the retention setting once an hour."""
    while True:
        await asyncio.sleep(3600)
        await asyncio.to_thread(purge_expired, app.state.engine, settings.retention_days)


def create_app(settings: Settings | None = None, predictor: Predictor | None = None) -> FastAPI:
    """The app; `settings` (default: from EMOPY_* variables) and a loaded `predictor` may be passed in."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.engine = engine = make_engine(settings.db)
        await asyncio.to_thread(migrate, engine)
        await asyncio.to_thread(purge_expired, engine, settings.retention_days)
        app.state.sessions = sessionmaker(engine, expire_on_commit=False)
        app.state.predictor = predictor or await asyncio.to_thread(
            Predictor, settings.model, settings.detector, settings.threads, settings.device
        )
        task = asyncio.create_task(_purge_forever(app, settings))
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        app.state.decoder.close()
        engine.dispose()

    app = FastAPI(
        title="EmoPy",
        version=__version__,
        lifespan=lifespan,
        description="Facial expression recognition: faces and emotion probabilities, "
        "feedback that becomes training data.",
        docs_url=None,  # add_docs serves /docs and /redoc with their files from this server, not a CDN
        redoc_url=None,
        exception_handlers={
            EmopyError: _emopy_error,
            HTTPException: _http_error,
            RequestValidationError: _validation_error,
        },
    )
    app.dependency_overrides[get_settings] = lambda: settings
    app.state.decoder = Decoder(settings)
    app.add_middleware(
        BodyLimit, max_bytes=settings.max_upload_bytes * 4 // 3 + 65536, timeout_s=settings.body_timeout_s
    )
    app.add_middleware(
        TrustedHostMiddleware, allowed_hosts=settings.trusted_hosts()
    )  # DNS rebinding stops here, before anything else runs
    app.add_middleware(SecurityHeaders)  # outermost: every answer has the headers, the Host check's 400 too
    for router in (predict.router, ws.router, feedback.router, images.router, stories.router, health.router):
        app.include_router(router)
    add_docs(app)
    app.mount("/", StaticFiles(directory=STATIC, html=True), name="web")
    document(app, STATUS.values())
    return app
