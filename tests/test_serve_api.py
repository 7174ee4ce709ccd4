"""The REST API in-process (FastAPI TestClient): every endpoint, every refused input, storage rules."""

from __future__ import annotations

import base64
import io
import os
import subprocess
import sys
import threading
import time
import zipfile

import pytest

pytest.importorskip("fastapi", reason="the server extra is not installed: pip install 'emopy-fer[server]'")


from _predict_helpers import assert_device_refused, missing_device  # noqa: E402
from _serve_helpers import ServerProcess, bomb_png, face_jpeg, free_port  # noqa: E402

KEY = {"X-API-Key": "s3cret"}


def upload(client, data=None, **fields):
    data = face_jpeg() if data is None else data
    return client.post(
        "/v1/predict",
        files={"image": ("face.jpg", data, "image/jpeg")},
        data={k: str(v).lower() for k, v in fields.items()},
    )


def detail(resp) -> str:
    return str(resp.json()["detail"])


# ---- endpoints ----------------------------------------------------------------------------------
def test_health_docs_and_web_app(client):
    h = client.get("/health").json()
    assert h["status"] == "ok" and "happiness" in h["emotions"] and "default" in h["models"]
    schema = client.get("/openapi.json").json()
    assert {"/v1/predict", "/v1/feedback", "/health"} <= set(schema["paths"])
    assert "multipart/form-data" in schema["paths"]["/v1/predict"]["post"]["requestBody"]["content"]
    assert client.get("/docs").status_code == 200
    page = client.get("/")
    assert page.status_code == 200 and "app.js" in page.text
    assert "getUserMedia" in client.get("/common.js").text and "startWebcam" in client.get("/app.js").text


def test_predict_multipart_with_all_options(client):
    r = upload(client, emotions="happy,sad,calm", annotate_image=True, crop_faces=True)
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body["image_id"]) == 32 and body["stored"] is False and (body["width"], body["height"]) == (512, 512)
    (face,) = body["faces"]
    assert face["face"] == 0 and len(face["box"]) == 4
    assert set(face["emotions"]) == {"happiness", "sadness", "neutral"}
    assert sum(face["emotions"].values()) == pytest.approx(1, abs=1e-3)
    assert base64.b64decode(face["crop_base64"]).startswith(b"\x89PNG")
    assert base64.b64decode(body["annotated_image_base64"]).startswith(b"\xff\xd8")


def test_predict_json_base64_and_data_url(client):
    b64 = base64.b64encode(face_jpeg()).decode()
    for text in (b64, "data:image/jpeg;base64," + b64):
        r = client.post("/v1/predict", json={"image_base64": text, "model": "fer2013"})
        assert r.status_code == 200, r.text
        assert r.json()["model"] == "vgg_wide.fer2013.int8" and len(r.json()["faces"]) == 1
        assert r.json()["faces"][0]["crop_base64"] is None and r.json()["annotated_image_base64"] is None


def test_feedback_export_is_a_training_folder(stored_client, tmp_path):
    from emopy.data import load_image_folders

    stored = upload(stored_client, store=True).json()
    unstored = upload(stored_client).json()
    for image, emotion in ((stored, "happy"), (unstored, "sad")):
        r = stored_client.post("/v1/feedback", json={"image_id": image["image_id"], "face": 0, "emotion": emotion})
        assert r.status_code == 201, r.text
    assert r.json()["has_crop"] is False and r.json()["emotion"] == "sadness"
    export = stored_client.get("/v1/feedback")
    assert export.status_code == 200 and export.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(export.content)) as zf:
        names = zf.namelist()
        manifest = zf.read("feedback.csv").decode()
        zf.extractall(tmp_path / "feedback")
    assert names == ["happiness/1.png", "feedback.csv"]  # the unstored face has no crop to export
    assert manifest.count("\n") == 3 and ",sadness," in manifest
    ds = load_image_folders(tmp_path / "feedback")  # what `emopy train --data` reads
    assert ds.images.shape == (1, 48, 48) and [ds.label_names[i] for i in ds.labels] == ["happiness"]


def test_nothing_is_stored_without_store_true(stored_client):
    from sqlalchemy import select

    from emopy.serve.models import Face, Image

    image_id = upload(stored_client, crop_faces=True, annotate_image=True).json()["image_id"]
    with stored_client.app.state.sessions() as s:
        img = s.get(Image, image_id)
        assert len(img.faces) == 1 and all(f.crop is None for f in img.faces)
        assert s.scalars(select(Face.crop).where(Face.crop.is_not(None))).all() == []


