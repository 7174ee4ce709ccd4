"""Hostile input against a real `emopy serve` (uvicorn on 127.0.0.1): every hole of the hardening issue stays closed.

One server with default security settings (no API key), small time limits and a low connection cap; a second one
with an API key for the deletion checks. Traffic stays on loopback and every test is bounded in time and count.
"""

from __future__ import annotations

import asyncio
import base64
import io
import socket
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytest.importorskip("uvicorn", reason="the server extra is not installed: pip install 'emopy-fer[server]'")

import httpx  # noqa: E402
import yaml  # noqa: E402
from websockets.exceptions import ConnectionClosed  # noqa: E402
from websockets.sync.client import connect  # noqa: E402

from _image_helpers import exif_jpeg, tiff_bomb, with_trailer  # noqa: E402
from _predict_helpers import astronaut, encode  # noqa: E402
from _serve_helpers import ServerProcess, face_jpeg, write_story_folder  # noqa: E402

KEY = {"X-API-Key": "s3cret"}
LIMITS = {
    "EMOPY_BODY_TIMEOUT_S": "2",
    "EMOPY_WS_IDLE_S": "2",
    "EMOPY_KEEP_ALIVE_S": "1",
    "EMOPY_MAX_CONNECTIONS": "6",
    "EMOPY_ALLOW_IMAGE_URL": "true",
}


def _stories(folder: Path) -> Path:
    """The quick story, a second one with its own clip, a long one, and files no story names (.env, a stray clip)."""
    write_story_folder(folder)
    (folder / "clips" / "other.webm").write_bytes(b"\x1a\x45\xdf\xa3 the other story's clip")
    (folder / "clips" / "stray.webm").write_bytes(b"\x1a\x45\xdf\xa3 named by no story")
    (folder / ".env").write_text("SECRET=do-not-serve\n")
    other = {"title": "other", "start": "a", "segments": {"a": {"media": "clips/other.webm", "duration": 0.5}}}
    (folder / "other.yaml").write_text(yaml.safe_dump(other))
    long = {"title": "long", "start": "a", "segments": {"a": {"card": "Wait", "duration": 60}}}
    (folder / "long.yaml").write_text(yaml.safe_dump(long))
    return folder


def _start(tmp: Path, emopy_cmd, env: dict) -> ServerProcess:
    server = ServerProcess(emopy_cmd, f"sqlite:///{tmp / 'emopy.db'}", tmp / "server.log", env=env)
    try:
        server.wait_ready()
    except Exception:
        server.kill()
        raise
    return server


@pytest.fixture(scope="module")
def server(tmp_path_factory, emopy_cmd):
    """Default security (no API key, loopback hosts only), short timeouts, at most 6 connections."""
    tmp = tmp_path_factory.mktemp("hostile")
    srv = _start(tmp, emopy_cmd, {**LIMITS, "EMOPY_STORIES": str(_stories(tmp / "stories"))})
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def keyed(tmp_path_factory, emopy_cmd):
    """A server with an API key: export and deletion open to the key holder."""
    tmp = tmp_path_factory.mktemp("keyed")
    srv = _start(tmp, emopy_cmd, {"EMOPY_API_KEY": "s3cret"})
    yield srv
    srv.stop()


def predict(url: str, data: bytes, **fields) -> httpx.Response:
    return httpx.post(
        url + "/v1/predict",
        files={"image": ("f.jpg", data, "image/jpeg")},
        data={k: str(v).lower() for k, v in fields.items()},
        timeout=60,
    )


def peak_rss_mb(proc) -> float:
    """The server process's peak resident memory (VmHWM), in MB."""
    line = next(x for x in Path(f"/proc/{proc.pid}/status").read_text().splitlines() if x.startswith("VmHWM"))
    return int(line.split()[1]) / 1024


def raw_request(port: int, head: bytes, timeout: float = 10) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.sendall(head)
    return sock


def read_all(sock: socket.socket) -> bytes:
    out = b""
    while chunk := sock.recv(65536):
        out += chunk
    return out


# ---- 1. closed by default; DNS rebinding -------------------------------------------------------------------
def test_export_and_deletion_are_closed_without_a_key(server):
    image_id = predict(server.url, face_jpeg(), store=True).json()["image_id"]  # predicting stays open
    for resp in (httpx.get(server.url + "/v1/feedback"), httpx.delete(f"{server.url}/v1/images/{image_id}")):
        assert resp.status_code == 403 and "EMOPY_API_KEY" in resp.json()["detail"], resp.text
        assert "EMOPY_OPEN_EXPORT" in resp.json()["detail"]


