"""uvicorn's h11 protocol plus the bounds uvicorn lacks: a request-head deadline, a head cap that holds within one read,
and WebSockets counted against `limit_concurrency`."""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from h11._connection import DEFAULT_MAX_INCOMPLETE_EVENT_SIZE  # uvicorn's h11 protocol uses it too
from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from .settings import get_settings


class HeadCappedConnection(h11.Connection):
    """An h11 server connection refusing request heads over `max_head_bytes` also when one read brings a whole head
    (h11 checks the size only while a head is incomplete)."""

    def __init__(self, max_head_bytes: int) -> None:
        super().__init__(h11.SERVER, max_incomplete_event_size=max_head_bytes)
        self.max_head_bytes = max_head_bytes

    def next_event(self) -> h11.Event | type[h11.NEED_DATA] | type[h11.PAUSED]:
        """h11's next event; a request whose head took more than the cap raises RemoteProtocolError (uvicorn: 400)."""
        if self.their_state is not h11.IDLE:
            return super().next_event()
        buffered = len(self.trailing_data[0])
        event = super().next_event()
        if isinstance(event, h11.Request) and buffered - len(self.trailing_data[0]) > self.max_head_bytes:
            raise h11.RemoteProtocolError(f"request head over {self.max_head_bytes} bytes", error_status_hint=431)
        return event


class BoundedH11Protocol(H11Protocol):
    """`emopy serve`'s HTTP protocol: closes connections whose request head is late (EMOPY_HEAD_TIMEOUT_S), so silent
    sockets cannot hold the connection cap, and answers WebSocket upgrades over the cap with 503 like plain requests."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.conn = HeadCappedConnection(config.h11_max_incomplete_event_size or DEFAULT_MAX_INCOMPLETE_EVENT_SIZE)
        self.head_timeout_s = get_settings().head_timeout_s
        self.head_timer: asyncio.TimerHandle | None = None

    # asyncio's Protocol takes any BaseTransport; uvicorn's H11Protocol narrows it to Transport with this same ignore
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Start the head deadline at accept: a socket that never sends is closed too."""
        super().connection_made(transport)
        self.head_timer = self.loop.call_later(self.head_timeout_s, self.head_timeout)

    def data_received(self, data: bytes) -> None:
        """Keep the deadline while a head is incomplete (from its first byte, on a kept-alive connection); end it once
        the head is in."""
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE or self.transport.is_closing():
            self._cancel_head_timer()
        elif self.head_timer is None:
            self.head_timer = self.loop.call_later(self.head_timeout_s, self.head_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        """No deadline for a connection that is gone."""
        self._cancel_head_timer()
        super().connection_lost(exc)

    def _cancel_head_timer(self) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None

    def head_timeout(self) -> None:
        """Close the connection; a client that sent part of a head is told why (408)."""
        self.head_timer = None
        if self.transport.is_closing():
            return
        if self.conn.trailing_data[0]:
            body = f"the request head did not arrive within {self.head_timeout_s:g} s (EMOPY_HEAD_TIMEOUT_S)".encode()
            self.transport.write(
                b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\nconnection: close\r\n"
                b"content-length: %d\r\n\r\n%s" % (len(body), body)
            )
        self.transport.close()

    def _should_upgrade(self) -> bool:
        """No upgrade at the cap: the request goes on as plain HTTP, which uvicorn answers 503 by the same test."""
        return super()._should_upgrade() and not self._at_cap()

    def _at_cap(self) -> bool:
        """uvicorn's own `limit_concurrency` test (h11_impl.handle_events), which it skips for upgrades."""
        limit = self.limit_concurrency
        return limit is not None and (len(self.connections) >= limit or len(self.tasks) >= limit)
