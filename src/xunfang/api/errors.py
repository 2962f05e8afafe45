"""Map errors to HTTP once: xunfang errors by their class, validation errors to 422 naming fields.

Validation errors never echo the submitted value (it may be a caller's name or phone).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from xunfang.core.errors import XunfangError
from xunfang.store.users import AuthFailed


def _loc(loc: Any) -> list[str | int]:
    return [x if isinstance(x, int) else str(x) for x in loc]


async def _xunfang(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, XunfangError)
    body: dict[str, Any] = {"detail": exc.message, "error": type(exc).__name__}
    if exc.field:
        body["field"] = exc.field
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, AuthFailed) else None
    return JSONResponse(body, status_code=exc.http_status, headers=headers)


async def _validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    items = [
        {"loc": _loc(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
        for e in exc.errors()
    ]
    fields = ", ".join(".".join(str(p) for p in i["loc"][1:] or i["loc"]) for i in items)
    return JSONResponse({"detail": items, "error": "InvalidInput", "field": fields}, status_code=422)


async def _http(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)


def install(app: FastAPI) -> None:
    app.add_exception_handler(XunfangError, _xunfang)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
