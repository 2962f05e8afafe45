"""How much of a run SQLite's write gate was held, sampled from ``/proc/locks`` by the benchmark.

Why: SQLite has one writer at a time, and xunfang's writers queue on a gate (an ``flock`` on
``<database>-writer.lock``, held from BEGIN to the end of the write; see ``xunfang.store.db``).
When that gate is held most of the time, writes wait in its queue whatever the host's spare
cores, and a latency tail is the gate's, not the CPU's. The server is not touched: the lock is
visible to any process in ``/proc/locks``, so the benchmark samples it every few milliseconds.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from xunfang.bench.cpu_use import Sampler

_LOCKS = Path("/proc/locks")


class GateUse(Sampler):
    """``with GateUse(db_path) as gate: ...`` then ``gate.share()``: the fraction of samples in
    which some process held the write gate of the SQLite file ``db_path`` (None off Linux, or
    when the lock file does not exist: not a SQLite file served by xunfang)."""

    def __init__(self, db_path: Path, interval_s: float = 0.005) -> None:
        super().__init__("gate-use")
        self._lock_file = Path(f"{db_path}-writer.lock")
        self.interval_s = interval_s
        self._needle = ""
        self._busy = self._samples = 0

    def __enter__(self) -> GateUse:
        try:
            st = os.stat(self._lock_file)
            _LOCKS.read_text()
        except OSError:
            return self
        # /proc/locks names a lock's file as major:minor:inode (hex device numbers)
        self._needle = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino} "
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                text = _LOCKS.read_text()
            except OSError:
                return
            self._samples += 1
            # a waiter is listed too, as "-> FLOCK ...": only a holder counts
            self._busy += any(
                self._needle in line and "FLOCK" in line and "->" not in line for line in text.splitlines()
            )
            time.sleep(self.interval_s)

    def share(self) -> float | None:
        return round(self._busy / self._samples, 3) if self._samples else None
