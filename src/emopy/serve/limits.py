"""An ASGI middleware that bounds request bodies in size (413) and in time (408), before or while reading them."""

from __future__ import annotations

import asyncio

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import BodyTooSlow, PayloadTooLarge

# On an answer given before the body was read: the rest of it is not waited for, the connection ends (RFC 9110).
CLOSE = {"Connection": "close"}


class BodyLimit:
    """Refuse HTTP bodies larger than `max_bytes` (by Content-Length up front, else while streaming) or slower than
    `timeout_s`."""

    def __init__(self, app: ASGIApp, max_bytes: int, timeout_s: float) -> None:
        self.app, self.max_bytes, self.timeout_s = app, max_bytes, timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope["headers"]).get(b"content-length", b"0")
        if not length.isdigit():
            return await JSONResponse(
                {"detail": "the Content-Length header is not a number"}, status_code=400, headers=CLOSE
            )(scope, receive, send)
        if int(length) > self.max_bytes:
            why = f"request body of {int(length)} bytes is over the limit of {self.max_bytes}"
            return await JSONResponse({"detail": why}, status_code=413, headers=CLOSE)(scope, receive, send)
        seen, complete = 0, False
        deadline = asyncio.get_running_loop().time() + self.timeout_s

        async def limited() -> Message:
            nonlocal seen, complete
            if complete:  # after the body: waiting for a disconnect is not bounded here
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):
                    msg = await receive()
            except TimeoutError:
                raise BodyTooSlow(
                    f"the request body did not arrive within {self.timeout_s:g} s (EMOPY_BODY_TIMEOUT_S)"
                ) from None
            seen += len(msg.get("body", b""))
            complete = not msg.get("more_body", False)
            if seen > self.max_bytes:
                raise PayloadTooLarge(f"request body is over the limit of {self.max_bytes} bytes")
            return msg

        await self.app(scope, limited, send)
