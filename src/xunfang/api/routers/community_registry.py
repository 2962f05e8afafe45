"""Community registries: volunteers and mixed patrol teams, safe shops and compounds, mediators and
disputes, hazards. Dispute parties are withheld from everyone below station staff."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from xunfang.api.deps import CtxDep, SessionDep, require_role
from xunfang.api.routers.community import READ, TRIAGE, sees_identity, station_of
from xunfang.api.schemas.community import (
    ActivityIn,
    DisputeIn,
    DisputePage,
    DisputeRead,
    HazardIn,
    HazardPage,
    HazardRead,
    HazardStep,
    Identity,
    Leaderboard,
    MediatorIn,
    MediatorRead,
    OutcomeIn,
    ParticipationIn,
    ShopIn,
    ShopPage,
    ShopRead,
    TeamIn,
    TeamPage,
    TeamRead,
    VolunteerIn,
    VolunteerPage,
    VolunteerRead,
)
from xunfang.api.security import Principal
from xunfang.community import disputes, hazards, shops, volunteers
from xunfang.community.periods import bounds, utc_range
from xunfang.community.policy import check_day
from xunfang.jurisdiction.model import Level
from xunfang.store import audit
from xunfang.store.community import Dispute, Hazard, Mediator, Volunteer
from xunfang.store.models import utcnow
from xunfang.store.users import Role

router = APIRouter(prefix="/community", tags=["community"])
Reader = Annotated[Principal, Depends(require_role(*READ))]
Staff = Annotated[Principal, Depends(require_role(*TRIAGE))]
Manager = Annotated[Principal, Depends(require_role(Role.COMMANDER, Role.STATION))]
Finder = Annotated[
    Principal,
    Depends(require_role(Role.COMMANDER, Role.DISPATCHER, Role.STATION, Role.PATROL, Role.VOLUNTEER)),
]
Day = Annotated[date, Query(description="YYYY-MM-DD")]


def _stations(ctx: CtxDep) -> set[str]:
    return {a.code for a in ctx.need_jurisdiction().of_level(Level.STATION)}


def _vol(v: Volunteer) -> VolunteerRead:
    return VolunteerRead(
        code=v.code,
        name=v.name,
        team=v.team,
        skills=[s for s in v.skills.split(",") if s],
        availability=v.availability,
        station=v.station_code,
        unit_id=v.unit_id,
        active=v.active,
    )


@router.post("/volunteers", response_model=VolunteerRead, status_code=201)
def add_volunteer(body: VolunteerIn, ctx: CtxDep, session: SessionDep, user: Manager) -> VolunteerRead:
    data = volunteers.VolunteerInput(
        body.code, body.name, body.station, body.team, tuple(body.skills), body.availability, body.unit_id
    )
    return _vol(volunteers.register(session, data, actor=user.name, stations=_stations(ctx), now=utcnow()))


@router.get("/volunteers", response_model=VolunteerPage)
def list_volunteers(session: SessionDep, user: Reader) -> VolunteerPage:
    with session.begin():
        return VolunteerPage(items=[_vol(v) for v in volunteers.listing(session, station_of(user))])


@router.post("/volunteers/{code}/activities", status_code=201)
def add_activity(code: str, body: ActivityIn, session: SessionDep, user: Staff) -> dict[str, object]:
    now = utcnow()
    if body.at - now > timedelta(minutes=5):
        from xunfang.core.errors import InvalidInput

        raise InvalidInput(f"at {body.at.isoformat()} is in the future", field="at")
    check_day(body.at.date(), "at", today=now.date())
    act = volunteers.record_activity(
        session,
        code=code,
        kind=body.kind,
        hours=body.hours,
        at=body.at,
        team=body.team,
        note=body.note,
        actor=user.name,
    )
    return {"id": act.id, "volunteer": code, "kind": act.kind, "hours": act.hours}


@router.get("/volunteers/leaderboard", response_model=Leaderboard)
def leaderboard(
    *,
    ctx: CtxDep,
    session: SessionDep,
    user: Reader,
    start: Day | None = None,
    end: Day | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 20,
) -> Leaderboard:
    """Contribution in [start, end) (default: the last 30 days), best first, each row explained."""
    today = datetime.now(UTC).date()
    hi = end or today + timedelta(days=1)
    lo = start or hi - timedelta(days=30)
    check_day(lo, "start", today=today)
    if hi <= lo:
        from xunfang.core.errors import InvalidInput

        raise InvalidInput(f"end {hi} must be after start {lo}", field="end")
    ctx.tracks.flush()  # track hours count every fix received so far
    with session.begin():
        rows = volunteers.contributions(session, *utc_range(lo, hi), station=station_of(user))
    return Leaderboard(start=lo.isoformat(), end=hi.isoformat(), items=rows[:limit])


@router.post("/teams", response_model=TeamRead, status_code=201)
def add_team(body: TeamIn, ctx: CtxDep, session: SessionDep, user: Manager) -> TeamRead:
    if body.station not in _stations(ctx):
        from xunfang.core.errors import NotFound

        raise NotFound(f"station {body.station!r} is unknown", field="station")
    members = [(m.kind, m.ref) for m in body.members]
    team = volunteers.create_team(
        session,
        code=body.code,
        name=body.name,
        station=body.station,
        members=members,
        actor=user.name,
        now=utcnow(),
    )
    kinds = {k for k, _ in members}
    return TeamRead(
        code=team.code,
        name=team.name,
        station=team.station_code,
        members=[{"kind": k, "ref": r} for k, r in members],
        mixed=kinds == {"volunteer", "unit"},
    )


@router.get("/teams", response_model=TeamPage)
def list_teams(session: SessionDep, user: Reader) -> TeamPage:
    """Mixed patrol teams with their members (volunteer codes and unit ids)."""
    with session.begin():
        out = []
        for t in volunteers.teams(session, station_of(user)):
            members = volunteers.team_members(session, t.id)
            kinds = {k for k, _ in members}
            out.append(
                TeamRead(
                    code=t.code,
                    name=t.name,
                    station=t.station_code,
                    members=[{"kind": k, "ref": r} for k, r in members],
                    mixed=kinds == {"volunteer", "unit"},
                )
            )
    return TeamPage(items=out)


@router.post("/shops", response_model=ShopRead, status_code=201)
def add_shop(body: ShopIn, ctx: CtxDep, session: SessionDep, user: Manager) -> ShopRead:
    s = shops.register(
        session,
        code=body.code,
        name=body.name,
        kind=body.kind,
        lon=body.lon,
        lat=body.lat,
        actor=user.name,
        jur=ctx.need_jurisdiction(),
        now=utcnow(),
    )
    return ShopRead(code=s.code, name=s.name, kind=s.kind, lon=s.lon, lat=s.lat, station=s.station_code)


@router.get("/shops", response_model=ShopPage)
def list_shops(
    session: SessionDep, user: Reader, kind: Literal["shop", "compound"] | None = None
) -> ShopPage:
    with session.begin():
        rows = shops.listing(session, kind, station_of(user))
        return ShopPage(
            items=[
                ShopRead(code=s.code, name=s.name, kind=s.kind, lon=s.lon, lat=s.lat, station=s.station_code)
                for s in rows
            ]
        )


@router.post("/shops/{code}/participation", status_code=201)
def add_participation(
    code: str, body: ParticipationIn, session: SessionDep, user: Staff
) -> dict[str, object]:
    row = shops.participate(session, code=code, kind=body.kind, at=body.at, actor=user.name, now=utcnow())
    return {"id": row.id, "shop": code, "kind": row.kind}


@router.get("/shops/ranking")
def shop_ranking(
    session: SessionDep,
    _user: Reader,
    half: Annotated[str, Query(max_length=8, description="e.g. 2026H1")],
    kind: Literal["shop", "compound"] = "shop",
    top: Annotated[int, Query(ge=1, le=100)] = 10,
) -> dict[str, object]:
    """Half-yearly ranking (top ten by default): security record and contribution, each explained."""
    with session.begin():
        return shops.ranking(session, half=half, kind=kind, now=utcnow(), top=top)


@router.post("/mediators", response_model=MediatorRead, status_code=201)
def add_mediator(body: MediatorIn, ctx: CtxDep, session: SessionDep, user: Manager) -> MediatorRead:
    if body.station not in _stations(ctx):
        from xunfang.core.errors import NotFound

        raise NotFound(f"station {body.station!r} is unknown", field="station")
    m = disputes.add_mediator(session, code=body.code, name=body.name, station=body.station, actor=user.name)
    return MediatorRead(code=m.code, name=m.name, station=m.station_code)


def _dispute(d: Dispute, user: Principal, mediator: str) -> DisputeRead:
    show = sees_identity(user)
    return DisputeRead(
        id=d.id,
        category=d.category,
        station=d.station_code,
        sub_bureau=d.subbureau_code,
        mediator=mediator,
        opened_on=d.opened_on,
        closed_on=d.closed_on,
        outcome=d.outcome,
        summary=d.summary if show else "",
        parties=[Identity(name=p["name"], phone=p.get("phone")) for p in disputes.parties(d)]
        if show
        else None,
        parties_withheld=not show,
    )


def _read_disputes(session: SessionDep, user: Principal, rows: list[Dispute]) -> list[DisputeRead]:
    meds = {m.id: m.code for m in session.query(Mediator)}
    if rows and sees_identity(user):
        audit.append(
            session,
            actor=user.name,
            action="party.read",
            target="disputes",
            detail={"ids": [d.id for d in rows]},
        )
    return [_dispute(d, user, meds.get(d.mediator_id, "")) for d in rows]


@router.post("/disputes", response_model=DisputeRead, status_code=201)
def add_dispute(body: DisputeIn, ctx: CtxDep, session: SessionDep, user: Staff) -> DisputeRead:
    data = disputes.DisputeInput(
        category=body.category,
        lon=body.lon,
        lat=body.lat,
        parties=tuple((p.name, p.phone) for p in body.parties),
        mediator=body.mediator,
        opened_on=body.opened_on,
        summary=body.summary,
        outcome=body.outcome,
        closed_on=body.closed_on,
        helper_volunteer=body.helper_volunteer,
    )
    d = disputes.register(session, data, actor=user.name, jur=ctx.need_jurisdiction(), now=utcnow())
    with session.begin():
        return _read_disputes(session, user, [d])[0]


@router.get("/disputes", response_model=DisputePage)
def list_disputes(session: SessionDep, user: Reader) -> DisputePage:
    with session.begin():
        return DisputePage(
            items=_read_disputes(session, user, list(disputes.listing(session, station_of(user))))
        )


@router.post("/disputes/{dispute_id}/outcome", response_model=DisputeRead)
def set_outcome(dispute_id: int, body: OutcomeIn, session: SessionDep, user: Staff) -> DisputeRead:
    d = disputes.settle(
        session,
        _id(dispute_id),
        outcome=body.outcome,
        closed_on=body.closed_on,
        station=station_of(user),
        actor=user.name,
        now=utcnow(),
    )
    with session.begin():
        return _read_disputes(session, user, [d])[0]


@router.get("/disputes/rates")
def dispute_rates(
    session: SessionDep,
    _user: Reader,
    date_: Annotated[date, Query(alias="date")],
    period: Literal["day", "week", "month"] = "month",
    level: Literal["station", "sub_bureau"] = "station",
) -> dict[str, object]:
    """Resolution rates of the disputes opened in the period, per station or sub-bureau."""
    lo, hi = bounds(period, date_)
    with session.begin():
        return {"period": period, **disputes.resolution_rates(session, lo, hi, level=level)}


def _hazard(h: Hazard, now: datetime) -> HazardRead:
    return HazardRead(
        id=h.id,
        category=h.category,
        description=h.description,
        lon=h.lon,
        lat=h.lat,
        station=h.station_code,
        status=h.status,
        found_at=h.found_at,
        found_by=h.found_by,
        assignee=h.assignee,
        deadline_at=h.deadline_at,
        rectified_at=h.rectified_at,
        verified_at=h.verified_at,
        overdue=hazards.is_overdue(h, now),
        report_id=h.report_id,
    )


@router.post("/hazards", response_model=HazardRead, status_code=201)
def add_hazard(body: HazardIn, ctx: CtxDep, session: SessionDep, user: Finder) -> HazardRead:
    now = utcnow()
    data = hazards.HazardInput(
        category=body.category,
        description=body.description,
        lon=body.lon,
        lat=body.lat,
        found_at=body.found_at,
        deadline_days=body.deadline_days,
        volunteer_code=body.volunteer,
    )
    with session.begin():
        h = hazards.create_in(session, data, actor=user.name, jur=ctx.need_jurisdiction(), now=now)
    return _hazard(h, now)


@router.get("/hazards", response_model=HazardPage)
def list_hazards(
    session: SessionDep,
    user: Reader,
    status: Literal["found", "assigned", "rectified", "verified"] | None = None,
    overdue: bool = False,
) -> HazardPage:
    now = utcnow()
    with session.begin():
        rows = hazards.listing(
            session, station=station_of(user), status=status, overdue_only=overdue, now=now
        )
        items = [_hazard(h, now) for h in rows]
    return HazardPage(items=items, overdue=sum(i.overdue for i in items))


@router.get("/hazards/warnings")
def hazard_warnings(session: SessionDep, _user: Reader) -> dict[str, object]:
    """Open hazards past their deadline (yellow; red after a week overdue)."""
    with session.begin():
        return {"items": hazards.overdue_warnings(session, utcnow())}


@router.post("/hazards/{hazard_id}/steps", response_model=HazardRead)
def hazard_step(hazard_id: int, body: HazardStep, session: SessionDep, user: Staff) -> HazardRead:
    now = utcnow()
    h = hazards.advance(
        session,
        _id(hazard_id),
        body.step,
        actor=user.name,
        station=station_of(user),
        now=now,
        assignee=body.assignee,
        deadline_at=body.deadline_at,
        note=body.note,
    )
    return _hazard(h, now)


def _id(value: int) -> int:
    from xunfang.core.errors import NotFound

    if not 1 <= value <= 2**31 - 1:
        raise NotFound(f"no record with id {value}")
    return value