def test_delete_image_removes_its_feedback(stored_client):
    image_id = upload(stored_client, store=True).json()["image_id"]
    stored_client.post("/v1/feedback", json={"image_id": image_id, "face": 0, "emotion": "anger"})
    assert stored_client.delete(f"/v1/images/{image_id}").status_code == 204
    assert stored_client.delete(f"/v1/images/{image_id}").status_code == 404
    with zipfile.ZipFile(io.BytesIO(stored_client.get("/v1/feedback").content)) as zf:
        assert zf.namelist() == ["feedback.csv"]


def test_api_key_guards_export_and_deletion(make_client):
    client = make_client(api_key="s3cret")
    image_id = upload(client, store=True).json()["image_id"]  # predicting and feedback stay open
    assert client.post("/v1/feedback", json={"image_id": image_id, "face": 0, "emotion": "fear"}).status_code == 201
    assert client.get("/v1/feedback").status_code == 401
    assert client.get("/v1/feedback", headers={"X-API-Key": "wrong"}).status_code == 403
    assert client.get("/v1/feedback", headers=KEY).status_code == 200
    assert client.delete(f"/v1/images/{image_id}").status_code == 401
    assert client.delete(f"/v1/images/{image_id}", headers=KEY).status_code == 204


def test_open_export_is_an_explicit_opt_in(make_client):
    opened = make_client(open_export=True)  # a private, trusted setup without a key
    assert opened.get("/v1/feedback").status_code == 200
    assert opened.delete("/v1/images/" + "0" * 32).status_code == 404


def test_retention_drops_old_pixels(stored_client):
    from emopy.serve.db import purge_expired

    image_id = upload(stored_client, store=True).json()["image_id"]
    stored_client.post("/v1/feedback", json={"image_id": image_id, "face": 0, "emotion": "surprise"})
    assert purge_expired(stored_client.app.state.engine, None) == 0
    assert purge_expired(stored_client.app.state.engine, 0) == 1
    with zipfile.ZipFile(io.BytesIO(stored_client.get("/v1/feedback").content)) as zf:
        assert zf.namelist() == ["feedback.csv"]  # the label stays, the crop is gone


def test_websocket_stream(client):
    with client.websocket_connect("/v1/ws?emotions=happy,calm") as ws:
        ws.send_bytes(face_jpeg())
        msg = ws.receive_json()
        assert len(msg["faces"]) == 1 and set(msg["faces"][0]["emotions"]) == {"happiness", "neutral"}
        ws.send_bytes(b"not an image")
        assert "not a readable image" in ws.receive_json()["error"]
        ws.send_text("hello")
        assert "binary" in ws.receive_json()["error"]
        ws.send_bytes(face_jpeg())  # the stream goes on after bad frames
        assert len(ws.receive_json()["faces"]) == 1


def test_websocket_calibrates_to_the_viewer(client):
    from starlette.testclient import WebSocketDenialResponse
    from starlette.websockets import WebSocketDisconnect

    with client.websocket_connect("/v1/ws?emotions=happy,calm&calibrate=0.3") as ws:
        answers, calibrated, guard = [], None, time.monotonic() + 60
        while calibrated is None:  # frames until one comes after the calibration time; a text message marks each end
            assert time.monotonic() < guard, "the calibration never ended"
            ws.send_bytes(face_jpeg())
            ws.send_text("end of frame")
            answers.append(ws.receive_json())
            then = ws.receive_json()
            if "calibrated" in then:
                calibrated, then = then["calibrated"], ws.receive_json()
            assert "binary" in then["error"]
        assert all(a["calibrating"] for a in answers) and answers[0]["faces"][0]["dominant"] == "happiness"
        assert calibrated == {"faces": len(answers)}  # every frame's face, the one that ended the calibration too
        ws.send_bytes(face_jpeg())
        after = ws.receive_json()
        assert not after["calibrating"] and after["faces"][0]["dominant"] == "neutral"  # their smile is their rest
    with pytest.raises((WebSocketDisconnect, WebSocketDenialResponse)):  # at most 30 s
        with client.websocket_connect("/v1/ws?calibrate=99") as ws:
            ws.receive_json()


