"""Units and their positions (AVL).

Fixes arrive in batches. The newest fix per unit is kept in memory (:class:`PositionCache`) and in
``unit_positions``, where a conditional upsert makes sure an older fix never overwrites a newer one
even when batches arrive out of order; every fix is appended to ``unit_tracks`` in one insert. The
service writes the tables from a background thread (:mod:`xunfang.store.track_writer`).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from xunfang.core.errors import NotFound
from xunfang.store.models import Unit, UnitPosition, UnitTrack


class Fix(NamedTuple):
    """One position fix (a tuple: thousands are made per second)."""

    unit_id: str
    lon: float
    lat: float
    at: datetime


class PositionCache:
    """Latest fix per unit, shared by request threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fixes: dict[str, Fix] = {}

    def load(self, session: Session) -> None:
        with session.begin():
            rows = session.execute(select(UnitPosition)).scalars().all()
        self.offer([Fix(r.unit_id, r.lon, r.lat, r.at) for r in rows])

    def offer(self, fixes: Sequence[Fix]) -> int:
        """Keep fixes newer than what is held; returns how many were newer."""
        n = 0
        with self._lock:
            for f in fixes:
                cur = self._fixes.get(f.unit_id)
                if cur is None or f.at > cur.at:
                    self._fixes[f.unit_id] = f
                    n += 1
        return n

    def get(self, unit_id: str) -> Fix | None:
        return self._fixes.get(unit_id)

    def snapshot(self) -> dict[str, Fix]:
        with self._lock:
            return dict(self._fixes)


def ingest(session: Session, fixes: Sequence[Fix], *, check_units: bool = True) -> list[Fix]:
    """Store a batch; returns the newest fix per unit of the batch (for the cache).

    With ``check_units`` an unknown unit id refuses the whole batch; without it (the background
    writer, whose fixes were checked on arrival) fixes of units that no longer exist are skipped.
    """
    ids = sorted({f.unit_id for f in fixes})
    with session.begin():
        known = set(session.execute(select(Unit.id).where(Unit.id.in_(ids))).scalars())
        unknown = [i for i in ids if i not in known]
        if unknown and check_units:
            raise NotFound(f"unknown unit id(s): {', '.join(unknown[:20])}; see GET /api/v1/units")
        fixes = [f for f in fixes if f.unit_id in known]
        if not fixes:
            return []
        session.execute(insert(UnitTrack), [f._asdict() for f in fixes])
        latest = newest(fixes)
        _upsert_latest(session, latest)
    return latest


def newest(fixes: Sequence[Fix]) -> list[Fix]:
    """The newest fix of each unit in a batch."""
    out: dict[str, Fix] = {}
    for f in fixes:
        if f.unit_id not in out or f.at > out[f.unit_id].at:
            out[f.unit_id] = f
    return list(out.values())


class KnownUnits:
    """Unit ids known to exist, so that a position request is checked without a query.

    Units are only ever added, so a hit is final; a miss asks the database once.
    """

    def __init__(self) -> None:
        self._ids: set[str] = set()
        self._lock = threading.Lock()

    def check(self, sessions: sessionmaker[Session], ids: set[str]) -> None:
        """Raise NotFound naming the ids that are not units."""
        missing = ids - self._ids
        if not missing:
            return
        with sessions() as session, session.begin():
            found = set(session.execute(select(Unit.id).where(Unit.id.in_(sorted(missing)))).scalars())
        with self._lock:
            self._ids |= found
        unknown = sorted(missing - found)
        if unknown:
            raise NotFound(f"unknown unit id(s): {', '.join(unknown[:20])}; see GET /api/v1/units")


def _upsert_latest(session: Session, fixes: list[Fix]) -> None:
    dialect = session.get_bind().dialect.name
    mod = postgresql if dialect == "postgresql" else sqlite
    stmt = mod.insert(UnitPosition)
    stmt = stmt.on_conflict_do_update(
        index_elements=[UnitPosition.unit_id],
        set_={"lon": stmt.excluded.lon, "lat": stmt.excluded.lat, "at": stmt.excluded.at},
        where=stmt.excluded.at > UnitPosition.at,
    )
    session.execute(stmt, [f._asdict() for f in fixes])


def listing(session: Session, *, station: str | None = None) -> Sequence[Unit]:
    stmt = select(Unit).order_by(Unit.id)
    if station is not None:
        stmt = stmt.where(Unit.station_code == station)
    return session.execute(stmt).scalars().all()
