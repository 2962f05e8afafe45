"""Fault scenarios of `xunfang bench reliability`: SIGKILLs, a database restart, a full disk.

Each runs a real `xunfang serve` subprocess on loopback with the Chicago demo and an intake load
whose clients retry with their Idempotency-Keys; losses and duplicates are counted in the database.
"""

from __future__ import annotations

import contextlib
import errno
import os
import random
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from xunfang.api.workers import WORKER_HEADER
from xunfang.bench.rel_load import (
    IntakeLoad,
    Outcomes,
    login,
    lost_and_duplicates,
    lost_assignments,
    private_postgres,
    retry_unacked,
)
from xunfang.bench.service import _free_port, _start
from xunfang.core.errors import Unavailable


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def crash(kills: int, tmp: Path, seed: int = 9) -> dict[str, Any]:
    """SIGKILL the serving process ``kills`` times at random moments of an intake-and-dispatch
    load; the service runs with its warm standby (`serve --standby`), which takes over.

    Recovery is the time from the kill until the service answers again (from the new process).
    Each kill waits until the supervisor's new standby is ready (``standby_ready_max_s``); a
    second crash inside that window would meet a cold start instead (``cold_start_s``)."""
    rng = random.Random(seed)
    url, port, log = f"sqlite:///{tmp / 'crash.db'}", _free_port(), tmp / "crash.log"
    base = f"http://127.0.0.1:{port}/api/v1"
    t0 = time.monotonic()
    proc = _start(url, port, log, ("--standby",))
    cold_start = time.monotonic() - t0
    out, recoveries, standby_ready = Outcomes(), [], []
    try:
        headers = login(base)
        units = dispatchable_units(base, headers)
        _await_ready_lines(log, 2)
        for k in range(kills):
            with IntakeLoad(base, headers, out, f"crash{k}", units=units):
                time.sleep(rng.uniform(0.3, 2.5))
                pid = int(httpx.get(f"{base}/openapi.json", timeout=10).headers[WORKER_HEADER])
                t_kill = time.monotonic()
                os.kill(pid, signal.SIGKILL)
                recoveries.append(_until_served(base, pid) - t_kill)
            standby_ready.append(_await_ready_lines(log, k + 3) - t_kill)
            retry_unacked(base, headers, out)
        never = retry_unacked(base, headers, out)
    finally:
        _stop(proc)
    lost, dups = lost_and_duplicates(url, out)
    lost_a, dups_a = lost_assignments(url, out)
    return {
        "kills": kills,
        "acked": len(out.acked),
        "attempted": len(out.attempted),
        "never_acked_after_retry": never,
        "lost": lost,
        "duplicates": dups,
        "assignments_acked": len(out.assignments),
        "assignments_lost": lost_a,
        "assignment_duplicates": dups_a,
        "server_errors": out.server_errors,
        "recovery_max_s": round(max(recoveries), 2),
        "recovery_p50_s": round(sorted(recoveries)[len(recoveries) // 2], 2),
        "standby_ready_max_s": round(max(standby_ready), 1),
        "cold_start_s": round(cold_start, 1),
    }


def dispatchable_units(base: str, headers: dict[str, str]) -> list[str]:
    """Units whose arrival counts (not drones), for the dispatch part of the crash load."""
    items = httpx.get(f"{base}/units", headers=headers, timeout=30).json()["items"]
    return [u["id"] for u in items if u["force_type"] != "drone"]


def _until_served(base: str, dead_pid: int, limit_s: float = 120.0) -> float:
    """Poll until another process answers; returns that moment (monotonic)."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            r = httpx.get(f"{base}/openapi.json", timeout=5)
            if r.status_code == 200 and r.headers.get(WORKER_HEADER) != str(dead_pid):
                return time.monotonic()
        time.sleep(0.01)
    raise Unavailable(f"the service did not answer within {limit_s:.0f} s of a crash")


def _await_ready_lines(log: Path, n: int, limit_s: float = 180.0) -> float:
    """Wait until the supervisor has logged ``n`` children ready; returns that moment."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if log.read_text(errors="replace").count(" ready\n") >= n:
            return time.monotonic()
        time.sleep(0.05)
    raise Unavailable(f"the standby was not ready within {limit_s:.0f} s (see {log})")


def db_restart(tmp: Path, gap_s: float = 3.0) -> dict[str, Any]:
    """Stop a private PostgreSQL (``pg_ctl stop -m fast``) under load, start it again after ``gap_s``."""
    with private_postgres() as (url, ctl):
        port, log = _free_port(), tmp / "dbrestart.log"
        base = f"http://127.0.0.1:{port}/api/v1"
        proc = _start(url, port, log)
        out = Outcomes()
        try:
            headers = login(base)
            with IntakeLoad(base, headers, out, "dbr"):
                time.sleep(2.0)
                before = len(out.acked)
                ctl.stop()
                time.sleep(gap_s)
                ctl.start()
                t0 = time.monotonic()
                while len(out.acked) == before or time.monotonic() - t0 < 2.0:
                    if time.monotonic() - t0 > 60:
                        break
                    time.sleep(0.1)
                resume_s = time.monotonic() - t0
            never = retry_unacked(base, headers, out)
        finally:
            _stop(proc)
        lost, dups = lost_and_duplicates(url, out)
    return {
        "gap_s": gap_s,
        "acked": len(out.acked),
        "lost": lost,
        "duplicates": dups,
        "server_errors": out.server_errors,
        "unavailable_503": out.unavailable,
        "transport_errors": out.transport,
        "never_acked_after_retry": never,
        "resume_s": round(resume_s, 2),
    }


def _fill(path: Path) -> int:
    """Write ``path`` until the file system is full; returns bytes written."""
    written = 0
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for size in (1 << 20, 1 << 12, 1 << 9):
            chunk = b"\0" * size
            while True:
                try:
                    written += os.write(fd, chunk)
                except OSError as exc:
                    if exc.errno != errno.ENOSPC:
                        raise
                    break
        os.fsync(fd)
    finally:
        os.close(fd)
    return written


def disk_full(size_mb: int = 48) -> dict[str, Any]:
    """SQLite on a small tmpfs: fill it under load, then free the space; nothing may 500 or lie."""
    mnt = Path(tempfile.mkdtemp(prefix="xf-full-"))
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(mnt)], check=True)
    try:
        return _disk_full_in(mnt)
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)
        with contextlib.suppress(OSError):
            mnt.rmdir()


