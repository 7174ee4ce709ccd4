"""Fetching `image_url` inputs safely: http(s) only, public addresses only (every hop), capped size and time."""

from __future__ import annotations

import ipaddress
import socket
import time
from urllib.parse import urljoin, urlsplit

import httpx

from ..errors import EmopyError


class FetchError(EmopyError, ValueError):
    """An image URL that is refused or cannot be fetched within the limits."""


def _check_ip(ip: str, host: str) -> None:
    """Refuse loopback, private, link-local (cloud metadata), multicast and reserved addresses."""
    addr = ipaddress.ip_address(ip.split("%")[0])
    if getattr(addr, "ipv4_mapped", None):
        addr = addr.ipv4_mapped
    if not addr.is_global or addr.is_multicast:
        raise FetchError(f"image_url host {host!r} resolves to {addr}, a non-public address; refused")


def check_url(url: str) -> None:
    """Refuse a URL whose scheme is not http(s) or whose host resolves to any non-public address."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(f"image_url must be an http:// or https:// URL with a host, got {url[:100]!r}")
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 80, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"image_url host {parts.hostname!r} cannot be resolved ({exc})") from None
    for info in infos:
        _check_ip(info[4][0], parts.hostname)


def fetch_image(url: str, *, max_bytes: int, timeout: float, max_redirects: int,
                transport: httpx.BaseTransport | None = None) -> bytes:
    """The body at `url`, following at most `max_redirects` redirects, each target checked before it is asked."""
    try:
        return _fetch(url, max_bytes, timeout, max_redirects, transport)
    except httpx.HTTPError as exc:
        raise FetchError(f"image_url cannot be fetched ({type(exc).__name__}: {exc})") from None


def _fetch(url: str, max_bytes: int, timeout: float, max_redirects: int, transport) -> bytes:
    """fetch_image without the translation of httpx errors."""
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=timeout, follow_redirects=False, transport=transport) as client:
        for _ in range(max_redirects + 1):
            check_url(url)
            with client.stream("GET", url) as resp:
                stream = resp.extensions.get("network_stream")
                peer = stream.get_extra_info("server_addr") if stream is not None else None
                if peer:  # the address actually connected to, in case DNS changed since the check
                    _check_ip(peer[0], urlsplit(url).hostname or "")
                if resp.is_redirect:
                    url = urljoin(url, resp.headers["location"])
                    continue
                if resp.status_code != 200:
                    raise FetchError(f"image_url answered HTTP {resp.status_code}")
                if int(resp.headers.get("content-length") or 0) > max_bytes:
                    raise FetchError(f"image_url body is over the limit of {max_bytes} bytes")
                data = bytearray()
                for chunk in resp.iter_bytes():
                    data += chunk
                    if len(data) > max_bytes:
                        raise FetchError(f"image_url body is over the limit of {max_bytes} bytes")
                    if time.monotonic() > deadline:
                        raise FetchError(f"image_url took longer than {timeout} s")
                return bytes(data)
    raise FetchError(f"image_url redirected more than {max_redirects} times")
