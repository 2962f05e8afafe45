"""Shared pieces of `xunfang bench reliability`: a subprocess server, an intake load with idempotent
client retries, a throw-away PostgreSQL instance, and the final lost/duplicate count from the database."""

from __future__ import annotations

import contextlib
import os
import pwd
import random
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from xunfang.core.errors import Unavailable

PG_BIN = Path("/usr/lib/postgresql/15/bin")
DESCRIPTION = "reliability {key}"


@dataclass
class Outcomes:
    """What the clients saw: acknowledged keys, every key tried, and each non-2xx answer."""

    acked: dict[str, int] = field(default_factory=dict)
    assignments: dict[int, int] = field(default_factory=dict)  # acknowledged assignment id -> incident
    attempted: dict[str, dict[str, Any]] = field(default_factory=dict)
    server_errors: int = 0  # 5xx other than 503 + Retry-After
    unavailable: int = 0  # 503 with Retry-After
    transport: int = 0
    other: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, key: str, r: httpx.Response) -> None:
        with self.lock:
            if r.status_code in (200, 201):
                self.acked[key] = int(r.json()["id"])
            elif r.status_code == 503 and r.headers.get("Retry-After"):
                self.unavailable += 1
            elif r.status_code >= 500:
                self.server_errors += 1
            else:
                self.other += 1


def login(base: str, user: str = "demo-dispatcher") -> dict[str, str]:
    r = httpx.post(f"{base}/auth/token", data={"username": user, "password": f"{user}-pass"}, timeout=30)
    if r.status_code != 200:
        raise Unavailable(f"login as {user} failed: {r.status_code} {r.text[:200]}")
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def incident_body(key: str, rng: random.Random, lonlat: tuple[float, float]) -> dict[str, Any]:
    return {
        "category": rng.choice(("theft", "dispute", "traffic", "public_order")),
        "source": "call_110",
        "lon": lonlat[0] + rng.uniform(-0.003, 0.003),
        "lat": lonlat[1] + rng.uniform(-0.003, 0.003),
        "description": DESCRIPTION.format(key=key),
    }


class IntakeLoad:
    """``workers`` threads posting incidents with fresh Idempotency-Keys until stopped.

    With ``units``, each acknowledged incident is also dispatched: a unit from the worker's own
    share is assigned, arrives and resolves (which frees it again), so that a crash can fall in
    the middle of an assignment as well as of an intake."""

    def __init__(  # noqa: PLR0917
        self,
        base: str,
        headers: dict[str, str],
        out: Outcomes,
        prefix: str,
        workers: int = 4,
        units: list[str] | None = None,
    ):
        self.base, self.headers, self.out, self.prefix = base, headers, out, prefix
        self.units = units or []
        self.workers = workers
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(w,), daemon=True) for w in range(workers)]

    def __enter__(self) -> IntakeLoad:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(30)

    def _run(self, worker: int) -> None:
        rng = random.Random(f"{self.prefix}-{worker}")
        with httpx.Client(timeout=5) as client:
            i = 0
            while not self.stop.is_set():
                key = f"{self.prefix}-w{worker}-{i}"
                i += 1
                body = incident_body(key, rng, (-87.65, 41.85))
                with self.out.lock:
                    self.out.attempted[key] = body
                try:
                    r = client.post(
                        f"{self.base}/incidents", json=body, headers={**self.headers, "Idempotency-Key": key}
                    )
                except httpx.HTTPError:
                    with self.out.lock:
                        self.out.transport += 1
                    time.sleep(0.2)
                    continue
                self.out.record(key, r)
                if r.status_code == 503:
                    time.sleep(0.1)
                elif r.status_code in (200, 201) and self.units:
                    self._dispatch(client, int(r.json()["id"]), self.units[worker :: self.workers], i)

    def _dispatch(self, client: httpx.Client, incident: int, units: list[str], i: int) -> None:
        """Assign one of ``units`` (the next that is free), then arrive and resolve; any failure
        (a crash, a unit still held by an interrupted job) ends this incident's dispatch."""
        if not units:
            return
        url = f"{self.base}/incidents/{incident}"
        try:
            for unit in units[i % len(units) :] + units[: i % len(units)]:
                r = client.post(f"{url}/assignments", json={"unit_id": unit}, headers=self.headers)
                if r.status_code == 201:
                    with self.out.lock:
                        self.out.assignments[int(r.json()["id"])] = incident
                    break
                if r.status_code != 409:
                    return
            else:
                return
            for event in ("arrived", "resolved"):
                r = client.post(f"{url}/events", json={"type": event}, headers=self.headers)
                if r.status_code != 201:
                    return
        except httpx.HTTPError:
            with self.out.lock:
                self.out.transport += 1