# ---- refused inputs -----------------------------------------------------------------------------
def test_bad_images(client):
    jpeg = face_jpeg()
    cases = {
        "empty": (b"", "empty input"),
        "text": (b"hello, I am not an image" * 10, "not a readable image"),
        "truncated": (jpeg[: len(jpeg) // 2], "truncated JPEG"),
        "bomb": (bomb_png(), "decompression bomb"),
    }
    for name, (data, why) in cases.items():
        r = upload(client, data)
        assert r.status_code == 400 and why in detail(r), (name, r.text)
    r = client.post("/v1/predict", json={"image_base64": ""})
    assert r.status_code == 400 and "empty input" in detail(r)
    assert client.get("/health").status_code == 200  # still serving


def test_size_limits(make_client):
    client = make_client(max_upload_bytes=50_000)
    r = upload(client, face_jpeg() + b"\0" * 60_000)
    assert r.status_code == 413 and "over the limit" in detail(r)
    r = upload(client, b"\0" * 200_000)  # over the body cap: refused by Content-Length before it is read
    assert r.status_code == 413 and "request body of" in detail(r)
    chunks = (b"\0" * 10_000 for _ in range(20))  # no Content-Length: counted while it streams in
    r = client.post("/v1/predict", content=chunks, headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and "over the limit" in detail(r)
    r = client.post("/v1/predict", json={"image_base64": base64.b64encode(b"\0" * 55_000).decode()})
    assert r.status_code == 413 and "over the limit" in detail(r)


def test_bad_requests(client):
    b64 = base64.b64encode(face_jpeg()).decode()
    cases = [
        (dict(content=b"raw bytes", headers={"Content-Type": "image/jpeg"}), 415, "not accepted"),
        (dict(content=b"x=1", headers={"Content-Type": "text/plain"}), 415, "not accepted"),
        (dict(content=b""), 415, "not accepted"),
        (dict(data={"store": "true"}, files={"other": ("a.jpg", b"x")}), 400, "field named 'image'"),
        (dict(content=b"{not json", headers={"Content-Type": "application/json"}), 422, "json"),
        (dict(json={}), 400, "exactly one of"),
        (dict(json={"image_base64": b64, "image_url": "http://example.com/a.jpg"}), 400, "exactly one of"),
        (dict(json={"image_base64": "***"}), 400, "not valid base64"),
        (dict(json={"image_base64": b64, "store": "maybe"}), 422, "bool"),
        (dict(json={"image_base64": b64, "emotions": ["happy", "bored"]}), 422, "unknown emotion 'bored'"),
        (dict(json={"image_base64": b64, "model": "vgg_huge"}), 422, "unknown model"),
        (dict(json={"image_base64": b64, "model": "/etc/passwd.onnx"}), 422, "unknown model"),
        (dict(json={"image_url": "http://example.com/a.jpg"}), 403, "disabled"),
    ]
    for kwargs, status, why in cases:
        r = client.post("/v1/predict", **kwargs)
        assert r.status_code == status and why.lower() in detail(r).lower(), (kwargs.keys(), r.status_code, r.text)
    r = upload(client, emotions="happy,grumpy")
    assert r.status_code == 422 and "valid names are" in detail(r)
    assert client.get("/health").status_code == 200


def test_bad_feedback(client):
    image_id = upload(client).json()["image_id"]
    cases = [
        ({"image_id": "0" * 32, "face": 0, "emotion": "happy"}, 404, "unknown image_id"),
        ({"image_id": image_id, "face": 3, "emotion": "happy"}, 404, "has 1 faces"),
        ({"image_id": image_id, "face": -1, "emotion": "happy"}, 422, "greater than or equal"),
        ({"image_id": image_id, "face": 0, "emotion": "bored"}, 422, "unknown emotion"),
        ({"image_id": image_id, "face": 0}, 422, "emotion: Field required"),
    ]
    for body, status, why in cases:
        r = client.post("/v1/feedback", json=body)
        assert r.status_code == status and why in detail(r), (body, r.text)
    closed = client.delete(f"/v1/images/{image_id}")  # no API key configured: deletion is closed, not open
    assert closed.status_code == 403 and "EMOPY_API_KEY" in detail(closed)


def test_image_url_refuses_local_addresses(make_client):
    client = make_client(allow_image_url=True)
    cases = {
        "ftp://example.com/a.jpg": "http:// or https://",
        "file:///etc/passwd": "http:// or https://",
        "http://127.0.0.1:9/a.jpg": "non-public",
        "http://localhost/a.jpg": "non-public",
        "http://[::1]/a.jpg": "non-public",
        "http://169.254.169.254/latest/meta-data/": "non-public",
        "http://10.1.2.3/a.jpg": "non-public",
        "http://192.168.0.1/a.jpg": "non-public",
        "http://[::ffff:127.0.0.1]/a.jpg": "non-public",
    }
    for url, why in cases.items():
        r = client.post("/v1/predict", json={"image_url": url})
        assert r.status_code == 400 and why in detail(r), (url, r.text)


def test_image_url_checks_redirects_and_size(monkeypatch):
    """Every hop is resolved once, checked, and asked at the checked address; bodies are capped (a mock transport,
    no traffic)."""
    import asyncio

    import httpx

    from emopy.serve import fetch

    real = fetch.socket.getaddrinfo
    monkeypatch.setattr(
        fetch.socket,
        "getaddrinfo",
        lambda host, *a, **k: [(2, 1, 6, "", ("8.8.8.8", 80))] if host == "public.test" else real(host, *a, **k),
    )
    asked = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append((str(request.url), request.headers["host"], request.extensions.get("sni_hostname")))
        if request.url.path == "/hop":
            return httpx.Response(302, headers={"location": "http://127.0.0.1:1/secret"})
        if request.url.path == "/loop":
            return httpx.Response(302, headers={"location": "/loop"})
        if request.url.path == "/bad-location":
            return httpx.Response(302, headers={"location": "http://[::1"})
        return httpx.Response(200, content=b"x" * 2000)

    def get(url: str) -> bytes:
        return asyncio.run(
            fetch.fetch_image(url, max_bytes=1000, timeout=2, max_redirects=3, transport=httpx.MockTransport(handler))
        )

    with pytest.raises(fetch.FetchError, match="non-public"):
        get("http://public.test/hop")
    assert asked == [
        ("http://8.8.8.8/hop", "public.test", "public.test")
    ]  # the checked address; the loopback target never asked
    with pytest.raises(fetch.FetchError, match="redirected more than 3"):
        get("http://public.test/loop")
    with pytest.raises(fetch.FetchError, match="over the limit of 1000"):
        get("http://public.test/big")
    with pytest.raises(fetch.FetchError, match="Invalid URL in location"):  # 400, not 500
        get("http://public.test/bad-location")


def test_migrations_match_the_models(stored_client):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from emopy.serve.models import Base

    engine = stored_client.app.state.engine
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        if engine.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        else:
            assert engine.dialect.name == "postgresql" and engine.driver == "psycopg"
            assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == "0002"


def test_server_imports_no_torch():
    code = "import sys, emopy.serve.app, emopy.cli; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_missing_extra_names_the_install_line(cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    res = cli("serve")
    assert res.exit_code == 2 and "pip install 'emopy-fer[server]'" in res.output


def test_serve_refuses_a_bad_database_url(cli, monkeypatch):
    monkeypatch.setenv("EMOPY_DB", "unset-after-the-test")  # `emopy serve --db` writes EMOPY_DB for its workers
    res = cli("serve", "--db", "nosuchdb://x")
    assert res.exit_code == 2 and "nosuchdb" in res.output


def test_serve_device_runs_the_classifier_there(emopy_cmd, tmp_path):
    """`emopy serve --device cpu` serves predictions; a device this install lacks, by option or EMOPY_DEVICE,
    exits 2 with one line before the port is bound."""
    import httpx

    server = ServerProcess(
        emopy_cmd, f"sqlite:///{tmp_path / 'cpu.db'}", tmp_path / "cpu.log", extra=("--device", "cpu")
    )
    try:
        server.wait_ready()
        r = httpx.post(server.url + "/v1/predict", files={"image": ("face.jpg", face_jpeg(), "image/jpeg")})
        assert r.status_code == 200 and len(r.json()["faces"]) == 1, r.text
    finally:
        server.stop()
    device = missing_device()
    port = str(free_port())
    serve = [*emopy_cmd, "serve", "--port", port, "--db", f"sqlite:///{tmp_path / 'gpu.db'}"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMOPY_")}
    for args, extra_env in (([*serve, "--device", device], {}), (serve, {"EMOPY_DEVICE": device})):
        res = subprocess.run(args, capture_output=True, text=True, timeout=120, env={**env, **extra_env})
        assert_device_refused(res.returncode, res.stderr, device)
        assert len(res.stderr.strip().splitlines()) == 1 and port not in res.stderr, res.stderr
        assert not (tmp_path / "gpu.db").exists()  # refused before any work, the database included


def test_emopy_device_setting_reaches_the_predictor(tmp_path):
    """EMOPY_DEVICE (Settings.device) is where the lifespan's Predictor runs its classifier."""
    from fastapi.testclient import TestClient

    from emopy.errors import ConfigError
    from emopy.serve import Settings, create_app

    settings = Settings(db=f"sqlite:///{tmp_path / 'e.db'}", detector="haar", device="cpu")
    with TestClient(create_app(settings)) as client:
        fer = client.app.state.predictor.get(None)
        assert fer.classifier.session.get_providers() == ["CPUExecutionProvider"]
    with pytest.raises(ConfigError, match="not available in this onnxruntime install"):
        with TestClient(create_app(settings.model_copy(update={"device": missing_device()}))):
            pass


def test_emotion_orderings_are_views_of_one_classifier(predictor):
    """Any subset or order of emotions is a view of the model's one classifier: nothing is built per ordering."""
    import itertools

    import numpy as np

    from _predict_helpers import astronaut

    full = predictor.get(None, None)
    _, crops = full.locate(astronaut())
    probs = dict(zip(full.emotions, full.classify(crops)[0]))
    for order in itertools.islice(itertools.permutations(["happiness", "sadness", "anger", "neutral", "fear"]), 30):
        view = predictor.get(None, list(order))
        assert view.classifier is full.classifier and view.detector is full.detector and view.emotions == order
        total = sum(probs[e] for e in order)
        assert np.allclose(view.classify(crops)[0], [probs[e] / total for e in order], atol=1e-6)
    assert (
        predictor.get(full.classifier.card.name, "happy,sad").classifier is full.classifier
    )  # a name and its alias: one file
    assert predictor.get("fer2013", None).classifier is predictor.get("fer2013", "calm,fear").classifier


def test_requests_hold_a_budget_slot_from_decoding_to_answer():
    """At most EMOPY_MAX_DECODES requests hold an image at once (decoded in child processes, one per slot), however
    many arrive."""
    import asyncio

    from emopy.serve import Settings, inference

    running, peak, lock = 0, 0, threading.Lock()
    pair = threading.Barrier(2)  # each answer waits for a second one to be running beside it (both slots taken)

    def answer(image) -> tuple:  # detection, annotation and the answer's body, all within the slot
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        pair.wait(timeout=60)
        with lock:
            running -= 1
        return image.shape

    async def requests() -> list:
        return await asyncio.gather(*(decoder.run(face_jpeg(), answer) for _ in range(16)))

    decoder = inference.Decoder(Settings(max_decodes=2))
    try:
        assert asyncio.run(requests()) == [(512, 512, 3)] * 16
        assert peak == 2 and len(decoder._idle) == 2
    finally:
        decoder.close()


def test_upgrade_keeps_feedback_and_drops_stored_uploads(make_client, tmp_path):
    """A database written before migration 0002 (uploads kept byte for byte) upgrades: crops and labels stay,
    uploads go."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import inspect

    from emopy.serve.db import MIGRATIONS, make_engine

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        conn.exec_driver_sql(
            "INSERT INTO images VALUES ('a' , '2026-01-01 00:00:00', 'm', 10, 10, ?)", (b"RAW-UPLOAD-WITH-EXIF",)
        )
        conn.exec_driver_sql(
            """INSERT INTO faces VALUES (1, 'a', 0, '[0,0,5,5]', '{"happiness": 1.0}', ?)""", (b"\x89PNG crop",)
        )
        conn.exec_driver_sql("INSERT INTO feedback VALUES (1, 1, 'happiness', '2026-01-01 00:00:00')")
    engine.dispose()
    client = make_client(db=url, api_key="s3cret")
    with zipfile.ZipFile(io.BytesIO(client.get("/v1/feedback", headers=KEY).content)) as zf:
        assert zf.read("happiness/1.png") == b"\x89PNG crop"
    assert "data" not in {c["name"] for c in inspect(client.app.state.engine).get_columns("images")}
