"""Live-feed fan-out lag during the surge: an SSE subscriber in its own process measures, for each
event, the time from the broker stamping it (``published_at``) to the subscriber reading it.

Why a process of its own: in the load generator's process the reader would wait for the GIL
behind the load and the lag would be the client's. Client and server share the machine's clock.

Completeness: the subscriber records the id of every incident event it reads, and the surge
compares them with the incidents it created (``fanout_received`` / ``fanout_expected``). The load
starts only once the stream is connected (a ready file, not a fixed sleep), and after the surge the
subscriber reads on until the server's queue is drained (a ping: the stream was idle for 0.5 s), so
neither the first nor the last events of the surge are missed by the measurement itself. A
``resync`` event (the server dropped a backlog this slow client could not take) is counted.
"""

from __future__ import annotations

import json
import multiprocessing
import time
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from xunfang.bench.service import _pct

START_S = 60.0  # at most this long for process start-up, imports and the stream's connection


class Listener:
    """``with Listener(base, headers, stop_file):`` subscribes for the duration of the block."""

    def __init__(self, base: str, headers: dict[str, str], stop_file: Path, max_s: float) -> None:
        self.base, self.headers, self.stop_file, self.max_s = base, headers, stop_file, max_s
        self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        self._fut: Future[dict[str, Any]] | None = None

    @property
    def ready_file(self) -> Path:
        return self.stop_file.with_suffix(".ready")

    def __enter__(self) -> Listener:
        self.stop_file.unlink(missing_ok=True)
        self.ready_file.unlink(missing_ok=True)
        self._fut = self._pool.submit(listen, self.base, self.headers, str(self.stop_file), self.max_s)
        deadline = time.monotonic() + START_S
        while not self.ready_file.exists() and not self._fut.done() and time.monotonic() < deadline:
            time.sleep(0.05)
        return self

    def __exit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self.stop_file.touch()

    def result(self) -> dict[str, Any]:
        assert self._fut is not None
        try:
            return self._fut.result(timeout=60)
        finally:
            self._pool.shutdown()


def listen(base: str, headers: dict[str, str], stop_file: str, max_s: float) -> dict[str, Any]:
    """Read the live feed until ``stop_file`` exists; lag percentiles per event kind and overall."""
    lags: dict[str, list[float]] = {}
    incident_ids: set[int] = set()
    resyncs = 0
    end = time.monotonic() + max_s
    stop = Path(stop_file)
    ready = stop.with_suffix(".ready")
    ended = "stream closed by the server"
    try:
        with (
            httpx.Client(timeout=httpx.Timeout(10, read=5)) as c,
            c.stream("GET", f"{base}/live?ping_s=0.5", headers=headers) as r,
        ):
            if r.status_code != 200:
                return {"error": f"live feed answered {r.status_code}"}
            for line in _lines(r):
                if line.startswith("data:"):
                    got = time.time()
                    ev = json.loads(line[5:])
                    if "published_at" in ev:
                        kind = str(ev.get("kind"))
                        lags.setdefault(kind, []).append((got - float(ev["published_at"])) * 1000)
                        if kind == "incident" and isinstance(ev.get("incident_id"), int):
                            incident_ids.add(ev["incident_id"])
                    elif "resync" in ev:
                        resyncs += 1
                    else:
                        ended = f"stream sent {line[:200]}"
                elif line.startswith(": connected"):
                    ready.touch()
                elif time.monotonic() > end or (line.startswith(": ping") and stop.exists()):
                    # a ping comes only after 0.5 s without an event: the server's queue is drained
                    ended = "end of the surge"
                    break
    except httpx.HTTPError as exc:  # the figures so far are kept; how it ended is reported
        ended = f"{type(exc).__name__}: {str(exc)[:200]}"
    every = [x for v in lags.values() for x in v]
    return {
        "fanout_p50_ms": _pct(every, 50),
        "fanout_p99_ms": _pct(every, 99),
        "fanout_max_ms": round(max(every), 1) if every else None,
        "fanout_events": len(every),
        "fanout_ended": ended,
        "fanout_resyncs": resyncs,
        "fanout_incident_ids": sorted(incident_ids),
        "fanout_by_kind": {k: {"events": len(v), "p99_ms": _pct(v, 99)} for k, v in sorted(lags.items())},
    }


def _lines(r: httpx.Response) -> Iterator[str]:
    """The stream's lines. httpx's own ``iter_lines`` kept this process at a full core during the
    surge (about 350 events/s), a core the server under test then did not have."""
    tail = b""
    for chunk in r.iter_bytes():
        *lines, tail = (tail + chunk).split(b"\n")
        for raw in lines:
            yield raw.rstrip(b"\r").decode()


def completeness(res: dict[str, Any], created: list[int]) -> dict[str, Any]:
    """``fanout_received`` of ``fanout_expected`` incidents created during the surge were seen on the
    live feed (the id list itself is dropped from the result)."""
    seen = set(res.pop("fanout_incident_ids", []))
    missing = sorted(set(created) - seen)
    return {
        "fanout_expected": len(created),
        "fanout_received": len(created) - len(missing),
        "fanout_missed": len(missing),
        "fanout_missing_first": missing[:10],
    }
