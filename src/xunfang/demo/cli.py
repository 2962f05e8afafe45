"""`xunfang demo`: the service on the embedded SQLite default with Chicago seeded (and an optimised
posts plan activated when none is), a real day of incidents replayed through the service's own API
at an accelerated clock, units moving on the roads, dispatched automatically (``--auto-dispatch``)
or left to the operator (``--manual``)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Annotated

import httpx
import typer

from xunfang.api.cli import DbOpt, db_url, open_db

CITY = "chicago"
DRIVER = ("demo-dispatcher", "demo-dispatcher-pass")


def demo(
    *,
    date: Annotated[str, typer.Option("--date", help="the real day to replay (YYYY-MM-DD)")] = "2019-07-04",
    speed: Annotated[float, typer.Option("--speed", min=1.0, max=3600.0, help="clock acceleration")] = 60.0,
    auto_dispatch: Annotated[
        bool, typer.Option("--auto-dispatch/--manual", help="dispatch the best recommendation, or leave it")
    ] = True,
    minutes: Annotated[
        float | None, typer.Option("--minutes", min=0.0, help="stop after N wall-clock minutes (exit 0)")
    ] = None,
    extra_per_hour: Annotated[
        float, typer.Option("--extra-per-hour", min=0.0, help="add N SIMULATED calls per hour (labelled)")
    ] = 0.0,
    start: Annotated[
        str, typer.Option("--start", help="replay from this local time of the day (HH:MM)")
    ] = "00:00",
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 8000,
    db: DbOpt = None,
    seed: Annotated[int, typer.Option("--seed")] = 0,
) -> None:
    """Run the command centre on Chicago and replay a real day of incidents (Ctrl-C stops it)."""
    import uvicorn

    from xunfang.analysis.api import history_of
    from xunfang.api.app import create_app
    from xunfang.api.bootstrap import build_context
    from xunfang.api.cli import tune_runtime
    from xunfang.api.routers.map import warm
    from xunfang.demo.driver import Driver
    from xunfang.demo.plan import ensure_post_plan
    from xunfang.demo.replay import day_calls, parse_day

    day = parse_day(date)
    start_s = _clock(start)
    history, _ = history_of(CITY)
    calls = day_calls(history, day, city=CITY, extra_per_hour=extra_per_hour, seed=seed)
    url = db_url(db)
    typer.echo(f"database: {url}")
    ctx = build_context(open_db(db), demo=CITY, echo=typer.echo)
    ensure_post_plan(ctx.sessions, ctx.network, history, day, city=CITY, echo=typer.echo)
    app = create_app(ctx)
    warm(app, echo=typer.echo)
    tune_runtime()
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="xunfang-demo-server", daemon=True)
    thread.start()
    base = f"http://{host}:{port}"
    _wait(base, server, thread)
    real = sum(c.real for c in calls)
    typer.echo(
        f"replaying {day.date()} ({CITY}): {real} real incident records"
        + (f" + {len(calls) - real} SIMULATED calls (labelled)" if len(calls) > real else "")
        + f" at {speed:g}x from {start}, {'auto-dispatch' if auto_dispatch else 'manual dispatch'}"
    )
    typer.echo(f"command centre: {base}/  (log in with a demo user above; API docs {base}/api/v1/docs)")
    typer.echo("Ctrl-C stops the demo" + (f"; it ends by itself after {minutes:g} min" if minutes else ""))
    try:
        with httpx.Client(base_url=base, timeout=30.0) as client:
            client.headers["Authorization"] = f"Bearer {_token(client)}"
            run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
            driver = Driver(client, calls, ctx.network, auto=auto_dispatch, run_id=run_id, seed=seed)
            _loop(driver, speed=speed, start_s=start_s, minutes=minutes)
    except KeyboardInterrupt:
        typer.echo("stopping")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    c = driver.counts if "driver" in locals() else None
    if c is not None:
        typer.echo(
            f"demo done: {c.created} incidents ({c.real} real, {c.simulated} simulated), "
            f"{c.dispatched} dispatched, "
            f"{c.arrived} arrived, {c.resolved} resolved, {c.handed_over} handed over"
        )


def _loop(driver: object, *, speed: float, start_s: float, minutes: float | None) -> None:
    from xunfang.demo.driver import Driver

    assert isinstance(driver, Driver)
    t0 = time.monotonic()
    last_report = t0
    while True:
        wall = time.monotonic() - t0
        if minutes is not None and wall >= minutes * 60:
            return
        now_s = start_s + wall * speed
        if now_s >= 86400 and not driver.jobs:
            typer.echo("the replayed day is over")
            if minutes is None:
                return
        driver.tick(now_s)
        if time.monotonic() - last_report >= 10:
            last_report = time.monotonic()
            c = driver.counts
            typer.echo(
                f"  {_hhmm(now_s)} replayed: {c.created} incidents, {c.dispatched} dispatched, "
                f"{c.resolved} resolved, {c.handed_over} handed over, {len(driver.jobs)} in progress"
            )
        time.sleep(max(0.0, 1.0 - (time.monotonic() - t0 - wall)))


def _clock(text: str) -> float:
    from xunfang.core.errors import InvalidInput

    try:
        h, m = (int(x) for x in text.split(":"))
    except ValueError:
        raise InvalidInput(f"--start: cannot read {text!r}; expected HH:MM", field="--start") from None
    if not (0 <= h < 24 and 0 <= m < 60):
        raise InvalidInput(f"--start: {text!r} is not a time of day (00:00-23:59)", field="--start")
    return h * 3600.0 + m * 60.0


def _hhmm(s: float) -> str:
    s = min(s, 86399.0)
    return f"{int(s // 3600):02d}:{int(s % 3600 // 60):02d}"


def _token(client: httpx.Client) -> str:
    r = client.post("/api/v1/auth/token", data={"username": DRIVER[0], "password": DRIVER[1]})
    r.raise_for_status()
    return str(r.json()["access_token"])


def _wait(base: str, server: object, thread: threading.Thread, timeout_s: float = 60.0) -> None:
    from xunfang.core.errors import Unavailable

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise Unavailable(f"the demo service did not start on {base} (is the port in use?)")
        try:
            if httpx.get(f"{base}/api/v1/openapi.json", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise Unavailable(f"the demo service did not answer on {base} within {timeout_s:g} s")
