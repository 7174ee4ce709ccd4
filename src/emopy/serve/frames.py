"""Frames from a WebSocket client, with an idle limit: a client that sends nothing for a while is closed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

from fastapi import WebSocket

IDLE_CLOSE = 1008  # policy violation: the client broke the server's idle rule


async def frames(
    ws: WebSocket, idle_s: float, close: Callable[[int, str], Awaitable[None]] | None = None
) -> AsyncIterator[bytes | None]:
    """Each message's bytes (None for a text message) until the client leaves or sends nothing for `idle_s` seconds."""
    while True:
        try:
            msg = await asyncio.wait_for(ws.receive(), idle_s)
        except TimeoutError:
            await (close or ws.close)(IDLE_CLOSE, f"no message for {idle_s:g} s (EMOPY_WS_IDLE_S)")
            return
        if msg["type"] == "websocket.disconnect":
            return
        yield msg.get("bytes")
