"""Disputes (M21): registry with protected parties, mediators, outcomes and resolution rates.

Parties are stored as JSON in one column and only ever shown to station staff and above (the API
withholds them like a caller's identity). The resolution rate of a period counts disputes opened in
it: resolved / all opened (pending ones stay in the denominator, honestly lowering the rate).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from xunfang.community.policy import DISPUTE_CATEGORIES, DISPUTE_OUTCOMES, check_day, choice
from xunfang.core.errors import Conflict, InvalidInput, NotFound
from xunfang.core.geo import check_lonlat
from xunfang.jurisdiction.model import Jurisdiction
from xunfang.store import audit
from xunfang.store.community import Dispute, Mediator, Volunteer


@dataclass(frozen=True)
class DisputeInput:
    category: str
    lon: float
    lat: float
    parties: tuple[tuple[str, str | None], ...]
    mediator: str
    opened_on: date
    summary: str = ""
    outcome: str = "pending"
    closed_on: date | None = None
    helper_volunteer: str | None = None


def add_mediator(session: Session, *, code: str, name: str, station: str, actor: str) -> Mediator:
    with session.begin():
        med = Mediator(code=code, name=name, station_code=station)
        session.add(med)
        try:
            session.flush()
        except IntegrityError:
            raise Conflict(f"mediator code {code!r} is already registered", field="code") from None
        audit.append(session, actor=actor, action="mediator.add", target=f"mediator:{code}")
    return med


def mediators(session: Session) -> Sequence[Mediator]:
    return session.execute(select(Mediator).order_by(Mediator.code)).scalars().all()


def _check_dates(opened: date, closed: date | None, outcome: str, today: date) -> None:
    check_day(opened, "opened_on", today=today)
    if closed is not None:
        check_day(closed, "closed_on", today=today)
        if closed < opened:
            raise InvalidInput(f"closed_on {closed} is before opened_on {opened}", field="closed_on")
    if outcome not in {"pending", "continued"} and closed is None:
        raise InvalidInput(
            f"outcome {outcome!r} needs closed_on (the date it was settled)", field="closed_on"
        )


def register(
    session: Session, data: DisputeInput, *, actor: str, jur: Jurisdiction, now: datetime
) -> Dispute:
    choice(data.category, DISPUTE_CATEGORIES, "category")
    choice(data.outcome, DISPUTE_OUTCOMES, "outcome")
    check_lonlat(data.lon, data.lat, name="lon")
    if not data.parties or any(not n.strip() for n, _p in data.parties):
        raise InvalidInput("parties: at least one party, each with a name", field="parties")
    _check_dates(data.opened_on, data.closed_on, data.outcome, now.date())
    loc = jur.locate(data.lon, data.lat)
    with session.begin():
        med = session.execute(select(Mediator).where(Mediator.code == data.mediator)).scalar_one_or_none()
        if med is None:
            known = ", ".join(m.code for m in mediators(session)) or "none registered"
            raise NotFound(
                f"mediator {data.mediator!r} is unknown; known mediators: {known}", field="mediator"
            )
        helper = None
        if data.helper_volunteer:
            vol = session.execute(
                select(Volunteer).where(Volunteer.code == data.helper_volunteer)
            ).scalar_one_or_none()
            if vol is None:
                raise NotFound(
                    f"volunteer {data.helper_volunteer!r} is not registered", field="helper_volunteer"
                )
            helper = vol.id
        d = Dispute(
            category=data.category,
            lon=data.lon,
            lat=data.lat,
            station_code=loc.station,
            subbureau_code=loc.sub_bureau,
            parties=json.dumps([{"name": n, "phone": p} for n, p in data.parties], ensure_ascii=False),
            summary=data.summary[:2000],
            mediator_id=med.id,
            helper_volunteer_id=helper,
            opened_on=data.opened_on,
            closed_on=data.closed_on,
            outcome=data.outcome,
            created_at=now,
        )
        session.add(d)
        session.flush()
        audit.append(
            session,
            actor=actor,
            action="dispute.register",
            target=f"dispute:{d.id}",
            detail={"station": loc.station},
        )
    return d


def settle(
    session: Session,
    dispute_id: int,
    *,
    outcome: str,
    closed_on: date | None,
    station: str | None,
    actor: str,
    now: datetime,
) -> Dispute:
    choice(outcome, DISPUTE_OUTCOMES, "outcome")
    with session.begin():
        d = get(session, dispute_id, station)
        _check_dates(d.opened_on, closed_on, outcome, now.date())
        d.outcome, d.closed_on = outcome, closed_on
        audit.append(
            session,
            actor=actor,
            action="dispute.outcome",
            target=f"dispute:{d.id}",
            detail={"outcome": outcome},
        )
    return d


def get(session: Session, dispute_id: int, station: str | None) -> Dispute:
    d = session.get(Dispute, dispute_id)
    if d is None or (station is not None and d.station_code != station):
        raise NotFound(f"no dispute with id {dispute_id} in your jurisdiction")
    return d


def listing(session: Session, station: str | None) -> Sequence[Dispute]:
    stmt = select(Dispute).order_by(Dispute.id.desc())
    if station is not None:
        stmt = stmt.where(Dispute.station_code == station)
    return session.execute(stmt).scalars().all()


def parties(d: Dispute) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = json.loads(d.parties)
    return out


def resolution_rates(session: Session, lo: date, hi: date, *, level: str = "station") -> dict[str, Any]:
    """Disputes opened in [lo, hi) by jurisdiction: counts per outcome and the resolution rate."""
    if level not in ("station", "sub_bureau"):
        raise InvalidInput(f"level {level!r}: expected station or sub_bureau", field="level")
    rows = (
        session.execute(select(Dispute).where(Dispute.opened_on >= lo, Dispute.opened_on < hi))
        .scalars()
        .all()
    )
    groups: dict[str, dict[str, int]] = {}
    for d in rows:
        key = d.station_code if level == "station" else d.subbureau_code
        g = groups.setdefault(key, dict.fromkeys(DISPUTE_OUTCOMES, 0))
        g[d.outcome] += 1
    out = {k: _rate(v) for k, v in sorted(groups.items())}
    total = dict.fromkeys(DISPUTE_OUTCOMES, 0)
    for v in groups.values():
        for k, n in v.items():
            total[k] += n
    return {
        "from": lo.isoformat(),
        "to": hi.isoformat(),
        "level": level,
        "groups": out,
        "total": _rate(total),
    }


def _rate(counts: dict[str, int]) -> dict[str, Any]:
    n = sum(counts.values())
    return {"opened": n, **counts, "resolution_rate": round(counts["resolved"] / n, 4) if n else None}
