"""`xunfang bench service`: the live service under load, on SQLite and on PostgreSQL in turn.

For each backend a fresh database is seeded with the Chicago demo and a server is started on a free
loopback port (a subprocess, as in production). Against it, for ``seconds``: 200 units report at
1 Hz plus ``extra_positions_per_s`` more fixes, and ``incidents_per_s`` incidents are created, each
followed by a recommendation request. Reported: intake p50/p99, recommendation p99 (ms), positions
ingested per second, errors (non-2xx or transport failures) and lost (201s not found afterwards).
"""

from __future__ import annotations

import asyncio
import os
import random
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import httpx
import numpy as np
import typer

from xunfang.bench.loadgen import LoadClient, LoadError
from xunfang.core.cli_support import print_json
from xunfang.core.errors import Unavailable

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CATEGORIES = ("theft", "dispute", "traffic", "public_order", "help_request", "noise")


@dataclass
class Tally:
    intake_ms: list[float] = field(default_factory=list)
    recommend_ms: list[float] = field(default_factory=list)
    ops_ms: dict[str, list[float]] = field(default_factory=dict)  # further operations, by name
    positions: int = 0
    errors: int = 0
    error_kinds: Counter[str] = field(default_factory=Counter)

    created: dict[str, int] = field(default_factory=dict)
    # (start on the monotonic clock, ms) of every request counted in ops_ms, for per-window figures
    timeline: list[tuple[float, float]] = field(default_factory=list)

    def error(self, what: str) -> None:
        self.errors += 1
        self.error_kinds[what] += 1

    def add(self, op: str, started: float, ms: float) -> None:
        """One answered request of ``op`` that started at ``started`` (time.monotonic) and took ``ms``."""
        self.ops_ms.setdefault(op, []).append(ms)
        self.timeline.append((started, ms))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(url: str, port: int, log: Path, extra: tuple[str, ...] = ()) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable,
        "-m",
        "xunfang.cli",
        "serve",
        "--port",
        str(port),
        "--db",
        url,
        "--demo",
        "chicago",
        *extra,
    ]
    proc = subprocess.Popen(cmd, stdout=log.open("ab"), stderr=subprocess.STDOUT, env=dict(os.environ))
    deadline = time.time() + 180
    while time.time() < deadline:
        if proc.poll() is not None:
            raise Unavailable(f"bench server exited: {log.read_text()[-1000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.5)
    proc.kill()
    raise Unavailable("bench server did not start within 180 s")


async def _positions(c: LoadClient, units: list[dict[str, Any]], rate: float, end: float, t: Tally) -> None:
    rng = random.Random(1)
    tick = 0.1
    per_tick = max(1, round(rate * tick))
    while time.monotonic() < end:
        start = time.monotonic()
        now = datetime.now(UTC).isoformat()
        batch = []
        for i in range(per_tick):
            u = units[i % len(units)]
            batch.append(
                {
                    "unit_id": u["id"],
                    "lon": u["lon"] + rng.uniform(-0.002, 0.002),
                    "lat": u["lat"] + rng.uniform(-0.002, 0.002),
                    "at": now,
                }
            )
        try:
            t0 = time.monotonic()
            r = await c.post("/units/positions", json=batch)
            t.add("positions", t0, (time.monotonic() - t0) * 1000)
            if r.status_code == 202:
                t.positions += len(batch)
            else:
                t.error(f"positions {r.status_code}")
        except LoadError as exc:
            t.error(f"positions {exc.kind}")
        await asyncio.sleep(max(0.0, tick - (time.monotonic() - start)))


OneIncident = Callable[[LoadClient, dict[str, Any], str, Tally], Coroutine[Any, Any, None]]


async def _one_incident(c: LoadClient, body: dict[str, Any], key: str, t: Tally) -> None:
    try:
        t0 = time.perf_counter()
        r = await c.post("/incidents", json=body, headers={"Idempotency-Key": key})
        t.intake_ms.append((time.perf_counter() - t0) * 1000)
        if r.status_code != 201:
            t.error(f"intake {r.status_code}")
            return
        t.created[key] = r.json()["id"]
        t0 = time.perf_counter()
        rec = await c.get(f"/incidents/{t.created[key]}/recommendations")
        t.recommend_ms.append((time.perf_counter() - t0) * 1000)
        if rec.status_code != 200:
            t.error(f"recommend {rec.status_code}")
    except LoadError as exc:
        t.error(f"incident {exc.kind}")


async def incident_sites(
    c: LoadClient, units: list[dict[str, Any]], n: int = 5000
) -> list[tuple[float, float]]:
    """Incident places within ~50 m of the units, kept only inside the service's station areas
    (a unit at a post on the city's edge would otherwise draw correct 422s for points outside)."""
    import shapely

    areas = shapely.from_geojson((await c.get("/map/districts")).content)
    area = shapely.union_all(shapely.get_parts(areas))
    rng = np.random.default_rng(3)
    pick = rng.integers(0, len(units), n)
    lon = np.array([units[i]["lon"] for i in pick]) + rng.uniform(-0.0005, 0.0005, n)
    lat = np.array([units[i]["lat"] for i in pick]) + rng.uniform(-0.0005, 0.0005, n)
    inside = shapely.contains_xy(area, lon, lat)
    return list(zip(lon[inside].tolist(), lat[inside].tolist(), strict=True))


async def _incidents(  # noqa: PLR0917
    c: LoadClient,
    sites: list[tuple[float, float]],
    rate: float,
    end: float,
    t: Tally,
    one: OneIncident = _one_incident,
) -> None:
    rng = random.Random(2)
    tasks: list[asyncio.Task[None]] = []
    n = 0
    t_start = time.monotonic()
    while time.monotonic() < end:
        lon, lat = sites[rng.randrange(len(sites))]
        body = {
            "category": rng.choice(CATEGORIES),
            "source": "call_110",
            "lon": lon,
            "lat": lat,
            "description": "bench (simulated)",
            "reported_at": datetime.now(UTC).isoformat(),
        }
        tasks.append(asyncio.create_task(one(c, body, f"bench-{secrets.token_hex(8)}", t)))
        n += 1
        await asyncio.sleep(max(0.0, t_start + n / rate - time.monotonic()))
    await asyncio.gather(*tasks)


async def _drive(
    base: str, seconds: float, incidents_per_s: float, extra_positions_per_s: float
) -> dict[str, Any]:
    async with LoadClient(base, timeout=30, max_connections=64) as c:
        r = await c.post(
            "/auth/token", data={"username": "demo-dispatcher", "password": "demo-dispatcher-pass"}
        )
        c.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        units = [u for u in (await c.get("/units")).json()["items"] if u["lon"] is not None]
        sites = await incident_sites(c, units)
        t = Tally()
        end = time.monotonic() + seconds
        t0 = time.monotonic()
        await asyncio.gather(
            _positions(c, units, len(units) * 1.0, end, t),
            _positions(c, units, extra_positions_per_s, end, t),
            _incidents(c, sites, incidents_per_s, end, t),
        )
        elapsed = time.monotonic() - t0
        lost = 0
        for inc_id in t.created.values():
            got = await c.get(f"/incidents/{inc_id}")
            if got.status_code != 200 or got.json()["description"] != "bench (simulated)":
                lost += 1
    return {
        "intake_p50_ms": _pct(t.intake_ms, 50),
        "intake_p99_ms": _pct(t.intake_ms, 99),
        "recommend_p99_ms": _pct(t.recommend_ms, 99),
        "recommend_p50_ms": _pct(t.recommend_ms, 50),
        "positions_per_s": round(t.positions / elapsed, 1),
        "incidents": len(t.created),
        "incidents_per_s": round(len(t.created) / elapsed, 1),
        "errors": t.errors,
        "error_kinds": dict(t.error_kinds),
        "lost": lost,
        "seconds": round(elapsed, 1),
        "units": len(units),
    }


def _pct(xs: list[float], q: float) -> float | None:
    return round(float(np.percentile(xs, q)), 1) if xs else None


def run_backend(
    url: str, *, seconds: float, incidents_per_s: float, extra_positions_per_s: float, workers: int = 1
) -> dict[str, Any]:
    port = _free_port()
    with tempfile.TemporaryDirectory() as tmp:
        extra = ("--workers", str(workers)) if workers > 1 else ()
        proc = _start(url, port, Path(tmp) / "server.log", extra)
        try:
            base = f"http://127.0.0.1:{port}/api/v1"
            return asyncio.run(_drive(base, seconds, incidents_per_s, extra_positions_per_s))
        finally:
            proc.terminate()
            proc.wait(30)


def command(  # noqa: PLR0917 (Typer options)
    as_json: Annotated[bool, typer.Option("--json", help="print the JSON result")] = False,
    seconds: Annotated[float, typer.Option(min=1, max=3600)] = 60.0,
    incidents_per_s: Annotated[float, typer.Option(min=0.1, max=1000)] = 50.0,
    extra_positions_per_s: Annotated[float, typer.Option(min=0, max=100_000)] = 2000.0,
    pg_url: Annotated[str, typer.Option(help="PostgreSQL server (a fresh schema is used)")] = PG_DEFAULT,
    pg_workers: Annotated[
        int, typer.Option(min=1, max=16, help="server processes on PostgreSQL (SQLite runs one)")
    ] = 2,
) -> None:
    """Live service under load on SQLite and PostgreSQL (intake/recommendation latency, AVL rate).

    PostgreSQL runs ``--pg-workers`` server processes (the deployment it is made for, live feed
    through Redis); SQLite, which has one writer, runs one."""
    from xunfang.store.db import drop_schema, make_engine

    result: dict[str, Any] = {}
    load = partial(
        run_backend,
        seconds=seconds,
        incidents_per_s=incidents_per_s,
        extra_positions_per_s=extra_positions_per_s,
    )
    with tempfile.TemporaryDirectory() as tmp:
        result["sqlite"] = load(f"sqlite:///{Path(tmp) / 'bench.db'}")
    schema = "bench_" + secrets.token_hex(4)
    sep = "&" if "?" in pg_url else "?"
    try:
        from sqlalchemy import text

        eng = make_engine(pg_url)
        with eng.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
        pg = f"{pg_url}{sep}options=-csearch_path%3D{schema}"
        result["postgres"] = {**load(pg, workers=pg_workers), "workers": pg_workers}
    finally:
        drop_schema(make_engine(pg_url), schema)
    if as_json:
        print_json(result)
    else:
        for k, v in result.items():
            typer.echo(f"{k}: {v}")


def attach(root: typer.Typer) -> None:
    """Add `service` to the `bench` group (creating the group if no other benchmark made it)."""
    for group in root.registered_groups:
        if group.name == "bench" and group.typer_instance is not None:
            group.typer_instance.command("service")(command)
            return
    bench = typer.Typer(help="Benchmarks (one JSON object each).", no_args_is_help=True)
    bench.command("service")(command)
    root.add_typer(bench, name="bench")
