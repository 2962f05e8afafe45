"""The FastAPI application factory for the live command service."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import anyio.to_thread
from fastapi import APIRouter, Depends, FastAPI
from sqlalchemy.exc import SQLAlchemyError

from xunfang import __version__
from xunfang.api import errors
from xunfang.api.admission import PositionAdmission
from xunfang.api.context import ServiceContext
from xunfang.api.limits import BodyLimit
from xunfang.api.monitor import watch
from xunfang.api.routers import (
    auth,
    community,
    community_registry,
    coverage,
    dispatch,
    incidents,
    live,
    plans,
    simulations,
    units,
    users,
)
from xunfang.api.routers import map as map_layers

PREFIX = "/api/v1"
log = logging.getLogger(__name__)


def _close_tracks(ctx: ServiceContext) -> None:
    try:
        ctx.tracks.close()
    except SQLAlchemyError as exc:  # the database is gone at shutdown: say what is lost
        log.error("shutdown: %d position fixes not written: %s", ctx.tracks.pending, exc)


def create_app(ctx: ServiceContext, *, watch_deadlines: bool = True, web: bool = True) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # few request threads: with dozens, threads that hold the database write lock or a
        # half-built answer spend their time waiting for the GIL behind the others
        anyio.to_thread.current_default_thread_limiter().total_tokens = ctx.settings.request_threads
        with ctx.sessions() as s:
            ctx.positions.load(s)
        task = asyncio.create_task(watch(ctx.sessions, ctx.broker)) if watch_deadlines else None
        bulletins = _bulletin_task(ctx)
        yield
        if task:
            task.cancel()
        if bulletins:
            bulletins.cancel()
        await asyncio.to_thread(_close_tracks, ctx)

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
    api.include_router(community.router)
    api.include_router(community_registry.router)
    api.include_router(simulations.router)
    api.include_router(plans.router)
    api.include_router(users.router)

    api.include_router(map_layers.router)
    app.include_router(api)
    app.include_router(community.pages)
    _include_analysis(app)
    errors.install(app)
    app.add_middleware(BodyLimit, max_bytes=ctx.settings.max_body_bytes)
    app.add_middleware(PositionAdmission, budget=ctx.position_budget)  # intake before positions
    if web:
        from xunfang.web import mount_web

        mount_web(app)  # last: its catch-all route must come after every API route
    return app


def _include_analysis(app: FastAPI) -> None:
    """The analysis endpoints (hotspots, risk classes, stats ...) on the served city's history."""
    from xunfang.analysis.api import router as analysis_router
    from xunfang.api.deps import ANALYSIS, require_role

    app.include_router(analysis_router, dependencies=[Depends(require_role(*ANALYSIS))])


def _bulletin_task(ctx: ServiceContext) -> asyncio.Task[None] | None:
    """The scheduled bulletins (xunfang.reports.schedule), when XUNFANG_BULLETIN_DIR is set."""
    if ctx.settings.bulletin_dir is None:
        return None
    from xunfang.reports.schedule import loop

    url = ctx.engine.url.render_as_string(hide_password=False)
    return asyncio.create_task(
        loop(out=ctx.settings.bulletin_dir, hour=ctx.settings.bulletin_hour, database_url=url)
    )
