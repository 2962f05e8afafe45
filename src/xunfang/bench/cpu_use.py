"""Where a benchmark's CPU went: cores used by the server under test (with its worker processes),
by the database server and by the load generator itself, sampled from ``/proc`` during the run.

Why: a latency figure alone does not say whether the server was saturated. On a 2-core host a
server process that needs more than one core of Python (one GIL) queues requests however well its
code waits, and the same code meets or misses a target depending on the host's speed. The
surge reports these means next to its percentiles, with the server's CPU time for one light
request measured on the idle server first (a host-speed reference: it was 3x apart on two
machines of the same kind here, while a plain Python loop timed the same), so a reader can tell
a slow host from a slow change.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

_PROC = Path("/proc")


def tree_cpu_s(pid: int) -> float | None:
    """CPU seconds used so far by ``pid`` and its children (None off Linux)."""
    if not _PROC.is_dir():
        return None
    total = 0.0
    for entry in _PROC.iterdir():
        fields = _stat(entry.name) if entry.name.isdigit() else None
        if fields is not None and pid in (int(entry.name), int(fields[1])):
            total += _seconds(fields)
    return total


def _stat(pid: int | str) -> list[str] | None:
    try:
        return (_PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None  # the process ended meanwhile


def _seconds(fields: list[str]) -> float:
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


class Sampler:
    """A background thread sampling something during a ``with`` block: subclasses start it in
    ``__enter__`` (``self._thread.start()``) and loop in ``_run`` until ``self._stop`` is set."""

    def __init__(self, name: str) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _run(self) -> None:
        raise NotImplementedError

    def __exit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()


class CpuUse(Sampler):
    """``with CpuUse(server_pid) as cpu: ...`` then ``cpu.result()``: mean cores of each group.

    Groups: ``server`` (``server_pid`` and its children), ``database`` (processes named
    ``postgres``), ``load`` (this process and its other children, such as a live-feed subscriber).
    A process that ends between samples loses its last interval, which only makes the means
    slightly low. Off Linux (no ``/proc``) the result is empty.
    """

    def __init__(self, server_pid: int, interval_s: float = 1.0) -> None:
        super().__init__("cpu-use")
        self.server_pid, self.interval_s = server_pid, interval_s
        self._first: dict[str, float] = {}
        self._last: dict[str, float] = {}
        self._peak: dict[str, float] = {}
        self._t: tuple[float, float] = (0.0, 0.0)

    def __enter__(self) -> CpuUse:
        if _PROC.is_dir():
            self._first = self._last = self._sample()
            self._t = (time.monotonic(), time.monotonic())
            self._thread.start()
        return self

    def _sample(self) -> dict[str, float]:
        out = {"server": 0.0, "database": 0.0, "load": 0.0}
        for entry in _PROC.iterdir():
            if not entry.name.isdigit():
                continue
            fields = _stat(entry.name)
            if fields is None:
                continue
            pid, ppid = int(entry.name), int(fields[1])
            if self.server_pid in (pid, ppid):
                out["server"] += _seconds(fields)
            elif os.getpid() in (pid, ppid):
                out["load"] += _seconds(fields)
            elif _comm(entry) == "postgres":
                out["database"] += _seconds(fields)
        return out

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            now, cur = time.monotonic(), self._sample()
            dt = now - self._t[1]
            for k, v in cur.items():
                self._peak[k] = max(self._peak.get(k, 0.0), max(0.0, v - self._last[k]) / dt)
            self._last, self._t = cur, (self._t[0], now)

    def result(self) -> dict[str, Any]:
        span = self._t[1] - self._t[0]
        if not self._first or span <= 0:
            return {}
        return {
            "mean_cores": {k: round(max(0.0, self._last[k] - v) / span, 2) for k, v in self._first.items()},
            "peak_cores": {k: round(v, 2) for k, v in self._peak.items()},
            "host_cores": os.cpu_count(),
        }


def _comm(entry: Path) -> str:
    try:
        return (entry / "comm").read_text().strip()
    except OSError:
        return ""
