"""Annotated images: each label's filled box holds its text as drawn, and stays inside the image at its borders."""

from __future__ import annotations

import numpy as np
import pytest

from emopy.predict import Face
from emopy.predict.annotate import annotate

SIZES = [(48, 48), (120, 90), (480, 640), (1080, 1920)]  # (height, width)
LABELS = [("fear", 0.07), ("happiness", 1.0), ("contempt", 0.5)]  # the shortest and the longest texts


def _placements(height: int, width: int):
    """Faces of several sizes in the corners and the middle of the image."""
    for w in (16, 48, 100, 300, 900):
        if w <= min(height, width):
            for x, y in [(0, 0), (width - w, 0), (0, height - w), (width - w, height - w)]:
                yield x, y, w
            yield (width - w) // 2, (height - w) // 2, w


@pytest.mark.parametrize("height, width", SIZES)
def test_label_text_stays_inside_its_box_and_the_image(height, width):
    """Drawn on white: black text over the orange box blends to blue 0, over white it would be grey. Every inked
    pixel keeps a margin from the image's edges, so no box was cut off there."""
    for x, y, w in _placements(height, width):
        for emotion, p in LABELS:
            face = Face((x, y, w, w), 0.9, {emotion: p}, emotion)
            out = annotate(np.full((height, width, 3), 255, np.uint8), [face])
            white = (out == 255).all(axis=-1)
            assert not ((out[..., 0] > 0) & ~white).any(), f"text outside its box: {face.box} in {width}x{height}"
            ys, xs = np.nonzero(out[..., 2] < 255)  # text: the only pixels with less than full red
            assert len(ys), f"no label drawn for {face.box} in {width}x{height}"
            assert 0 < ys.min() and ys.max() < height - 1 and 0 < xs.min() and xs.max() < width - 1, face.box


def test_grey_images_are_annotated_in_colour():
    out = annotate(np.full((100, 100), 128, np.uint8), [Face((20, 40, 50, 50), None, {"fear": 0.5}, "fear")])
    assert out.shape == (100, 100, 3) and (out == (0, 200, 255)).all(axis=-1).any()
