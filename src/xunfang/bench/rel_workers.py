"""Several workers (`xunfang serve --workers N` on PostgreSQL + Redis): a rolling restart and a
killed worker under an intake load whose clients retry with their Idempotency-Keys.

The workers are found through the ``x-xunfang-worker`` header every answer carries; a rolling
restart is uvicorn's (SIGHUP to the supervisor: each worker is replaced by one that already serves).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from xunfang.api.workers import WORKER_HEADER
from xunfang.bench.rel_load import IntakeLoad, Outcomes, login, lost_and_duplicates, retry_unacked
from xunfang.bench.service import _free_port
from xunfang.core.errors import Unavailable


class Pool:
    """A running `xunfang serve --workers N` (the supervisor process and its port)."""

    def __init__(self, url: str, workers: int, log: Path, *, demo: str = "chicago") -> None:
        self.url, self.workers, self.log = url, workers, log
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}/api/v1"
        cmd = [sys.executable, "-m", "xunfang.cli", "serve", "--port", str(self.port), "--db", url]
        cmd += ["--workers", str(workers), "--demo", demo, "--log-level", "warning"]
        self.proc = subprocess.Popen(
            cmd, stdout=log.open("ab"), stderr=subprocess.STDOUT, env=dict(os.environ)
        )

    def seen(self, *, tries: int = 40) -> set[str]:
        """Worker ids answering now (fresh connections; the kernel spreads them over the workers)."""
        ids: set[str] = set()
        for _ in range(tries):
            with contextlib.suppress(httpx.HTTPError):
                r = httpx.get(f"{self.base}/openapi.json", timeout=5)
                if r.status_code == 200:
                    ids.add(r.headers[WORKER_HEADER])
            if len(ids) >= self.workers:
                break
        return ids

    def wait(self, *, exclude: set[str] | frozenset[str] = frozenset(), budget_s: float = 240.0) -> set[str]:
        """Until ``workers`` distinct workers answer and none of them is in ``exclude``."""
        deadline = time.monotonic() + budget_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise Unavailable(f"worker pool exited: {self.log.read_text()[-1500:]}")
            ids = self.seen()
            if len(ids) >= self.workers and not ids & exclude:
                return ids
            time.sleep(0.3)
        raise Unavailable(f"workers did not come up within {budget_s:.0f} s: {self.log.read_text()[-1500:]}")

    def rolling_restart(self) -> set[str]:
        """SIGHUP: uvicorn replaces the workers one by one; returns the new worker ids."""
        old = self.wait()
        self.proc.send_signal(signal.SIGHUP)
        return self.wait(exclude=old)

    def kill_one(self) -> tuple[str, set[str]]:
        """SIGKILL one worker (pid from its id); returns it and the ids once a replacement serves."""
        old = self.wait()
        victim = sorted(old)[0]
        os.kill(int(victim.split(":")[1]), signal.SIGKILL)
        return victim, self.wait(exclude={victim})

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


@contextlib.contextmanager
def pool(url: str, workers: int, log: Path) -> Iterator[Pool]:
    p = Pool(url, workers, log)
    try:
        p.wait()
        yield p
    finally:
        p.stop()


def rolling(url: str, tmp: Path, *, workers: int = 2, restarts: int = 1, kills: int = 1) -> dict[str, Any]:
    """A fresh pool on ``url``: rolling restarts and worker kills under load (see :func:`exercise`)."""
    with pool(url, workers, tmp / "workers.log") as p:
        return exercise(p, restarts=restarts, kills=kills)


def exercise(p: Pool, *, restarts: int = 1, kills: int = 1, prefix: str = "workers") -> dict[str, Any]:
    """Rolling restarts, then SIGKILLs of single workers, under an intake load; clients retry every
    key they are unsure of. Failures, losses and duplicates are counted from the clients and the
    database."""
    out = Outcomes()
    t0 = time.monotonic()
    headers = login(p.base)
    with IntakeLoad(p.base, headers, out, prefix, workers=3):
        time.sleep(1.0)
        for _ in range(restarts):
            p.rolling_restart()
        for _ in range(kills):
            p.kill_one()
        time.sleep(1.0)
    first_try_failures = len(out.attempted) - len(out.acked)
    never = retry_unacked(p.base, headers, out)
    lost, dups = lost_and_duplicates(p.url, out)
    return {
        "workers": p.workers,
        "rolling_restarts": restarts,
        "worker_kills": kills,
        "attempted": len(out.attempted),
        "acked": len(out.acked),
        "first_try_failures": first_try_failures,
        "rolling_restart_failed": never,
        "server_errors": out.server_errors,
        "lost": lost,
        "duplicates": dups,
        "seconds": round(time.monotonic() - t0, 1),
    }
