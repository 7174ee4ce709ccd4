"""Security headers on every HTTP answer: a Content-Security-Policy, no MIME sniffing, no framing."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

FIXED = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY"}


def content_security_policy(script_hashes: Iterable[str] = (), inline_styles: bool = False) -> str:
    """Everything from this server only ('self' covers its WebSockets too), never framed; inline scripts only by their
    sha256 (`script_hashes`, base64), inline styles only where `inline_styles` (ReDoc injects its own)."""
    scripts = " ".join(["'self'", *(f"'sha256-{h}'" for h in script_hashes)])
    styles = "'self' 'unsafe-inline'" if inline_styles else "'self'"
    return (
        f"default-src 'self'; script-src {scripts}; style-src {styles}; img-src 'self' data: blob:; "
        "media-src 'self' blob:; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    )


POLICY = content_security_policy()


class SecurityHeaders:
    """ASGI middleware adding the headers to each HTTP answer; an answer that sets its own policy (the API docs)
    keeps it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in {"Content-Security-Policy": POLICY, **FIXED}.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