def test_foreign_host_headers_are_refused(server):
    """A page on attacker.example that rebinds its name to 127.0.0.1 sends Host: attacker.example."""
    for host in ("attacker.example", f"attacker.example:{server.port}", "127.0.0.1.nip.io"):
        r = httpx.get(server.url + "/health", headers={"Host": host})
        assert r.status_code == 400 and "host" in r.text.lower(), host
    for host in (f"localhost:{server.port}", f"127.0.0.1:{server.port}"):
        assert httpx.get(server.url + "/health", headers={"Host": host}).status_code == 200
    handshake = (
        b"GET /v1/ws HTTP/1.1\r\nHost: attacker.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    sock = raw_request(server.port, handshake)
    assert sock.recv(65536).startswith((b"HTTP/1.1 400", b"HTTP/1.1 403"))  # the WebSocket handshake too: no 101
    sock.close()


# ---- 2. pixel limits from the header, for every format -------------------------------------------------------
def test_tiff_bomb_is_refused_before_decoding(server):
    before = peak_rss_mb(server.proc)
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: predict(server.url, tiff_bomb()), range(4)))
    for r in answers:
        assert r.status_code == 400 and "12000x12000 pixels, over the limit" in r.json()["detail"], r.text
    assert peak_rss_mb(server.proc) - before < 100  # decoding one would have taken ~430 MB


# ---- 3. trailing bytes (motion photos) -----------------------------------------------------------------------
def test_images_with_trailing_bytes_are_accepted(server):
    for data in (with_trailer(face_jpeg()), with_trailer(encode(astronaut()))):
        r = predict(server.url, data)
        assert r.status_code == 200 and len(r.json()["faces"]) == 1, r.text
    cut = predict(server.url, face_jpeg()[:20_000])
    assert cut.status_code == 400 and "truncated JPEG" in cut.json()["detail"]


# ---- 5. image_url ---------------------------------------------------------------------------------------------
def test_malformed_and_wrapped_urls_get_400(server):
    cases = {
        "http://h:99999/": "out of range",
        "http://[::1": "not a valid URL",
        "http://user:pw@example.com/": "password",
        "http://[::7f00:1]/a.jpg": "non-public",
        "http://[64:ff9b::7f00:1]/a.jpg": "non-public",
        "http://[2002:7f00:1::]/a.jpg": "non-public",
        "http://[::ffff:169.254.169.254]/": "non-public",
        "http://0x7f000001/": "non-public",
        "http://%00/": "cannot be resolved",
    }
    for url, why in cases.items():
        r = httpx.post(server.url + "/v1/predict", json={"image_url": url}, timeout=30)
        assert r.status_code == 400 and why in r.json()["detail"], (url, r.text)


def test_url_fetch_has_one_overall_deadline(monkeypatch):
    """A server trickling its headers a byte at a time cannot hold a fetch past the deadline (real sockets)."""
    from emopy.serve import fetch

    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def trickle() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 100:
                if stop.wait(0.2):
                    return
                conn.sendall(bytes([byte]))

    threading.Thread(target=trickle, daemon=True).start()
    monkeypatch.setattr(fetch, "is_public", lambda addr: True)  # let the test reach its own loopback server
    t0 = time.monotonic()
    with pytest.raises(fetch.FetchError, match="longer than 1 s in all"):
        asyncio.run(
            fetch.fetch_image(
                f"http://127.0.0.1:{listener.getsockname()[1]}/a.jpg", max_bytes=1000, timeout=1, max_redirects=0
            )
        )
    assert time.monotonic() - t0 < 2.5
    stop.set()
    listener.close()


def test_url_fetch_connects_to_the_address_it_checked(monkeypatch):
    """DNS rebinding: the name answers a public address, then loopback; the request goes to the checked one only."""
    from emopy.serve import fetch

    answers = iter(["93.184.216.34", "127.0.0.1", "127.0.0.1"])
    monkeypatch.setattr(fetch.socket, "getaddrinfo", lambda host, port, *a, **k: [(2, 1, 6, "", (next(answers), port))])
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.host, request.headers["host"], request.extensions["sni_hostname"]))
        return httpx.Response(200, content=b"img")

    got = asyncio.run(
        fetch.fetch_image(
            "https://rebind.test/a.jpg",
            max_bytes=100,
            timeout=5,
            max_redirects=0,
            transport=httpx.MockTransport(handler),
        )
    )
    assert got == b"img" and seen == [("93.184.216.34", "rebind.test", "rebind.test")]
    assert next(answers) == "127.0.0.1"  # resolved once: the second answer was never asked for


# ---- 6. story media ------------------------------------------------------------------------------------------
def test_story_media_is_only_what_the_story_names(server):
    base = server.url + "/v1/stories"
    assert httpx.get(base + "/quick/media/clips/empty.webm").status_code == 200
    assert httpx.get(base + "/other/media/clips/other.webm").status_code == 200
    for name, file in (
        ("quick", ".env"),
        ("quick", "clips/stray.webm"),
        ("quick", "clips/other.webm"),
        ("quick", "quick.yaml"),
        ("quick", "%00"),
        ("quick", "clips/%00.webm"),
        ("quick", "..%2f.env"),
        ("nope", "clips/empty.webm"),
    ):
        r = httpx.get(f"{base}/{name}/media/{file}")
        assert r.status_code == 404 and "SECRET" not in r.text, (name, file, r.status_code)
    story = httpx.get(base + "/quick")
    assert story.status_code == 200 and story.json()["segments"]["nobody"]["media"] == "clips/empty.webm"
    assert "/tmp" not in story.text and str(Path.cwd()) not in story.text


