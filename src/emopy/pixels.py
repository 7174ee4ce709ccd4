"""The one pixel limit of every decoder (Python API, CLI, batch, server) and OpenCV's own cap, set from it.

Imported first by `emopy/__init__.py`: OpenCV reads OPENCV_IO_MAX_IMAGE_PIXELS once, when cv2 is loaded,
so the variable must be in the environment before anything imports cv2.
"""

from __future__ import annotations

import os

DEFAULT_MAX_PIXELS = 50_000_000  # a 48 MP phone photo fits; ~150 MB once decoded to BGR
MAX_PIXELS = int(os.environ.get("EMOPY_MAX_PIXELS", DEFAULT_MAX_PIXELS))

os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", str(MAX_PIXELS))  # the second fence, behind the header check
