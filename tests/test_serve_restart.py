"""A real `emopy serve` (uvicorn, 2 workers; SQLite in WAL mode, then PostgreSQL): concurrent writes survive
SIGKILL and restart."""

from __future__ import annotations

import csv
import io
import zipfile
from concurrent.futures import ThreadPoolExecutor

import pytest

pytest.importorskip("uvicorn", reason="the server extra is not installed: pip install 'emopy-fer[server]'")

import httpx  # noqa: E402

from _serve_helpers import ServerProcess, face_jpeg  # noqa: E402

EMOTIONS = ["happiness", "sadness", "anger", "fear"]


def _predict_and_feedback(url: str, i: int) -> tuple[int, str]:
    with httpx.Client(base_url=url, timeout=60) as c:
        r = c.post("/v1/predict", files={"image": ("f.jpg", face_jpeg(), "image/jpeg")}, data={"store": "true"})
        r.raise_for_status()
        emotion = EMOTIONS[i % len(EMOTIONS)]
        fb = c.post("/v1/feedback", json={"image_id": r.json()["image_id"], "face": 0, "emotion": emotion})
        assert fb.status_code == 201, fb.text
        return fb.json()["id"], emotion


def test_acknowledged_feedback_survives_kill_and_restart(tmp_path, emopy_cmd, db_url):
    db = db_url
    server = ServerProcess(emopy_cmd, db, tmp_path / "server.log", workers=2)
    try:
        server.wait_ready()
        with ThreadPoolExecutor(4) as pool:
            acked = dict(pool.map(lambda i: _predict_and_feedback(server.url, i), range(8)))
        bad = httpx.post(server.url + "/v1/predict", files={"image": ("x.jpg", b"junk", "image/jpeg")}, timeout=30)
        assert bad.status_code == 400
    finally:
        server.kill()  # SIGKILL: no shutdown handler, no checkpoint
    assert len(acked) == 8

    again = ServerProcess(emopy_cmd, db, tmp_path / "server.log", env={"EMOPY_API_KEY": "s3cret"})
    try:
        again.wait_ready()
        export = httpx.get(again.url + "/v1/feedback", headers={"X-API-Key": "s3cret"}, timeout=30)
    finally:
        again.stop()
    assert export.status_code == 200
    with zipfile.ZipFile(io.BytesIO(export.content)) as zf:
        rows = list(csv.DictReader(io.StringIO(zf.read("feedback.csv").decode())))
        pngs = [n for n in zf.namelist() if n.endswith(".png")]
    assert {int(r["feedback_id"]): r["emotion"] for r in rows} == acked
    assert sorted(pngs) == sorted(f"{e}/{i}.png" for i, e in acked.items())