# ---- 7. slow clients, idle WebSockets, connection cap ---------------------------------------------------------
def test_slow_body_gets_408(server):
    head = (
        b"POST /v1/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000\r\n\r\n{"
    )
    sock = raw_request(server.port, head)
    t0 = time.monotonic()
    sock.settimeout(0.5)
    answer = b""
    while time.monotonic() - t0 < 8 and not answer:
        try:
            sock.sendall(b" ")  # one byte every half second
            answer = sock.recv(65536)
        except TimeoutError:
            continue
        except OSError:
            break
    sock.settimeout(2)
    answer += read_all(sock)  # the JSON body may come in a second packet; then the server closes
    sock.close()
    assert answer.startswith(b"HTTP/1.1 408") and b"EMOPY_BODY_TIMEOUT_S" in answer, answer[:300]
    assert b"connection: close" in answer.lower()  # the rest of the body is not waited for
    assert time.monotonic() - t0 < 5


def test_oversized_request_head_is_refused(server):
    """Headers are capped (64 KiB): a client streaming header lines is answered 400 and cut off, not buffered."""
    sock = raw_request(server.port, b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n", timeout=5)
    try:
        for _ in range(12):  # 192 KB of headers, never finished
            sock.sendall(b"X-Pad: " + b"a" * 16_000 + b"\r\n")
    except OSError:
        pass  # the server may already have answered and closed
    assert sock.recv(65536).startswith(b"HTTP/1.1 400")
    sock.close()


def test_idle_websocket_is_closed(server):
    for path in ("/v1/ws", "/v1/stories/long/play"):
        t0 = time.monotonic()
        with connect(f"ws://127.0.0.1:{server.port}{path}", open_timeout=10) as ws:
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    ws.recv(timeout=8)  # the story sends its first segment; then nothing comes from this client
        assert closed.value.rcvd.code == 1008 and "EMOPY_WS_IDLE_S" in closed.value.rcvd.reason, path
        assert time.monotonic() - t0 < 6


def test_connections_are_capped_and_idle_keep_alive_closed(server):
    idle = [socket.create_connection(("127.0.0.1", server.port), timeout=10) for _ in range(6)]
    try:
        time.sleep(0.3)
        assert httpx.get(server.url + "/health").status_code == 503
    finally:
        for s in idle:
            s.close()
    time.sleep(0.5)
    assert httpx.get(server.url + "/health").status_code == 200
    sock = raw_request(server.port, b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    t0 = time.monotonic()
    assert read_all(sock).startswith(b"HTTP/1.1 200")  # then the server closes the idle keep-alive connection
    assert time.monotonic() - t0 < 4
    sock.close()


# ---- 8. privacy ----------------------------------------------------------------------------------------------
def _stored_bytes(server) -> bytes:
    """Everything on disk of the server's SQLite database: the file, its write-ahead log and shared memory."""
    return b"".join(p.read_bytes() for p in Path(server.log.name).parent.glob("emopy.db*"))


def test_upload_metadata_is_never_stored(server):
    marker = "EMOPY-PRIVATE-GPS-MARKER"
    r = predict(server.url, exif_jpeg(marker), store=True)
    assert r.status_code == 200 and r.json()["stored"] and len(r.json()["faces"]) == 1
    assert marker.encode() not in _stored_bytes(server)


def test_deleted_crops_leave_the_database_and_its_wal(keyed):
    image_id = predict(keyed.url, face_jpeg(), store=True, crop_faces=True).json()["image_id"]
    fb = httpx.post(keyed.url + "/v1/feedback", json={"image_id": image_id, "face_index": 0, "emotion": "happy"})
    with zipfile.ZipFile(io.BytesIO(httpx.get(keyed.url + "/v1/feedback", headers=KEY).content)) as zf:
        crop = zf.read(f"happiness/{fb.json()['id']}.png")
    sample = crop[len(crop) // 2 : len(crop) // 2 + 48]
    assert sample in _stored_bytes(keyed)
    assert httpx.delete(f"{keyed.url}/v1/images/{image_id}", headers=KEY).status_code == 204
    assert sample not in _stored_bytes(keyed)


def test_validation_errors_do_not_echo_large_inputs(server):
    big = "x" * 5_000_000
    cases = [
        ("/v1/predict", {"image_base64": base64.b64encode(face_jpeg()).decode(), "store": big}),
        ("/v1/predict", {"image_base64": "aGk=", "model": big}),
        ("/v1/predict", {"image_base64": "aGk=", "emotions": big}),
        ("/v1/feedback", {"image_id": big, "face_index": 0, "emotion": "happy"}),
    ]
    for path, body in cases:
        r = httpx.post(server.url + path, json=body, timeout=60)
        assert r.status_code == 422 and len(r.content) < 2000, (path, r.status_code, len(r.content))
    r = httpx.post(
        server.url + "/v1/predict",
        content=b"{" + big.encode(),
        headers={"Content-Type": "application/json"},
        timeout=60,
    )
    assert r.status_code == 422 and len(r.content) < 2000 and "json" in r.text.lower()
    assert httpx.get(server.url + "/health").status_code == 200
