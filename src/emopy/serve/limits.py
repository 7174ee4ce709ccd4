"""An ASGI middleware that refuses request bodies over a size limit with 413, before or while reading them."""

from __future__ import annotations

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .inference import PayloadTooLarge


class BodyLimit:
    """Refuse HTTP bodies larger than `max_bytes` (by Content-Length up front, else while streaming)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope["headers"]).get(b"content-length", b"0")
        if not length.isdigit():
            return await JSONResponse({"detail": "the Content-Length header is not a number"}, status_code=400)(scope, receive, send)
        if int(length) > self.max_bytes:
            why = f"request body of {int(length)} bytes is over the limit of {self.max_bytes}"
            return await JSONResponse({"detail": why}, status_code=413)(scope, receive, send)
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            msg = await receive()
            seen += len(msg.get("body", b""))
            if seen > self.max_bytes:
                raise PayloadTooLarge(f"request body is over the limit of {self.max_bytes} bytes")
            return msg

        await self.app(scope, limited, send)
