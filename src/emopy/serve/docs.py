"""The API docs, /docs (Swagger UI) and /redoc (ReDoc), with their scripts and styles served by this server.

FastAPI's own pages load them from a CDN: blank offline, and outside the server's Content-Security-Policy. The files
come from the fastapi-offline package; each page allows its own inline script by hash, nothing else inline.
"""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from .headers import content_security_policy

ASSETS = "/docs-assets"
INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def _with_policy(page: HTMLResponse) -> HTMLResponse:
    """`page` with a policy allowing exactly its inline scripts (Swagger UI is started by one)."""
    hashes = [base64.b64encode(hashlib.sha256(s).digest()).decode() for s in INLINE_SCRIPT.findall(page.body)]
    page.headers["Content-Security-Policy"] = content_security_policy(hashes, inline_styles=True)
    return page


def add_docs(app: FastAPI) -> None:
    """Serve /docs, /redoc and their files on `app` (created with docs_url=None, redoc_url=None)."""
    app.mount(ASSETS, StaticFiles(packages=[("fastapi_offline", "static")]), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return _with_policy(
            get_swagger_ui_html(
                openapi_url=f"{root}{app.openapi_url}",
                title=f"{app.title} - Swagger UI",
                swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js",
                swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
                swagger_favicon_url=f"{root}{ASSETS}/favicon.png",
                oauth2_redirect_url=None,
            )
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return _with_policy(
            get_redoc_html(
                openapi_url=f"{root}{app.openapi_url}",
                title=f"{app.title} - ReDoc",
                redoc_js_url=f"{root}{ASSETS}/redoc.standalone.js",
                redoc_favicon_url=f"{root}{ASSETS}/favicon.png",
                with_google_fonts=False,
            )
        )
