"""Fetching `image_url` inputs safely: http(s) only, public addresses only, capped size, one overall deadline.

Each hop's host is resolved once; every address it has is checked (IPv4 inside IPv6 unwrapped first), and
the request connects to the checked address itself, so DNS cannot answer differently between check and use.
Bodies are read as sent and never decompressed: a few hundred bytes of nested gzip can inflate to gigabytes.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket

import httpx

from ..errors import FetchError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
NAT64 = ipaddress.ip_network("64:ff9b::/96")
# IPv6 ranges that carry IPv4 in a form that cannot be unwrapped reliably, and are no public web server's address:
# local-use NAT64 (RFC 8215, the IPv4 part placed by prefix length), SIIT IPv4-translated (RFC 2765), Teredo tunnels
OPAQUE_IPV4_CARRIERS = tuple(ipaddress.ip_network(n) for n in ("64:ff9b:1::/48", "::ffff:0:0:0/96", "2001::/32"))


def unwrap(addr: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 address carries (IPv4-mapped, IPv4-compatible, NAT64, 6to4), else the address itself."""
    if addr.version == 4:
        return addr
    carried = addr.ipv4_mapped or addr.sixtofour
    if carried is not None:
        return carried
    if addr in NAT64 or int(addr) >> 32 == 0:  # 64:ff9b::a.b.c.d and the deprecated ::a.b.c.d
        return ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    return addr


def is_public(addr: IPAddress) -> bool:
    """Globally routable unicast, also once unwrapped: no loopback, private, link-local (cloud metadata), reserved,
    multicast, nor an IPv6 range that carries IPv4 opaquely."""
    if addr.version == 6 and any(addr in net for net in OPAQUE_IPV4_CARRIERS):
        return False
    return all(a.is_global and not a.is_multicast for a in (addr, unwrap(addr)))


def parse_url(url: str, base: httpx.URL | None = None) -> httpx.URL:
    """`url` (relative to `base`, for redirects) as an http(s) URL with a host and no credentials; FetchError
    otherwise."""
    try:
        parsed = base.join(url) if base is not None else httpx.URL(url)
    except (httpx.InvalidURL, ValueError, TypeError) as exc:
        raise FetchError(f"image_url is not a valid URL ({exc}): {url[:100]!r}") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise FetchError(f"image_url must be an http:// or https:// URL with a host, got {url[:100]!r}")
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise FetchError(f"image_url port {parsed.port} is out of range (1-65535)")
    if parsed.userinfo:
        raise FetchError("image_url must not carry a user name or password")
    return parsed


async def resolve_public(url: httpx.URL) -> IPAddress:
    """The address to connect to for `url`: its host resolved once, refused if any address it has is not public."""
    host, port = url.raw_host.decode("ascii"), url.port or (443 if url.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError) as exc:
        raise FetchError(f"image_url host {host[:100]!r} cannot be resolved ({exc})") from None
    addrs = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]  # host text: IPv4 or IPv6
    for addr in addrs:
        if not is_public(addr):
            raise FetchError(f"image_url host {host!r} resolves to {addr}, a non-public address; refused")
    return addrs[0]


async def fetch_image(
    url: str, *, max_bytes: int, timeout: float, max_redirects: int, transport: httpx.AsyncBaseTransport | None = None
) -> bytes:
    """The body at `url` within `timeout` seconds in all, following at most `max_redirects` redirects."""
    try:
        async with asyncio.timeout(timeout):
            return await _fetch(parse_url(url), max_bytes, max_redirects, transport)
    except TimeoutError:
        raise FetchError(f"image_url took longer than {timeout:g} s in all (EMOPY_URL_TIMEOUT_S)") from None
    except httpx.HTTPError as exc:
        raise FetchError(f"image_url cannot be fetched ({type(exc).__name__}: {exc})") from None


async def _fetch(
    url: httpx.URL, max_bytes: int, max_redirects: int, transport: httpx.AsyncBaseTransport | None
) -> bytes:
    """fetch_image without the deadline and the translation of httpx errors."""
    # trust_env=False: no proxy from the environment, so the connection goes to the checked address itself
    async with httpx.AsyncClient(transport=transport, follow_redirects=False, trust_env=False, timeout=None) as client:
        for _ in range(max_redirects + 1):
            addr = await resolve_public(url)
            pinned = url.copy_with(host=str(addr))
            headers = {"Host": url.netloc.decode("ascii"), "Accept-Encoding": "identity"}
            async with client.stream("GET", pinned, headers=headers, extensions={"sni_hostname": url.host}) as resp:
                if resp.is_redirect:
                    url = parse_url(resp.headers["location"], base=url)
                    continue
                if resp.status_code != 200:
                    raise FetchError(f"image_url answered HTTP {resp.status_code}")
                encoding = resp.headers.get("content-encoding", "identity")
                if any(e.strip().lower() not in ("", "identity") for e in encoding.split(",")):
                    raise FetchError(
                        f"image_url answered with Content-Encoding {encoding[:100]!r}; only unencoded bodies are "
                        "accepted (the fetch asks for identity, and never decompresses)"
                    )
                length = resp.headers.get("content-length", "")
                if length.isdigit() and int(length) > max_bytes:
                    raise FetchError(f"image_url body is over the limit of {max_bytes} bytes")
                data = bytearray()
                async for chunk in resp.aiter_raw():  # the bytes as sent: httpx decodes nothing here
                    data += chunk
                    if len(data) > max_bytes:
                        raise FetchError(f"image_url body is over the limit of {max_bytes} bytes")
                return bytes(data)
    raise FetchError(f"image_url redirected more than {max_redirects} times")
