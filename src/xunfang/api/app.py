"""The FastAPI application factory for the live command service."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import APIRouter, FastAPI

from xunfang import __version__
from xunfang.api import errors
from xunfang.api.context import ServiceContext
from xunfang.api.limits import BodyLimit
from xunfang.api.monitor import watch
from xunfang.api.routers import auth, coverage, dispatch, incidents, live, units

PREFIX = "/api/v1"


def create_app(ctx: ServiceContext, *, watch_deadlines: bool = True) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        with ctx.sessions() as s:
            ctx.positions.load(s)
        task = asyncio.create_task(watch(ctx.sessions, ctx.broker)) if watch_deadlines else None
        yield
        if task:
            task.cancel()

    app = FastAPI(
        title="xunfang command service",
        version=__version__,
        openapi_url=f"{PREFIX}/openapi.json",
        docs_url=f"{PREFIX}/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    api = APIRouter(prefix=PREFIX)
    for r in (auth.router, incidents.router, dispatch.router, units.router, coverage.router, live.router):
        api.include_router(r)
    app.include_router(api)
    errors.install(app)
    app.add_middleware(BodyLimit, max_bytes=ctx.settings.max_body_bytes)
    return app