def retry_unacked(base: str, headers: dict[str, str], out: Outcomes, budget_s: float = 60.0) -> int:
    """Clients retry every key they are unsure of until acknowledged; returns keys never acknowledged."""
    pending = [k for k in out.attempted if k not in out.acked]
    deadline = time.monotonic() + budget_s
    with httpx.Client(timeout=10) as client:
        while pending and time.monotonic() < deadline:
            key = pending[0]
            try:
                r = client.post(
                    f"{base}/incidents",
                    json=out.attempted[key],
                    headers={**headers, "Idempotency-Key": key},
                )
            except httpx.HTTPError:
                time.sleep(0.5)
                continue
            out.record(key, r)
            if r.status_code in (200, 201):
                pending.pop(0)
            elif r.status_code < 500:
                pending.pop(0)  # refused for a reason of its own (not counted as a loss)
            else:
                time.sleep(0.5)
    return len(pending)


def lost_assignments(url: str, out: Outcomes) -> tuple[int, int]:
    """From the database: acknowledged assignments missing (or moved to another incident), and
    (incident, unit) pairs assigned more than once."""
    from xunfang.store.db import make_engine
    from xunfang.store.models import Assignment

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = dict(conn.execute(select(Assignment.id, Assignment.incident_id)).all())
            dup_q = (
                select(Assignment.incident_id, Assignment.unit_id)
                .group_by(Assignment.incident_id, Assignment.unit_id)
                .having(func.count() > 1)
            )
            dups = len(conn.execute(dup_q).all())
    finally:
        engine.dispose()
    lost = sum(1 for a, inc in out.assignments.items() if rows.get(a) != inc)
    return lost, dups


def lost_and_duplicates(url: str, out: Outcomes) -> tuple[int, int]:
    """From the database itself: acknowledged incidents missing, and keys stored more than once."""
    from xunfang.store.db import make_engine
    from xunfang.store.models import Incident

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = {int(i): d for i, d in conn.execute(select(Incident.id, Incident.description)).all()}
            dup_q = (
                select(Incident.description)
                .where(Incident.description.like("reliability %"))
                .group_by(Incident.description)
                .having(func.count() > 1)
            )
            dups = len(conn.execute(dup_q).all())
    finally:
        engine.dispose()
    lost = sum(1 for k, i in out.acked.items() if rows.get(i) != DESCRIPTION.format(key=k))
    return lost, dups


@contextlib.contextmanager
def private_postgres() -> Iterator[tuple[str, PgControl]]:
    """A throw-away PostgreSQL 15 cluster on a free loopback port, so stopping it cannot disturb
    anybody else's database; removed afterwards."""
    from xunfang.bench.service import _free_port

    if not (PG_BIN / "initdb").exists():
        raise Unavailable(f"PostgreSQL binaries not found in {PG_BIN}")
    tmp = Path(tempfile.mkdtemp(prefix="xf-pg-"))
    pw = pwd.getpwnam("postgres")
    os.chown(tmp, pw.pw_uid, pw.pw_gid)
    port = _free_port()
    ctl = PgControl(tmp / "data", port, tmp)
    try:
        ctl.run([str(PG_BIN / "initdb"), "-D", str(ctl.data), "-U", "postgres", "--auth=trust", "-E", "UTF8"])
        ctl.start()
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", ctl
    finally:
        with contextlib.suppress(Exception):
            ctl.stop()
        shutil.rmtree(tmp, ignore_errors=True)


@dataclass
class PgControl:
    data: Path
    port: int
    sock: Path

    def run(self, cmd: list[str]) -> None:
        as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run(as_pg + cmd, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        opts = f"-p {self.port} -k {self.sock} -c listen_addresses=127.0.0.1 -c fsync=on"
        log = str(self.sock / "pg.log")
        self.run([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", log, "-o", opts, "-w", "start"])

    def stop(self) -> None:
        self.run([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"])
