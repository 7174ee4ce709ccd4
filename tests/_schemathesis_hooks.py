"""Schemathesis hooks of the contract test: the API's image fields get real images, which no schema can describe.

`st run` loads this file through SCHEMATHESIS_HOOKS; everything else it generates from the OpenAPI document alone.
"""

from __future__ import annotations

import base64
from pathlib import Path

import cv2
import numpy as np
import schemathesis
from hypothesis import strategies as st

ASTRONAUT = Path(__file__).resolve().parents[1] / "src" / "emopy" / "assets" / "astronaut.jpg"
IMAGES = st.sampled_from(
    [
        ASTRONAUT.read_bytes(),  # one face: emotions, crops, annotation and storing all do their work
        cv2.imencode(".png", np.full((1, 1, 3), 127, np.uint8))[1].tobytes(),  # no face
        cv2.imencode(".webp", np.full((40, 30), 200, np.uint8))[1].tobytes(),
    ]
)
schemathesis.openapi.format("binary", IMAGES)  # the multipart upload
schemathesis.openapi.format("byte", IMAGES.map(lambda data: base64.b64encode(data).decode()))  # image_base64
