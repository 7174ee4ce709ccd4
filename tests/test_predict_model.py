"""FERModel: emotion subsets and aliases, every input type, several faces, no face, bad inputs."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from _predict_helpers import (
    FACE_BOX,
    assert_device_refused,
    astronaut,
    compose,
    encode,
    face_patch,
    inside,
    missing_device,
    png_claiming,
    webp_claiming,
)
from emopy.errors import ImageDecodeError, ModelFileError, UnknownEmotionError
from emopy.predict import Face, FERModel


@pytest.fixture(scope="module")
def model() -> FERModel:
    return FERModel(threads=1)


def test_subset_with_aliases_keeps_order_and_sums_to_one(model):
    sub = FERModel(["calm", "anger", "happiness"], threads=1)
    assert sub.emotions == ("neutral", "anger", "happiness")
    faces = sub.predict(astronaut())
    assert len(faces) == 1
    probs = faces[0].emotions
    assert list(probs) == ["neutral", "anger", "happiness"]
    assert sum(probs.values()) == pytest.approx(1.0, abs=1e-5)
    assert faces[0].dominant == max(probs, key=probs.get)
    # renormalised: the same ratios as in the full model's output
    full = model.predict(astronaut())[0].emotions
    total = sum(full[e] for e in probs)
    for e in probs:
        assert probs[e] == pytest.approx(full[e] / total, abs=1e-4)


def test_subset_as_comma_string_and_other_model():
    m = FERModel("happy,sad", model="fer2013", threads=1)
    assert m.emotions == ("happiness", "sadness")
    p = m.predict_proba(np.zeros((2, 48, 48), np.uint8))
    assert p.shape == (2, 2) and np.allclose(p.sum(1), 1)


def test_unknown_or_missing_emotion_names_the_problem():
    with pytest.raises(UnknownEmotionError, match="valid names"):
        FERModel(["joyful"])
    with pytest.raises(UnknownEmotionError, match="not available"):
        FERModel(["contempt"], model="fer2013")


def _same(a: list[Face], b: list[Face], tol: float = 1e-4) -> None:
    assert len(a) == len(b) == 1
    assert np.abs(np.subtract(a[0].box, b[0].box)).max() <= 2
    for e in a[0].emotions:
        assert a[0].emotions[e] == pytest.approx(b[0].emotions[e], abs=tol)


def test_every_input_type_gives_the_same_face(model, tmp_path):
    from PIL import Image

    bgr = astronaut()
    ref = model.predict(bgr)
    path = tmp_path / "a.png"
    path.write_bytes(encode(bgr))
    _same(model.predict(str(path)), ref)
    _same(model.predict(path), ref)
    _same(model.predict(encode(bgr)), ref)
    _same(model.predict(bytearray(encode(bgr))), ref)
    rgb = np.ascontiguousarray(bgr[:, :, ::-1])
    _same(model.predict(rgb, channels="rgb"), ref)
    _same(model.predict(Image.fromarray(rgb)), ref)
    rgba = np.dstack([bgr, np.full(bgr.shape[:2], 255, np.uint8)])
    _same(model.predict(rgba), ref)
    _same(model.predict(bgr.astype(np.float32) / 255), ref, tol=0.02)
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    assert len(model.predict(gray)) == 1
    assert len(model.predict(Image.fromarray(gray))) == 1
    assert len(model.predict(gray[:, :, None])) == 1


def test_list_input_is_batched_in_order(model, tmp_path):
    bgr = astronaut()
    path = tmp_path / "a.jpg"
    path.write_bytes(encode(bgr, ".jpg"))
    out = model.predict([bgr, np.full((100, 100, 3), 128, np.uint8), str(path)])
    assert [len(f) for f in out] == [1, 0, 1]
    assert model.predict([]) == []
    assert [len(f) for f in model.predict(iter([bgr]))] == [1]


def test_no_detect_treats_inputs_as_face_crops(model):
    x, y, w, h = FACE_BOX
    crop = astronaut()[y : y + h, x : x + w]
    faces = model.predict(crop, detect=False)
    assert len(faces) == 1 and faces[0].box == (0, 0, w, h) and faces[0].score is None
    assert sum(faces[0].emotions.values()) == pytest.approx(1.0, abs=1e-5)
    # the gray 48x48 crop path equals predict_proba on the same crop
    g = cv2.resize(cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY), (48, 48), interpolation=cv2.INTER_AREA)
    p = model.predict_proba(g[None])[0]
    assert np.allclose(p, list(model.predict(g, detect=False)[0].emotions.values()), atol=1e-5)


def test_several_faces_in_one_image(model):
    frame, rects = compose(3)
    faces = model.predict(frame)
    assert len(faces) == 3
    for rect in rects:
        assert sum(inside(f.box, rect) for f in faces) == 1
    for f in faces:
        assert f.score > 0.5 and sum(f.emotions.values()) == pytest.approx(1.0, abs=1e-5)


def test_no_face_is_an_empty_list(model):
    assert model.predict(np.full((480, 640, 3), 127, np.uint8)) == []
    noise = np.random.default_rng(0).integers(0, 256, (240, 320), dtype=np.uint8)
    assert model.predict(noise) == []
    assert model.predict(np.zeros((1, 1), np.uint8)) == []


def test_face_row_is_plain_json(model):
    d = model.predict(face_patch())[0].to_row(3)
    assert set(d) == {"face", "box", "score", "emotions", "dominant", "landmarks"} and d["face"] == 3
    assert json.loads(json.dumps(d)) == d
    assert len(d["box"]) == 4 and all(isinstance(v, int) for v in d["box"])


@pytest.mark.parametrize(
    "data, match",
    [
        (b"", "empty"),
        (b"this is not an image at all", "not a readable image"),
        ("truncated_png", "truncated PNG"),
        ("truncated_jpg", "truncated JPEG"),
        ("bomb", "over the limit"),
        ("webp_bomb", "over the limit"),
    ],
)
def test_bad_bytes_raise_a_named_error(model, data, match):
    if data == "truncated_png":
        data = encode(astronaut())[:5000]
    elif data == "truncated_jpg":
        data = encode(astronaut(), ".jpg")[:5000]
    elif data == "bomb":
        data = png_claiming(100_000, 100_000)
    elif data == "webp_bomb":
        data = webp_claiming(16_000, 16_000)
    with pytest.raises(ImageDecodeError, match=match):
        model.predict(data)


def test_bad_paths_and_arrays_raise(model, tmp_path):
    with pytest.raises(ImageDecodeError, match="cannot read"):
        model.predict(tmp_path / "missing.png")
    with pytest.raises(ImageDecodeError, match="cannot read"):
        model.predict(tmp_path)  # a folder is not an image file
    with pytest.raises(ImageDecodeError, match="not an image"):
        model.predict(np.zeros((10, 10, 2), np.uint8))
    with pytest.raises(ImageDecodeError, match="no pixels"):
        model.predict(np.zeros((0, 10), np.uint8))
    with pytest.raises(ImageDecodeError, match="NaN"):
        model.predict(np.full((10, 10), np.nan, np.float32))
    with pytest.raises(TypeError, match="cannot read an image from int"):
        model.predict(42)
    with pytest.raises(ValueError, match="channels"):
        model.predict(astronaut(), channels="hsv")


def test_a_folder_named_like_a_shipped_model_does_not_shadow_it(tmp_path, monkeypatch):
    from emopy.cards import resolve_model

    monkeypatch.chdir(tmp_path)
    (tmp_path / "ferplus").mkdir()
    assert resolve_model("ferplus").name == "vgg_wide.ferplus.int8.onnx"
    assert FERModel(model="ferplus").classifier.card.name == "vgg_wide.ferplus.int8"
    with pytest.raises(ModelFileError, match="no such model file"):
        resolve_model("./ferplus")  # written as a path, it is the folder, which is not a model


def test_execution_providers_are_chosen_by_name_and_missing_ones_named():
    import onnxruntime as ort

    from emopy.errors import ConfigError

    fer = FERModel(providers="cpu")
    assert fer.classifier.session.get_providers() == ["CPUExecutionProvider"]
    assert FERModel(providers=["CPUExecutionProvider"]).predict(astronaut())[0].dominant == "happiness"
    missing = next(
        n
        for n in ("cuda", "coreml", "directml")
        if {"cuda": "CUDAExecutionProvider", "coreml": "CoreMLExecutionProvider", "directml": "DmlExecutionProvider"}[n]
        not in ort.get_available_providers()
    )
    with pytest.raises(ConfigError, match=r"not available in this onnxruntime install; available: .*cpu"):
        FERModel(providers=missing)


def test_device_option_of_the_cli(cli):
    assert cli("predict", "--example", "--device", "cpu").exit_code == 0
    res = cli("predict", "--example", "--device", "no-such-device")
    assert (
        res.exit_code == 2
        and "no-such-device is not available" in res.output
        and "cpu (CPUExecutionProvider)" in res.output
    )


def test_bench_device(cli):
    res = cli("bench", "--device", "cpu", "--seconds", 0.05, "--json")
    assert res.exit_code == 0 and json.loads(res.output)["providers"] == ["CPUExecutionProvider"], res.output
    device = missing_device()
    res = cli("bench", "--device", device, "--seconds", 0.05)
    assert_device_refused(res.exit_code, res.output, device)
