"""The one place where failures become HTTP responses.

Every error leaves the API as ``{"error": {"code", "message", "details"}}`` with the status
the registry error names (:mod:`registry.errors`); validation errors, unknown routes and
anything unexpected get the same shape.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Route

from registry.errors import ContractRejection, RegistryError

log = logging.getLogger("api")

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def error_response(
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """The error body every failure shares."""
    body = {"error": {"code": code, "message": message, "details": _jsonable(details or {})}}
    return JSONResponse(body, status_code=status, headers=headers)


def registry_error_response(exc: RegistryError) -> JSONResponse:
    details = dict(exc.details)
    if isinstance(exc, ContractRejection) and exc.error_name:
        details.setdefault("reason", exc.error_name)
        details.setdefault("arguments", getattr(exc, "arguments", {}))
    headers: dict[str, str] = {}
    if exc.status == 429:
        headers["Retry-After"] = str(max(1, math.ceil(float(details.get("retry_after", 1)))))
    if exc.status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return error_response(exc.status, exc.code, exc.message, details, headers)


async def _on_registry_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RegistryError)
    if exc.status >= 500 and exc.status != 503:
        log.error("%s %s failed: %s", request.method, request.url.path, exc.message)
    return registry_error_response(exc)


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [
        {
            "location": [str(p) for p in e.get("loc", ())],
            "message": e.get("msg", ""),
            "type": e.get("type", ""),
        }
        for e in exc.errors()
    ]
    first = problems[0] if problems else {"location": [], "message": "invalid request"}
    where = ".".join(first["location"][1:]) or "request"
    return error_response(
        422, "invalid_request", f"{where}: {first['message']}", {"problems": problems}
    )


class AllowedMethods:
    """Which methods the app serves at each path, over all its routes.

    Starlette's 405 names only the methods of the first route matching the path; a path that
    several routes share (``GET`` and ``POST /participants``) has them all.
    """

    def __init__(self, routes: Iterable[BaseRoute]) -> None:
        self._routes = [
            (r.path_regex, frozenset(r.methods))
            for r in routes
            if isinstance(r, Route) and r.methods
        ]

    def at(self, request: Request) -> list[str]:
        path = request.url.path.removeprefix(request.scope.get("root_path", ""))
        return sorted({m for regex, methods in self._routes if regex.match(path) for m in methods})


def _http_error_handler(allowed: AllowedMethods) -> Any:
    async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        headers = dict(exc.headers or {})
        if exc.status_code == 404 and exc.detail == "Not Found":
            message = f"no such endpoint: {request.method} {request.url.path}"
        elif exc.status_code == 405:
            methods = allowed.at(request)
            headers["Allow"] = ", ".join(methods)
            message = f"{request.method} is not allowed on {request.url.path}: "
            message += f"use {' or '.join(methods)}"
        else:
            message = str(exc.detail)
        return error_response(exc.status_code, code, message, headers=headers)

    return on_http_error


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("%s %s failed unexpectedly", request.method, request.url.path)
    return error_response(500, "internal_error", "the server failed to answer this request")


def install_error_handlers(app: FastAPI, routes: Iterable[BaseRoute]) -> None:
    """Routes every failure through the shared error shape (``routes``: all the app serves,
    for the ``Allow`` header of a 405)."""
    app.add_exception_handler(RegistryError, _on_registry_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error_handler(AllowedMethods(routes)))
    app.add_exception_handler(Exception, _on_unexpected)
