"""The emopy web service: a FastAPI app over `FERModel`, with stored feedback and a webcam web app.

Needs the `server` extra (`pip install 'emopy-fer[server]'`); `emopy serve` runs it under uvicorn.
"""

from __future__ import annotations

from ..errors import require

require("fastapi", "server")

from .app import create_app  # noqa: E402
from .settings import Settings, get_settings  # noqa: E402

__all__ = ["Settings", "create_app", "get_settings"]
