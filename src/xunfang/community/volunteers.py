"""Volunteers (M18): registry, mixed patrol teams, activity and a contribution leaderboard.

Contribution in a period counts what the records show and nothing else:

* patrols joined and hours from recorded activities;
* hours on patrol from the volunteer's own unit track (10-minute buckets holding at least one fix),
  when the volunteer carries a tracked unit;
* hazards found (hazards recorded with this volunteer as finder);
* disputes helped (disputes naming this volunteer as helper).

Points = hours + 2 × patrols + 3 × hazards + 3 × disputes; each row says how its points add up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from xunfang.core.errors import Conflict, InvalidInput, NotFound
from xunfang.store import audit
from xunfang.store.community import Dispute, Hazard, PatrolTeam, TeamMember, Volunteer, VolunteerActivity
from xunfang.store.models import Unit, UnitTrack

ACTIVITY_KINDS = ("patrol", "training", "event_duty", "publicity")
W_PATROL, W_HAZARD, W_DISPUTE = 2.0, 3.0, 3.0
BUCKET_S = 600


@dataclass(frozen=True)
class VolunteerInput:
    code: str
    name: str
    station: str
    team: str = ""
    skills: tuple[str, ...] = ()
    availability: str = ""
    unit_id: str | None = None


def register(
    session: Session, data: VolunteerInput, *, actor: str, stations: set[str], now: datetime
) -> Volunteer:
    if data.station not in stations:
        raise NotFound(
            f"station {data.station!r} is unknown; known stations: {', '.join(sorted(stations))}",
            field="station",
        )
    with session.begin():
        if data.unit_id is not None and session.get(Unit, data.unit_id) is None:
            raise NotFound(f"unit {data.unit_id!r} does not exist", field="unit_id")
        vol = Volunteer(
            code=data.code,
            name=data.name,
            team=data.team,
            skills=",".join(s.strip() for s in data.skills if s.strip()),
            availability=data.availability,
            station_code=data.station,
            unit_id=data.unit_id,
            active=True,
            created_at=now,
        )
        session.add(vol)
        try:
            session.flush()
        except IntegrityError:
            raise Conflict(f"volunteer code {data.code!r} is already registered", field="code") from None
        audit.append(session, actor=actor, action="volunteer.register", target=f"volunteer:{data.code}")
    return vol


def by_code(session: Session, code: str) -> Volunteer:
    vol = session.execute(select(Volunteer).where(Volunteer.code == code)).scalar_one_or_none()
    if vol is None:
        raise NotFound(f"volunteer {code!r} is not registered", field="volunteer")
    return vol


def listing(session: Session, station: str | None) -> Sequence[Volunteer]:
    stmt = select(Volunteer).order_by(Volunteer.code)
    if station is not None:
        stmt = stmt.where(Volunteer.station_code == station)
    return session.execute(stmt).scalars().all()


def create_team(
    session: Session,
    *,
    code: str,
    name: str,
    station: str,
    members: Sequence[tuple[str, str]],
    actor: str,
    now: datetime,
) -> PatrolTeam:
    """A mixed team: ``members`` are (kind, ref) with kind ``volunteer`` (code) or ``unit`` (id)."""
    with session.begin():
        team = PatrolTeam(code=code, name=name, station_code=station, created_at=now)
        session.add(team)
        try:
            session.flush()
        except IntegrityError:
            raise Conflict(f"patrol team {code!r} already exists", field="code") from None
        for kind, ref in members:
            _check_member(session, kind, ref)
            session.add(TeamMember(team_id=team.id, kind=kind, ref=ref))
        try:
            session.flush()
        except IntegrityError:
            raise InvalidInput("members: the same member is listed twice", field="members") from None
        audit.append(
            session,
            actor=actor,
            action="team.create",
            target=f"team:{code}",
            detail={"members": len(members)},
        )
    return team


def _check_member(session: Session, kind: str, ref: str) -> None:
    if kind == "volunteer":
        by_code(session, ref)
    elif kind == "unit":
        if session.get(Unit, ref) is None:
            raise NotFound(f"unit {ref!r} does not exist", field="members")
    else:
        raise InvalidInput(f"member kind {kind!r}: expected volunteer or unit", field="members")


def teams(session: Session, station: str | None) -> Sequence[PatrolTeam]:
    stmt = select(PatrolTeam).order_by(PatrolTeam.code)
    if station is not None:
        stmt = stmt.where(PatrolTeam.station_code == station)
    return session.execute(stmt).scalars().all()


def team_members(session: Session, team_id: int) -> list[tuple[str, str]]:
    rows = session.execute(
        select(TeamMember).where(TeamMember.team_id == team_id).order_by(TeamMember.id)
    ).scalars()
    return [(m.kind, m.ref) for m in rows]


def record_activity(
    session: Session,
    *,
    code: str,
    kind: str,
    hours: float,
    at: datetime,
    team: str | None,
    note: str,
    actor: str,
) -> VolunteerActivity:
    if kind not in ACTIVITY_KINDS:
        raise InvalidInput(f"kind {kind!r}: expected one of {', '.join(ACTIVITY_KINDS)}", field="kind")
    if not 0.0 <= hours <= 24.0:
        raise InvalidInput(f"hours {hours}: expected 0..24", field="hours")
    with session.begin():
        vol = by_code(session, code)
        if (
            team is not None
            and session.execute(select(PatrolTeam).where(PatrolTeam.code == team)).scalar_one_or_none()
            is None
        ):
            raise NotFound(f"patrol team {team!r} does not exist", field="team")
        act = VolunteerActivity(
            volunteer_id=vol.id, kind=kind, hours=hours, at=at, team_code=team, note=note[:2000]
        )
        session.add(act)
        session.flush()
        audit.append(
            session,
            actor=actor,
            action="volunteer.activity",
            target=f"volunteer:{code}",
            detail={"kind": kind},
        )
    return act


def _track_hours(session: Session, unit_id: str, lo: datetime, hi: datetime) -> float:
    stmt = select(UnitTrack.at).where(UnitTrack.unit_id == unit_id, UnitTrack.at >= lo, UnitTrack.at < hi)
    buckets = {int(t.timestamp()) // BUCKET_S for t in session.execute(stmt).scalars()}
    return len(buckets) * BUCKET_S / 3600.0


def contributions(
    session: Session, lo: datetime, hi: datetime, station: str | None = None
) -> list[dict[str, Any]]:
    """Every volunteer's recorded contribution in [lo, hi), best first, each explained."""
    vols = listing(session, station)
    acts = session.execute(
        select(
            VolunteerActivity.volunteer_id,
            VolunteerActivity.kind,
            func.count(),
            func.sum(VolunteerActivity.hours),
        )
        .where(VolunteerActivity.at >= lo, VolunteerActivity.at < hi)
        .group_by(VolunteerActivity.volunteer_id, VolunteerActivity.kind)
    ).all()
    hazards = dict(
        session.execute(
            select(Hazard.found_by_volunteer_id, func.count())
            .where(Hazard.found_at >= lo, Hazard.found_at < hi, Hazard.found_by_volunteer_id.is_not(None))
            .group_by(Hazard.found_by_volunteer_id)
        ).all()
    )
    disputes = dict(
        session.execute(
            select(Dispute.helper_volunteer_id, func.count())
            .where(
                Dispute.opened_on >= lo.date(),
                Dispute.opened_on < hi.date(),
                Dispute.helper_volunteer_id.is_not(None),
            )
            .group_by(Dispute.helper_volunteer_id)
        ).all()
    )
    rows: list[dict[str, Any]] = []
    for v in vols:
        patrols = sum(int(n) for vid, k, n, _h in acts if vid == v.id and k == "patrol")
        rec_hours = sum(float(h or 0) for vid, _k, _n, h in acts if vid == v.id)
        track_h = _track_hours(session, v.unit_id, lo, hi) if v.unit_id else 0.0
        hz, ds = int(hazards.get(v.id, 0)), int(disputes.get(v.id, 0))
        hours = round(rec_hours + track_h, 2)
        points = round(hours + W_PATROL * patrols + W_HAZARD * hz + W_DISPUTE * ds, 2)
        rows.append(
            {
                "code": v.code,
                "name": v.name,
                "team": v.team,
                "station": v.station_code,
                "patrols": patrols,
                "hours": hours,
                "hazards_found": hz,
                "disputes_helped": ds,
                "points": points,
                "explanation": (
                    f"{hours:g} h ({rec_hours:g} recorded + {track_h:g} from track)"
                    f" + {W_PATROL:g}×{patrols} patrols"
                    f" + {W_HAZARD:g}×{hz} hazards + {W_DISPUTE:g}×{ds} disputes = {points:g}"
                ),
            }
        )
    rows.sort(key=lambda r: (-float(r["points"]), str(r["code"])))
    for i, r in enumerate(rows, 1):
        r["rank"] = i
    return rows
