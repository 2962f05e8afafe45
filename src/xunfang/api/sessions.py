"""Session checks on every request, from memory: revocation and the idle lock.

*Revocation.* Each user has a session version in the database; a token carries the version it
was issued under. The guard keeps every user's (version, disabled) in memory and reloads the
whole table (one small query) when its copy is older than ``revocation_check_s`` (≤ 5 s), so a
revocation made by another worker or by ``xunfang users revoke`` is seen within that time, and a
revocation made through this worker at once. No request pays a database query for it.

*Idle lock.* Each login is a row of ``auth_sessions`` with its last activity. The guard keeps the
last activity per session in memory and writes it through at most once per ``FLUSH`` per
session and worker; before declaring a session idle it re-reads the row, so activity seen by another worker
(at most ``FLUSH`` old) keeps the session open. A locked session stays locked: log in again.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import InterfaceError, InternalError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from xunfang.api.security import Principal
from xunfang.store.models import AuthSession, User
from xunfang.store.users import AuthFailed

FLUSH = timedelta(seconds=60)
KEEP_ROWS = timedelta(days=2)  # longer than any token lives (token_minutes ≤ 24 h)


class SessionEnded(AuthFailed):
    """The token is genuine but its session was revoked or locked for inactivity."""


@dataclass
class _Seen:
    last: datetime  # last activity known to this worker
    synced: datetime  # when this worker last read or wrote the row


class SessionGuard:
    def __init__(self, sessions: sessionmaker[Session], *, idle_minutes: int, check_s: float) -> None:
        self._db = sessions
        self.idle = timedelta(minutes=idle_minutes) if idle_minutes > 0 else None
        self.check_s = check_s
        self._versions: dict[str, tuple[int, bool]] = {}
        self._loaded = float("-inf")
        self._seen: dict[str, _Seen] = {}
        self._lock = threading.Lock()
        self._reloading = threading.Lock()

    # -- revocation ------------------------------------------------------------------------------
    def _reload(self) -> None:
        with self._db() as s, s.begin():
            rows = s.execute(select(User.name, User.session_version, User.disabled)).all()
        with self._lock:
            self._versions = {n: (int(v or 0), bool(d)) for n, v, d in rows}
            self._loaded = time.monotonic()

    def note(self, name: str, version: int, disabled: bool) -> None:
        """This worker changed (or read) ``name``'s version: use it now, not after the next reload."""
        with self._lock:
            self._versions[name] = (version, disabled)

    def _current(self, name: str) -> tuple[int, bool] | None:
        """One thread reloads a stale copy; the others go on with it meanwhile (a known user) or
        wait for it (a user not in the copy yet)."""
        known = name in self._versions
        if (time.monotonic() - self._loaded > self.check_s or not known) and self._reloading.acquire(
            blocking=not known
        ):
            try:
                if time.monotonic() - self._loaded > self.check_s or name not in self._versions:
                    self._reload()
            finally:
                self._reloading.release()
        return self._versions.get(name)

    # -- sessions --------------------------------------------------------------------------------
    def start(self, *, sid: str, user: str, now: datetime) -> None:
        """Record a new login; rows of sessions long expired are removed on the way."""
        with self._db() as s, s.begin():
            s.execute(delete(AuthSession).where(AuthSession.last_seen_at < now - KEEP_ROWS))
            s.add(AuthSession(sid=sid, user_name=user, issued_at=now, last_seen_at=now))
        with self._lock:
            self._seen[sid] = _Seen(now, now)

    def check(self, p: Principal, *, now: datetime, touch: bool = True) -> None:
        """Raise SessionEnded when ``p``'s token was revoked or its session is idle-locked.

        ``touch`` counts the call as activity (REST requests do, the live feed's checks do not).
        """
        cur = self._current(p.name)
        if cur is None or cur[1] or cur[0] != p.version:
            raise SessionEnded("this session was revoked by an administrator; log in again")
        if self.idle is not None and p.sid:
            self._check_idle(p, now, touch, self.idle)

    def _check_idle(self, p: Principal, now: datetime, touch: bool, idle: timedelta) -> None:
        with self._lock:
            seen = self._seen.get(p.sid)
        if seen is None or now - seen.synced > FLUSH or now - seen.last > idle:
            seen = self._sync(p, now, seen, touch, idle)
        elif touch:
            seen.last = now
        if now - seen.last > idle:
            minutes = int(idle.total_seconds() // 60)
            raise SessionEnded(f"session locked after {minutes} minutes without activity; log in again")

    def _sync(self, p: Principal, now: datetime, seen: _Seen | None, touch: bool, idle: timedelta) -> _Seen:
        """Merge this worker's view with the row; an activity (``touch``) is written through, so
        the row is never more than FLUSH behind what any worker saw. When the database refuses the
        write (read-only, restarting) a session this worker already knows goes on from its memory
        and the row is written at a later sync, so reads keep working meanwhile."""
        try:
            return self._write_through(p, now, seen, touch, idle)
        except (OperationalError, InternalError, InterfaceError):
            if seen is None:
                raise
            kept = _Seen(max(seen.last, now) if touch and now - seen.last <= idle else seen.last, now)
            with self._lock:
                self._seen[p.sid] = kept
            return kept

    def _write_through(
        self, p: Principal, now: datetime, seen: _Seen | None, touch: bool, idle: timedelta
    ) -> _Seen:
        with self._db() as s, s.begin():
            row = s.get(AuthSession, p.sid)
            if row is None:  # a token minted outside a login (tests, tools): its session starts now
                row = AuthSession(sid=p.sid, user_name=p.name, issued_at=now, last_seen_at=now)
                s.add(row)
            last = max(row.last_seen_at, seen.last) if seen else row.last_seen_at
            if touch and now - last <= idle:
                last = now
            row.last_seen_at = max(row.last_seen_at, last)
        merged = _Seen(last, now)
        with self._lock:
            self._seen[p.sid] = merged
            if len(self._seen) > 10_000:
                self._prune(now)
        return merged

    def _prune(self, now: datetime) -> None:
        horizon = self.idle or KEEP_ROWS
        self._seen = {k: v for k, v in self._seen.items() if now - v.last <= horizon}
