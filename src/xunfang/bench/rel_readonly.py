"""Read-only database scenario of `xunfang bench reliability` (PostgreSQL; SQLite: see below).

PostgreSQL: a private cluster gets ``default_transaction_read_only = on`` by ALTER SYSTEM and a
reload, which reaches the sessions already in the pool. Writes must be refused with 503 (never
another 5xx, never a 201 that is not stored), reads keep working, and writes resume by themselves
once the database is writable again (clients retry their unacknowledged keys).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import psycopg

from xunfang.bench.rel_faults import _stop
from xunfang.bench.rel_load import (
    IntakeLoad,
    Outcomes,
    login,
    lost_and_duplicates,
    private_postgres,
    retry_unacked,
)
from xunfang.bench.service import _free_port, _start

SQLITE_NOT_MEASURED = (
    "not measured: Linux refuses to remount a file system read-only while the server holds the "
    "database open for writing, and file modes do not bind a root server; a kernel-forced remount "
    "after I/O errors was not simulated (SQLite's 'readonly database' error maps to the same 503)"
)


def read_only(tmp: Path) -> dict[str, Any]:
    """PostgreSQL turned read-only under load and back; SQLite is listed as not measured."""
    pg = _postgres(tmp)
    return {
        "server_errors": pg["server_errors"],
        "false_acks": pg["false_acks"],
        "resumed": pg["resumed"],
        "postgres": pg,
        "sqlite": SQLITE_NOT_MEASURED,
    }


def _postgres(tmp: Path) -> dict[str, Any]:
    with private_postgres() as (url, _ctl):
        plain = url.replace("postgresql+psycopg://", "postgresql://")

        def setting(on: bool) -> Callable[[], None]:
            def run() -> None:
                with psycopg.connect(plain, autocommit=True) as conn:
                    conn.execute(f"ALTER SYSTEM SET default_transaction_read_only = {'on' if on else 'off'}")
                    conn.execute("SELECT pg_reload_conf()")
                time.sleep(0.5)  # backends apply the reload at their next command

            return run

        return _scenario(url, tmp / "ro-pg.log", setting(True), setting(False))


def _scenario(
    url: str, log: Path, make_ro: Callable[[], None], make_rw: Callable[[], None]
) -> dict[str, Any]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}/api/v1"
    proc = _start(url, port, log)
    out = Outcomes()
    reads = reads_ok = 0
    sample: dict[str, Any] = {}
    try:
        headers = login(base)
        with IntakeLoad(base, headers, out, "ro", workers=2), httpx.Client(timeout=10) as c:
            time.sleep(1.0)
            make_ro()
            acked_before = len(out.acked)  # answers before the switch took effect are not counted
            end = time.monotonic() + 4.0
            while time.monotonic() < end:
                reads += 1
                r = c.get(f"{base}/incidents?limit=20", headers=headers)
                reads_ok += r.status_code == 200
                out.server_errors += r.status_code >= 500 and r.status_code != 503
                time.sleep(0.2)
            sample = _one_write(c, base, headers)
            refused = out.unavailable
            acked_while_ro = len(out.acked) - acked_before
            make_rw()
        t0 = time.monotonic()
        never = retry_unacked(base, headers, out, budget_s=30)
        resume_s = time.monotonic() - t0
    finally:
        _stop(proc)
    lost, dups = lost_and_duplicates(url, out)
    return {
        "server_errors": out.server_errors,
        "false_acks": lost,
        "duplicates": dups,
        "writes_refused_503": refused,
        "acked_while_read_only": acked_while_ro,
        "reads": reads,
        "reads_ok": reads_ok,
        "refusal": sample,
        "never_acked_after_writable": never,
        "resumed": never == 0 and refused > 0,
        "resume_s": round(resume_s, 2),
    }


def _one_write(c: httpx.Client, base: str, headers: dict[str, str]) -> dict[str, Any]:
    """What a writer is told while the database is read-only (status, Retry-After, message)."""
    body = {"category": "theft", "source": "call_110", "lon": -87.65, "lat": 41.85, "description": "ro probe"}
    r = c.post(f"{base}/incidents", json=body, headers={**headers, "Idempotency-Key": "ro-probe"})
    detail = (
        r.json().get("detail") if r.headers.get("content-type", "").startswith("application/json") else None
    )
    return {"status": r.status_code, "retry_after": r.headers.get("Retry-After"), "detail": detail}
