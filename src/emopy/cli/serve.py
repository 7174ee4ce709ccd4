"""`emopy serve`: the REST API, feedback store and webcam web app under uvicorn."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from ._app import DeviceOpt, app, fail

MAX_HEAD_BYTES = 65_536  # request line and headers together; larger heads get 400


@app.command("serve")
def serve_cmd(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    db: Annotated[
        str | None,
        typer.Option("--db", help="SQLAlchemy URL: sqlite:///emopy.db (default) or postgresql://user:pw@host/db."),
    ] = None,
    model: Annotated[str | None, typer.Option("--model", help="Default shipped model name or alias.")] = None,
    workers: Annotated[
        int, typer.Option(help="Worker processes (each loads the model; SQLite in WAL mode is shared).")
    ] = 1,
    device: DeviceOpt = None,
) -> None:
    """Serve /v1/predict, /v1/feedback, /health, the API docs at /docs and the web app at /."""
    from ..errors import EmopyError, require

    try:
        uvicorn = require("uvicorn", "server")
        require("fastapi", "server")
    except EmopyError as exc:
        fail(exc)
    for name, value in (("EMOPY_DB", db), ("EMOPY_MODEL", model), ("EMOPY_HOST", host), ("EMOPY_DEVICE", device)):
        if value is not None:
            os.environ[name] = value  # the workers read their settings from the environment
    from pydantic import ValidationError
    from sqlalchemy.exc import SQLAlchemyError

    from ..predict.runtime import execution_providers
    from ..serve.db import make_engine, migrate
    from ..serve.protocol import BoundedH11Protocol
    from ..serve.settings import WILDCARD_ADDRESSES, Settings

    try:
        settings = Settings()
        execution_providers(settings.device)  # an unavailable device fails here, not in each worker after binding
        engine = make_engine(settings.db)
        migrate(engine)  # once here, so workers starting together do not race to create tables
        engine.dispose()
    except (ValidationError, SQLAlchemyError, EmopyError) as exc:
        fail(exc)
    if not settings.allowed_hosts and settings.host in WILDCARD_ADDRESSES:
        typer.echo(
            f"note: bound to every address, but only Host headers {', '.join(settings.trusted_hosts())} are accepted; "
            "set EMOPY_ALLOWED_HOSTS to the names clients use",
            err=True,
        )
    # h11, not httptools: h11 caps the request head (httptools reads headers without a size limit); the subclass adds a
    # head deadline and counts WebSockets against the cap. websockets-sansio pauses reading while a message waits for
    # the app, so a WebSocket holds at most about two ws_max_size messages
    uvicorn.run(
        "emopy.serve.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        http=BoundedH11Protocol,
        ws="websockets-sansio",
        h11_max_incomplete_event_size=MAX_HEAD_BYTES,
        ws_max_size=settings.max_upload_bytes + 1024,
        limit_concurrency=settings.max_connections,
        timeout_keep_alive=settings.keep_alive_s,
        timeout_graceful_shutdown=10,
    )
