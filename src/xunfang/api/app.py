"""The FastAPI application factory for the live command service."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import APIRouter, Depends, FastAPI

from xunfang import __version__
from xunfang.api import errors
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


def create_app(ctx: ServiceContext, *, watch_deadlines: bool = True, web: bool = True) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        with ctx.sessions() as s:
            ctx.positions.load(s)
        task = asyncio.create_task(watch(ctx.sessions, ctx.broker)) if watch_deadlines else None
        bulletins = _bulletin_task(ctx)
        yield
        if task:
            task.cancel()
        if bulletins:
            bulletins.cancel()

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
    if web:
        from xunfang.web import mount_web

        mount_web(app)  # last: its catch-all route must come after every API route
    return app


def _include_analysis(app: FastAPI) -> None:
    """The analysis endpoints (hotspots, risk classes, stats ...) on the served city's history."""
    from xunfang.analysis.api import router as analysis_router
    from xunfang.api.deps import require_role
    from xunfang.store.users import Role

    readers = (Role.COMMANDER, Role.DISPATCHER, Role.STATION, Role.ANALYST, Role.AUDITOR)
    app.include_router(analysis_router, dependencies=[Depends(require_role(*readers))])


def _bulletin_task(ctx: ServiceContext) -> asyncio.Task[None] | None:
    """The scheduled bulletins (xunfang.reports.schedule), when XUNFANG_BULLETIN_DIR is set."""
    if ctx.settings.bulletin_dir is None:
        return None
    from xunfang.reports.schedule import loop

    url = ctx.engine.url.render_as_string(hide_password=False)
    return asyncio.create_task(
        loop(out=ctx.settings.bulletin_dir, hour=ctx.settings.bulletin_hour, database_url=url)
    )
