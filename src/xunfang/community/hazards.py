"""Hazards (M22): found → assigned → rectified → verified, with deadlines and overdue warnings.

A hazard is overdue when it is not yet rectified and its deadline has passed, or when it was
rectified after its deadline (a late fix stays on the record).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from xunfang.community.policy import HAZARD_CATEGORIES, check_time, choice
from xunfang.core.errors import Conflict, InvalidInput, NotFound
from xunfang.core.geo import check_lonlat
from xunfang.jurisdiction.model import Jurisdiction
from xunfang.store import audit
from xunfang.store.community import Hazard, Volunteer

NEXT = {
    "assign": ("found", "assigned"),
    "rectify": ("assigned", "rectified"),
    "verify": ("rectified", "verified"),
}
DEFAULT_DEADLINE_DAYS = 7


@dataclass(frozen=True)
class HazardInput:
    category: str
    description: str
    lon: float
    lat: float
    found_at: datetime | None = None
    deadline_days: int | None = None
    volunteer_code: str | None = None


def create_in(
    session: Session,
    data: HazardInput,
    *,
    actor: str,
    jur: Jurisdiction,
    now: datetime,
    report_id: int | None = None,
) -> Hazard:
    """Record a found hazard inside the caller's transaction."""
    choice(data.category, HAZARD_CATEGORIES, "category")
    check_lonlat(data.lon, data.lat, name="lon")
    if not data.description.strip():
        raise InvalidInput("description: say what the hazard is", field="description")
    found = check_time(data.found_at or now, "found_at", now=now)
    loc = jur.locate(data.lon, data.lat)
    vol_id = None
    if data.volunteer_code:
        vol = session.execute(
            select(Volunteer).where(Volunteer.code == data.volunteer_code)
        ).scalar_one_or_none()
        if vol is None:
            raise NotFound(f"volunteer {data.volunteer_code!r} is not registered", field="volunteer")
        vol_id = vol.id
    days = data.deadline_days
    if days is not None and not 1 <= days <= 365:
        raise InvalidInput(f"deadline_days {days}: expected 1..365", field="deadline_days")
    hz = Hazard(
        category=data.category,
        description=data.description.strip()[:2000],
        lon=data.lon,
        lat=data.lat,
        station_code=loc.station,
        status="found",
        found_at=found,
        found_by=actor,
        found_by_volunteer_id=vol_id,
        report_id=report_id,
        deadline_at=found + timedelta(days=days or DEFAULT_DEADLINE_DAYS),
        note="",
    )
    session.add(hz)
    session.flush()
    audit.append(
        session, actor=actor, action="hazard.found", target=f"hazard:{hz.id}", detail={"station": loc.station}
    )
    return hz


def get(session: Session, hazard_id: int, station: str | None, *, lock: bool = False) -> Hazard:
    stmt = select(Hazard).where(Hazard.id == hazard_id)
    if lock:
        stmt = stmt.with_for_update()
    hz = session.execute(stmt).scalar_one_or_none()
    if hz is None or (station is not None and hz.station_code != station):
        raise NotFound(f"no hazard with id {hazard_id} in your jurisdiction")
    return hz


def advance(
    session: Session,
    hazard_id: int,
    step: str,
    *,
    actor: str,
    station: str | None,
    now: datetime,
    assignee: str | None = None,
    deadline_at: datetime | None = None,
    note: str = "",
) -> Hazard:
    """Move a hazard one step along its lifecycle (assign needs an assignee and may set a deadline)."""
    choice(step, tuple(NEXT), "step")
    with session.begin():
        hz = get(session, hazard_id, station, lock=True)
        before, after = NEXT[step]
        if hz.status != before:
            raise Conflict(
                f"hazard {hazard_id} is {hz.status}; '{step}' needs it to be {before}", field="step"
            )
        if step == "assign":
            if not (assignee or "").strip():
                raise InvalidInput("assignee: who must rectify the hazard", field="assignee")
            if deadline_at is not None and deadline_at <= hz.found_at:
                raise InvalidInput("deadline_at must be after the hazard was found", field="deadline_at")
            hz.assignee, hz.assigned_at = str(assignee).strip()[:128], now
            hz.deadline_at = deadline_at or hz.deadline_at
        elif step == "rectify":
            hz.rectified_at = now
        else:
            hz.verified_at, hz.verified_by = now, actor
        hz.status = after
        if note:
            hz.note = (hz.note + "\n" if hz.note else "") + note[:2000]
        audit.append(
            session, actor=actor, action=f"hazard.{step}", target=f"hazard:{hz.id}", detail={"after": after}
        )
    return hz


def is_overdue(hz: Hazard, now: datetime) -> bool:
    if hz.deadline_at is None:
        return False
    if hz.rectified_at is not None:
        return hz.rectified_at > hz.deadline_at
    return now > hz.deadline_at


def listing(
    session: Session, *, station: str | None, status: str | None, overdue_only: bool, now: datetime
) -> Sequence[Hazard]:
    stmt = select(Hazard).order_by(Hazard.id.desc())
    if station is not None:
        stmt = stmt.where(Hazard.station_code == station)
    if status is not None:
        stmt = stmt.where(
            Hazard.status == choice(status, ("found", "assigned", "rectified", "verified"), "status")
        )
    rows = session.execute(stmt).scalars().all()
    return [h for h in rows if is_overdue(h, now)] if overdue_only else rows


def overdue_warnings(session: Session, now: datetime) -> list[dict[str, object]]:
    """Open hazards past their deadline, oldest deadline first (for the live feed and bulletins)."""
    stmt = select(Hazard).where(Hazard.status.in_(("found", "assigned")), Hazard.deadline_at < now)
    rows = session.execute(stmt.order_by(Hazard.deadline_at)).scalars().all()
    return [
        {
            "hazard_id": h.id,
            "station": h.station_code,
            "status": h.status,
            "deadline_at": h.deadline_at.isoformat() if h.deadline_at else None,
            "overdue_h": round((now - h.deadline_at).total_seconds() / 3600, 1) if h.deadline_at else None,
            "level": "red" if h.deadline_at and now - h.deadline_at > timedelta(days=7) else "yellow",
        }
        for h in rows
    ]
