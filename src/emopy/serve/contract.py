"""The API contract: every status code each operation can answer, each error as one body shape (ErrorOut).

Routers name the errors only they raise (`errors(404)`); `document` adds those any request can meet, so the OpenAPI
document that generated clients and fuzzers read tells the whole truth.
"""

from __future__ import annotations

from collections.abc import Iterable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from starlette.routing import Match, Mount

from .schemas import ErrorOut

REF = "#/components/schemas/{model}"
ERRORS = {
    400: "Malformed request: a Host name the server does not accept (text/plain), a bad request head or "
    "Content-Length, a body that cannot be parsed, or an image that cannot be read or fetched.",
    401: "The X-API-Key header is missing (EMOPY_API_KEY is set on the server).",
    403: "Not allowed here: closed on this server (no EMOPY_API_KEY set), a wrong X-API-Key, or input the server "
    "turns off (image_url).",
    404: "No such image, face, story or story media file.",
    408: "The request head (EMOPY_HEAD_TIMEOUT_S; text/plain) or body (EMOPY_BODY_TIMEOUT_S) did not arrive in time.",
    413: "The request body or the image is over the server's limit.",
    415: "The body's Content-Type is not one this operation reads.",
    422: "A field is refused: `errors` lists each field's problem when the request body failed validation.",
    503: "The server is at its connection cap (EMOPY_MAX_CONNECTIONS; text/plain) or cannot do this right now.",
}
PLAIN = {400, 408, 503}  # also answered as text, by the Host check and by the server before the app runs
ANY_REQUEST = (400, 408, 413, 503)  # the Host check, the head's deadline, Content-Length and the connection cap
WITH_BODY = (422,)  # validating a body
WITH_KEY = (401, 403)  # operations behind the X-API-Key guard
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def errors(*codes: int) -> dict[int | str, dict]:
    """FastAPI `responses` documenting `codes` as ErrorOut answers."""
    return {code: _response(code) for code in codes}


def _response(code: int) -> dict:
    """One documented error answer: ErrorOut as JSON (also plain text for the answers given before the app)."""
    content = {"application/json": {"schema": {"$ref": REF.format(model="ErrorOut")}}}
    if code in PLAIN:
        content["text/plain"] = {"schema": {"type": "string"}}
    return {"description": ERRORS.get(code) or HTTPStatus(code).phrase, "content": content}


def document(app: FastAPI, body_codes: Iterable[int]) -> None:
    """Make `app.openapi()` list every status each operation answers: `body_codes` (the app's error map) go to
    those with a body; FastAPI's 422 body, a list the server never sends, becomes ErrorOut."""
    build, body_codes = app.openapi, sorted(set(body_codes))

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        spec = build()  # FastAPI keeps it as app.openapi_schema
        _complete(spec, body_codes)
        return spec

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI documents this way to extend the schema


def _complete(spec: dict, body_codes: list[int]) -> None:
    """Add the error answers any request, body or key can meet to every operation of `spec`, in place."""
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    error = ErrorOut.model_json_schema(ref_template=REF)
    schemas.update(error.pop("$defs", {}), ErrorOut=error)
    fastapi_422 = {"$ref": REF.format(model="HTTPValidationError")}
    for operations in spec["paths"].values():
        for op in operations.values():
            responses = op["responses"]
            if responses.get("422", {}).get("content", {}).get("application/json", {}).get("schema") == fastapi_422:
                responses["422"] = _response(422)  # a parameter or body FastAPI validates
            codes = [
                *ANY_REQUEST,
                *((*WITH_BODY, *body_codes) if "requestBody" in op else ()),
                *(WITH_KEY if "security" in op else ()),
            ]
            for code in sorted(set(codes)):
                responses.setdefault(str(code), _response(code))


def method_not_allowed(request: Request) -> HTTPException | None:
    """A 405 naming in Allow every method the API has for this path, when it has some but not this one (the
    static files mounted at / would answer 404, or 405 with their own GET, HEAD; a route, with its own methods)."""
    routes = [route for route in request.app.routes if not isinstance(route, Mount)]

    def routed(method: str) -> bool:
        return any(route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes)

    allowed = [method for method in METHODS if routed(method)]
    if not allowed or routed(request.method):
        return None
    return HTTPException(
        405, f"{request.method} is not allowed here; use {', '.join(allowed)}", {"Allow": ", ".join(allowed)}
    )
