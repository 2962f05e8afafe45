"""Overload scenario of `xunfang bench reliability`: incident intake and dispatch latency on one
server, first alone and then under a position flood offered by several client processes.

Why several processes: one Python client cannot offer 20,000 fixes/s and measure intake latency at
the same time without becoming the bottleneck itself. The flood is open-loop (a fixed offered rate,
at most ``IN_FLIGHT`` requests outstanding per process); answers 503 are the shed load, counted
apart from real errors.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import random
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from xunfang.bench.loadgen import LoadClient, LoadError
from xunfang.bench.rel_load import login
from xunfang.bench.service import Tally, _free_port, _incidents, _pct, _start, incident_sites

BATCH = 200  # fixes per position request (an AVL gateway forwarding a second of reports)
IN_FLIGHT = 16  # outstanding position requests per flood process


def overload(
    tmp: Path,
    *,
    seconds: float,
    flood_per_s: float = 20_000.0,
    processes: int = 3,
    incidents_per_s: float = 10.0,
) -> dict[str, Any]:
    """Intake p99 without, then with, a position flood on the same SQLite server."""
    url, port, log = f"sqlite:///{tmp / 'overload.db'}", _free_port(), tmp / "overload.log"
    base = f"http://127.0.0.1:{port}/api/v1"
    proc = _start(url, port, log)
    try:
        headers = login(base)
        calm = asyncio.run(_intake(base, headers, seconds, incidents_per_s))
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(processes, mp_context=ctx) as pool:
            ramp = 3.0  # process start-up and the flood reaching its rate
            futs = [
                pool.submit(flood, base, headers, flood_per_s / processes, seconds + ramp + 1.0, i)
                for i in range(processes)
            ]
            time.sleep(ramp)
            flooded = asyncio.run(_intake(base, headers, seconds, incidents_per_s))
            floods = [f.result(timeout=seconds + 120) for f in futs]
    finally:
        proc.terminate()
        proc.wait(30)
    pos = {k: sum(f[k] for f in floods) for k in floods[0]}
    return {
        "intake_p99_ms": _pct(calm.intake_ms, 99),
        "intake_p99_ms_flood": _pct(flooded.intake_ms, 99),
        "intake_p50_ms": _pct(calm.intake_ms, 50),
        "intake_p50_ms_flood": _pct(flooded.intake_ms, 50),
        "dispatch_p99_ms": _pct(calm.recommend_ms, 99),
        "dispatch_p99_ms_flood": _pct(flooded.recommend_ms, 99),
        "errors": calm.errors + flooded.errors + pos["server_errors"],
        "error_kinds": dict(calm.error_kinds + flooded.error_kinds),
        "incidents": len(calm.created) + len(flooded.created),
        "flood_offered_per_s": flood_per_s,
        "flood_processes": processes,
        "positions_accepted_per_s": round(pos["accepted"] / pos["seconds"] * processes, 1),
        "positions_shed_503": pos["shed"],
        "positions_client_backlog": pos["backlog"],
        "positions_transport_errors": pos["transport"],
        "seconds_each": seconds,
    }


async def _intake(base: str, headers: dict[str, str], seconds: float, rate: float) -> Tally:
    """Incidents at ``rate``/s, each followed by its dispatch recommendation (as the surge does)."""
    async with LoadClient(base, timeout=30, max_connections=32) as c:
        c.headers.update(headers)
        units = [u for u in (await c.get("/units")).json()["items"] if u["lon"] is not None]
        sites = await incident_sites(c, units)
        t = Tally()
        await _incidents(c, sites, rate, time.monotonic() + seconds, t)
    return t


def flood(base: str, headers: dict[str, str], rate: float, seconds: float, seed: int) -> dict[str, Any]:
    """One flood process: ``rate`` fixes/s in batches of ``BATCH`` for ``seconds`` (picklable)."""
    return asyncio.run(_flood(base, headers, rate, seconds, seed))


async def _flood(
    base: str, headers: dict[str, str], rate: float, seconds: float, seed: int
) -> dict[str, Any]:
    out: dict[str, float] = {
        "accepted": 0,
        "shed": 0,
        "server_errors": 0,
        "transport": 0,
        "other": 0,
        "backlog": 0,
    }
    rng = random.Random(seed)
    async with LoadClient(base, timeout=30, max_connections=IN_FLIGHT) as c:
        c.headers.update(headers)
        units = [u for u in (await c.get("/units")).json()["items"] if u["lon"] is not None]
        in_flight: set[asyncio.Task[None]] = set()

        async def send(body: bytes) -> None:
            try:
                r = await c.request("POST", "/units/positions", body, "application/json", None)
            except LoadError:
                out["transport"] += 1
                return
            if r.status_code == 202:
                out["accepted"] += BATCH
            elif r.status_code == 503:
                out["shed"] += BATCH
            elif r.status_code >= 500:
                out["server_errors"] += 1
            else:
                out["other"] += 1

        bodies: list[bytes] = []
        made_at = 0.0
        t0 = time.monotonic()
        n = 0
        while time.monotonic() - t0 < seconds:
            n += 1
            if len(in_flight) >= IN_FLIGHT:
                out["backlog"] += BATCH  # offered but not sent: the client could not keep up
            else:
                if time.monotonic() - made_at > 1.0:  # bodies built once a second: the client stays cheap
                    now, made_at = datetime.now(UTC).isoformat(), time.monotonic()
                    bodies = [_body(units, rng, now) for _ in range(8)]
                task = asyncio.create_task(send(bodies[n % len(bodies)]))
                in_flight.add(task)
                task.add_done_callback(in_flight.discard)
            await asyncio.sleep(max(0.0, t0 + n * BATCH / rate - time.monotonic()))
        await asyncio.gather(*in_flight)
        out["seconds"] = round(time.monotonic() - t0, 2)
    return out


def _body(units: list[dict[str, Any]], rng: random.Random, now: str) -> bytes:
    """One batch of ``BATCH`` fixes near the units' own positions, as JSON bytes."""
    fixes = []
    for _ in range(BATCH):
        u = units[rng.randrange(len(units))]
        lon, lat = u["lon"] + rng.uniform(-0.002, 0.002), u["lat"] + rng.uniform(-0.002, 0.002)
        fixes.append({"unit_id": u["id"], "lon": lon, "lat": lat, "at": now})
    return json.dumps(fixes, separators=(",", ":")).encode()
