"""`xunfang serve --workers N`: N API processes on one port and one database (PostgreSQL, or a
SQLite file whose writers queue across processes on its writer lock, see ``store.db.WriteGate``).

uvicorn's own supervisor does the process work: it binds the socket once, starts N children that
accept from it (the kernel spreads connections over them), restarts a child that dies, and on
SIGHUP replaces the children one at a time, each replacement serving before the old one is told to
stop (a rolling restart). Each child calls :func:`app` and builds its own
:class:`~xunfang.api.context.ServiceContext`; live events reach the other workers through Redis
(:mod:`xunfang.api.fanout`). Migrations and the demo seed run once, in the parent, before that.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator
from typing import Any

from xunfang.core.errors import InvalidInput, Unavailable

log = logging.getLogger(__name__)
ENV_DB = "XUNFANG_WORKER_DB"
WORKER_HEADER = "x-xunfang-worker"
# a worker loads the road graph and map layers before it serves: allow that much for a replacement
# to report ready (and a hung worker that long to answer the supervisor's ping)
HEALTHCHECK_S = 120


def check_url(url: str, workers: int) -> None:
    """Several workers need a database each of them opens: PostgreSQL or a SQLite file."""
    shared = url.startswith("postgresql") or (url.startswith("sqlite:///") and not url.endswith(":memory:"))
    if workers >= 2 and not shared:
        raise InvalidInput(
            f"--workers {workers} needs a PostgreSQL URL or a SQLite file as --db (got {url!r}): "
            "an in-memory database lives in one process"
        )


def check_redis(url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
    except redis.RedisError as exc:
        raise Unavailable(
            f"--workers needs Redis for the live fan-out at {url} (XUNFANG_REDIS_URL): {exc}"
        ) from exc


def run(url: str, *, host: str, port: int, workers: int, log_level: str) -> None:
    """Start the supervisor (blocks until it is stopped)."""
    import uvicorn

    os.environ[ENV_DB] = url
    uvicorn.run(
        f"{__name__}:app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        timeout_worker_healthcheck=HEALTHCHECK_S,
    )


class WorkerHeader:
    """Names the worker that answered (``x-xunfang-worker``): lets tests and operators see the spread."""

    def __init__(self, app: Any, worker: str) -> None:
        self.app, self.worker = app, worker.encode()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_named(message: Any) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (WORKER_HEADER.encode(), self.worker)]
            await send(message)

        await self.app(scope, receive, send_named)


def app() -> WorkerHeader:
    """The app factory each worker process calls."""
    from xunfang.api.app import create_app
    from xunfang.api.bootstrap import build_context
    from xunfang.api.cli import tune_runtime
    from xunfang.api.fanout import RelayBroker, channel_for, position_hook
    from xunfang.api.routers.map import warm
    from xunfang.store.db import make_engine

    url = os.environ.get(ENV_DB)
    if not url:
        raise Unavailable(f"{ENV_DB} is not set: start workers with `xunfang serve --workers N`")
    ctx = build_context(make_engine(url), echo=log.warning)
    broker = RelayBroker(
        ctx.settings.redis_url, channel=channel_for(url), on_remote=position_hook(ctx.positions.offer)
    )
    broker.start()
    ctx.broker = broker
    application = create_app(ctx)
    warm(application)
    inner = application.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(a: Any) -> AsyncIterator[None]:
        async with inner(a):
            yield
        await asyncio.to_thread(broker.stop)

    application.router.lifespan_context = lifespan
    tune_runtime()
    return WorkerHeader(application, broker.worker_id)
