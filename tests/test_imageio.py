"""The shared decoder (Python API, `emopy predict`, `emopy batch`, server): sizes from the header of every format
before any pixel is decoded, OpenCV's own cap behind that, trailing bytes after a complete image accepted."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from _image_helpers import claiming, scan_bomb, tiff_bomb, with_trailer
from _predict_helpers import ASTRONAUT, astronaut, encode
from emopy import imageio
from emopy.errors import ImageDecodeError

FORMATS = ["PNG", "JPEG", "GIF", "BMP", "WEBP", "PPM"]


@pytest.fixture()
def no_decoding(monkeypatch):
    """Make any pixel decoding fail the test: limits must be enforced from the header alone."""

    def decoded(*_a, **_k):
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(imageio.cv2, "imdecode", decoded)


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_is_refused_from_its_header(fmt, no_decoding):
    with pytest.raises(ImageDecodeError, match=r"9000x8000 pixels, over the limit of 50000000"):
        imageio.decode_image(claiming(fmt, 9000, 8000))


def test_tiff_bomb_is_refused_from_its_header(no_decoding):
    data = tiff_bomb()
    assert len(data) < 300_000
    with pytest.raises(ImageDecodeError, match=r"12000x12000 pixels, over the limit"):
        imageio.decode_image(data)


def test_formats_whose_size_cannot_be_read_are_refused():
    ok, hdr = cv2.imencode(
        ".hdr", np.zeros((8, 8, 3), np.float32)
    )  # Radiance HDR: OpenCV decodes it, its header is not read
    assert ok and cv2.imdecode(hdr, cv2.IMREAD_COLOR) is not None
    with pytest.raises(ImageDecodeError, match="not a readable image .*accepted: JPEG, PNG"):
        imageio.decode_image(hdr.tobytes())


def test_one_pixel_limit_for_cli_and_server(monkeypatch):
    from emopy.pixels import DEFAULT_MAX_PIXELS
    from emopy.serve.settings import Settings

    monkeypatch.delenv("EMOPY_MAX_PIXELS", raising=False)
    assert imageio.MAX_PIXELS == Settings().max_pixels == DEFAULT_MAX_PIXELS


@pytest.mark.parametrize(
    "ext, params",
    [(".jpg", []), (".jpg", [cv2.IMWRITE_JPEG_PROGRESSIVE, 1, cv2.IMWRITE_JPEG_RST_INTERVAL, 2]), (".png", [])],
)
def test_trailing_bytes_after_a_complete_image_are_accepted(ext, params):
    ok, buf = cv2.imencode(ext, astronaut(), params)
    data = buf.tobytes()
    assert np.array_equal(imageio.decode_image(with_trailer(data)), imageio.decode_image(data))
    with pytest.raises(ImageDecodeError, match="truncated"):  # a cut image is still refused
        imageio.decode_image(data[: len(data) * 2 // 3])


def test_jpeg_with_an_exif_thumbnail_cut_short_is_refused():
    from _image_helpers import exif_jpeg

    data = exif_jpeg("thumbnail")
    assert imageio.decode_image(data).shape == (512, 512, 3)
    with pytest.raises(ImageDecodeError, match="truncated JPEG"):
        imageio.decode_image(data[:-2])


def test_cli_predict_and_batch_accept_motion_photos(tmp_path):
    from emopy.batch import ResultStore
    from emopy.cli import app

    motion = tmp_path / "in" / "motion.jpg"
    motion.parent.mkdir()
    motion.write_bytes(with_trailer(ASTRONAUT.read_bytes()))
    (tmp_path / "in" / "cut.png").write_bytes(encode(astronaut())[:3000])
    runner = CliRunner()
    r = runner.invoke(app, ["predict", str(motion), "--json"])
    out = json.loads(r.stdout[r.stdout.index("[") :])
    assert r.exit_code == 0 and out[0]["error"] is None and len(out[0]["faces"]) == 1, r.output
    r = runner.invoke(app, ["batch", str(motion.parent), "--out", str(tmp_path / "rows.jsonl")])
    assert r.exit_code == 0, r.output
    rows = {os.path.basename(row["source"]): row for row in ResultStore(tmp_path / "rows.jsonl", []).read()}
    assert rows["motion.jpg"]["error"] is None and rows["motion.jpg"]["face"] == 0
    assert "truncated PNG" in rows["cut.png"]["error"]


def test_opencv_pixel_cap_is_set_before_cv2_loads():
    """OpenCV reads OPENCV_IO_MAX_IMAGE_PIXELS once, at import: importing emopy first must have set it from
    EMOPY_MAX_PIXELS."""
    code = (
        "import emopy, cv2, numpy as np\n"
        "data = cv2.imencode('.png', np.zeros((1100, 1000), np.uint8))[1]\n"
        "try:\n    print(cv2.imdecode(data, 0).shape)\nexcept cv2.error:\n    print('refused')\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("EMOPY_MAX_PIXELS", "OPENCV_IO_MAX_IMAGE_PIXELS")}
    capped = subprocess.run(
        [sys.executable, "-c", code], env={**env, "EMOPY_MAX_PIXELS": "1000000"}, capture_output=True, text=True
    )
    default = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert capped.stdout.strip() == "refused", capped.stderr
    assert default.stdout.strip() == "(1100, 1000)", default.stderr


def test_jpeg_scan_bombs_are_refused_from_their_markers(no_decoding):
    """Progressive JPEGs of thousands of empty scans take minutes to decode: over 500 scans, none is decoded."""
    with pytest.raises(ImageDecodeError, match="JPEG has 501 scans, over the limit of 500"):
        imageio.decode_image(scan_bomb(501, size=64))


def test_jpegs_up_to_the_scan_limit_decode():
    assert imageio.decode_image(scan_bomb(500, size=64)).shape == (64, 64, 3)