def _disk_full_in(mnt: Path) -> dict[str, Any]:
    url, port, log = f"sqlite:///{mnt / 'full.db'}", _free_port(), mnt.parent / f"{mnt.name}.log"
    base = f"http://127.0.0.1:{port}/api/v1"
    proc = _start(url, port, log)
    out = Outcomes()
    reads = reads_ok = 0
    try:
        headers = login(base)
        filler = mnt / "filler"
        _fill(filler)
        with IntakeLoad(base, headers, out, "full", workers=2), httpx.Client(timeout=10) as c:
            end = time.monotonic() + 4.0
            while time.monotonic() < end:
                reads += 1
                r = c.get(f"{base}/incidents?limit=20", headers=headers)
                reads_ok += r.status_code == 200
                out.server_errors += r.status_code >= 500 and r.status_code != 503
                time.sleep(0.2)
        refused = out.unavailable
        acked_while_full = len(out.acked)
        filler.unlink()
        t0 = time.monotonic()
        never = retry_unacked(base, headers, out, budget_s=30)
        resume_s = time.monotonic() - t0
    finally:
        _stop(proc)
    lost, _dups = lost_and_duplicates(url, out)
    log.unlink(missing_ok=True)
    return {
        "server_errors": out.server_errors,
        "false_acks": lost,
        "writes_refused_503": refused,
        "acked_while_full": acked_while_full,
        "reads": reads,
        "reads_ok": reads_ok,
        "never_acked_after_space_returned": never,
        "resume_s": round(resume_s, 2),
    }
