"""Position fixes written to the database in batches, off the request path.

Why: thousands of fixes arrive each second and each request's batch, committed on its own, costs a
durable commit (an fsync on SQLite) and holds SQLite's single write lock that incident intake is
waiting for. The newest fix per unit is already in memory (:class:`~xunfang.store.units.PositionCache`)
when a position request returns, so the tables may follow a fraction of a second later: one
background thread gathers what arrived during ``interval_s`` and writes it in one transaction.

What can be lost: on a crash, the fixes of the last ``interval_s`` (track points, not incidents,
which are committed inside their own request). When the database is down the batch is kept and
retried; beyond ``max_pending`` fixes the oldest are dropped and counted in ``dropped``. Readers
that need every stored fix (supervision, volunteer hours) call :meth:`TrackWriter.flush` first.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from xunfang.store.units import Fix, ingest

log = logging.getLogger(__name__)


class TrackWriter:
    """One background thread appending fixes to ``unit_tracks`` and ``unit_positions``."""

    def __init__(
        self, sessions: sessionmaker[Session], *, interval_s: float = 0.25, max_pending: int = 500_000
    ) -> None:
        self._sessions = sessions
        self.interval_s = interval_s
        self.max_pending = max_pending
        self._pending: list[Fix] = []
        self._cond = threading.Condition()
        self._write = threading.Lock()  # the thread and flush() callers write one at a time
        self._thread: threading.Thread | None = None
        self._closing = False
        self.written = 0
        self.dropped = 0
        self.failures = 0

    @property
    def pending(self) -> int:
        return len(self._pending)

    def submit(self, fixes: Sequence[Fix]) -> None:
        """Queue fixes (already validated) for the next batch."""
        with self._cond:
            self._pending.extend(fixes)
            over = len(self._pending) - self.max_pending
            if over > 0:
                del self._pending[:over]
                self.dropped += over
            if self._thread is None and not self._closing:
                self._thread = threading.Thread(target=self._run, name="track-writer", daemon=True)
                self._thread.start()
            self._cond.notify()

    def flush(self) -> None:
        """Write everything queued so far, now (raises if the database refuses it; nothing is lost)."""
        with self._write:
            with self._cond:
                batch, self._pending = self._pending, []
            if not batch:
                return
            try:
                with self._sessions() as session:
                    ingest(session, batch, check_units=False)
            except BaseException:
                with self._cond:
                    self._pending[:0] = batch
                raise
            self.written += len(batch)

    def close(self) -> None:
        """Stop the thread after a last flush (service shutdown)."""
        with self._cond:
            self._closing = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self.flush()

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._closing or bool(self._pending))
                if self._closing:
                    return
            time.sleep(self.interval_s)  # let a batch gather
            try:
                self.flush()
            except SQLAlchemyError as exc:
                self.failures += 1
                log.warning("track writer: %d fixes kept for retry: %s", self.pending, exc)
                time.sleep(1.0)
