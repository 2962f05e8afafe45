"""Map errors to HTTP once: xunfang errors by their class, validation errors to 422 naming fields.

Validation errors never echo the submitted value (it may be a caller's name or phone).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from xunfang.core.errors import Unavailable, XunfangError
from xunfang.store.users import AuthFailed, Throttled

RETRY_AFTER_S = 2
_log = logging.getLogger("xunfang.api")


def _loc(loc: Any) -> list[str | int]:
    return [x if isinstance(x, int) else str(x) for x in loc]


async def _xunfang(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, XunfangError)
    body: dict[str, Any] = {"detail": exc.message, "error": type(exc).__name__}
    if exc.field:
        body["field"] = exc.field
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, AuthFailed) else None
    if isinstance(exc, Unavailable):
        headers = {"Retry-After": str(RETRY_AFTER_S)}
    if isinstance(exc, Throttled):
        headers = {"Retry-After": str(exc.retry_after)}
    return JSONResponse(body, status_code=exc.http_status, headers=headers)


async def _database(_request: Request, exc: Exception) -> JSONResponse:
    """The database is down, restarting, out of space or read-only: 503 + Retry-After, never a 500.

    Nothing was committed (the transaction failed), so the client may retry with its idempotency
    key. Neither the body nor the log line carries the driver's message: it can quote the SQL
    parameters, i.e. a caller's name or phone.
    """
    assert isinstance(exc, DBAPIError | PoolTimeout)
    orig = getattr(exc, "orig", None)
    _log.warning("database unavailable: %s/%s", type(exc).__name__, type(orig).__name__)
    what = (
        "the database is read-only at the moment (reads still work)"
        if _is_read_only(orig)
        else "the database is temporarily unavailable (restarting, full or read-only)"
    )
    body = {
        "detail": f"{what}; nothing was saved, retry with the same Idempotency-Key",
        "error": "Unavailable",
    }
    return JSONResponse(body, status_code=503, headers={"Retry-After": str(RETRY_AFTER_S)})


async def _dbapi(request: Request, exc: Exception) -> JSONResponse:
    """Other driver errors: connection loss becomes 503; anything else stays a (quiet) 500."""
    assert isinstance(exc, DBAPIError)
    if exc.connection_invalidated or _looks_unavailable(exc):
        return await _database(request, exc)
    _log.error("database error: %s/%s", type(exc).__name__, type(exc.orig).__name__)
    return JSONResponse({"detail": "internal database error", "error": "Internal"}, status_code=500)


def _looks_unavailable(exc: DBAPIError) -> bool:
    name = type(exc.orig).__name__
    unavailable = {"AdminShutdown", "OperationalError", "InterfaceError", "ConnectionFailure"}
    return name in unavailable or _is_read_only(exc.orig)


def _is_read_only(orig: object) -> bool:
    """PostgreSQL in a read-only transaction (default_transaction_read_only, a hot standby: SQLSTATE
    25006) or SQLite on a read-only file; the write was refused whole, so a retry is safe."""
    return getattr(orig, "sqlstate", None) == "25006" or "readonly database" in str(orig)


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
    for cls in (OperationalError, InterfaceError, PoolTimeout):
        app.add_exception_handler(cls, _database)
    app.add_exception_handler(DBAPIError, _dbapi)
