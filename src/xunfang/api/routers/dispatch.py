"""Recommendations and assignments for one incident."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy import select

from xunfang.api.deps import DISPATCH, CtxDep, SessionDep, require_role, scope_of
from xunfang.api.routers.incidents import _id
from xunfang.api.schemas.incidents import AssignmentCreate, AssignmentRead, CandidateRead, RecommendationList
from xunfang.api.security import Principal
from xunfang.dispatch.recommend import IncidentView, Policy, UnitState, recommend
from xunfang.forces.types import ForceType, UnitStatus
from xunfang.store import incidents as store
from xunfang.store.assignments import assign_first
from xunfang.store.models import JurisdictionNode, Unit, utcnow

router = APIRouter(prefix="/incidents", tags=["dispatch"])
Dispatcher = Annotated[Principal, Depends(require_role(*DISPATCH))]


_FORCE = {f.value: f for f in ForceType}
_STATUS = {s.value: s for s in UnitStatus}


def _num(x: float) -> float | None:
    return round(x, 1) if math.isfinite(x) else None


@router.get("/{incident_id}/recommendations", response_model=RecommendationList)
def recommendations(incident_id: int, ctx: CtxDep, user: Dispatcher) -> RecommendationList:
    """Units ranked by road ETA, each with distance, the tier it meets and why it is (not) eligible."""
    network = ctx.need_network()
    now = utcnow()
    with ctx.read_sessions() as session, session.begin():
        scope = scope_of(user)
        inc = store.locate(session, _id(incident_id), scope)
        units = store.fleet_rows(session)
        active = set(store.assigned_units(session, inc.id))
        assigned = tuple(_FORCE[ft] for uid, ft, *_ in units if uid in active)
        if scope.area is not None:  # a station account is offered only the units it may send
            area = JurisdictionNode.code == Unit.station_code
            own = select(Unit.id).outerjoin(JurisdictionNode, area)
            own = own.where((Unit.station_code == scope.area) | (JurisdictionNode.parent_code == scope.area))
            mine = set(session.execute(own).scalars())
            units = [u for u in units if u[0] in mine]
    fixes = ctx.positions.snapshot()
    states = []
    for uid, ft, st, s0, s1 in units:
        f = fixes.get(uid)
        lon, lat, at = (f.lon, f.lat, f.at) if f else (None, None, None)
        states.append(UnitState(uid, _FORCE[ft], _STATUS[st], lon, lat, at, s0, s1))
    view = IncidentView(inc.lon, inc.lat, ctx.taxonomy.get(inc.category).criminal, assigned)
    policy = Policy(stale_after_s=ctx.settings.stale_position_s)
    ranked = recommend(view, states, network, now=now, policy=policy, snaps=ctx.unit_snaps())
    items = [
        CandidateRead(
            unit_id=c.unit_id,
            force_type=c.force_type.value,
            eta_s=_num(c.eta_s),
            distance_m=_num(c.distance_m),
            tier_min=c.tier_min,
            eligible=c.eligible,
            reasons=c.reasons,
        )
        for c in ranked
    ]
    return RecommendationList(incident_id=inc.id, items=items)


@router.post("/{incident_id}/assignments", response_model=AssignmentRead, status_code=201)
def create_assignment(
    incident_id: int, body: AssignmentCreate, ctx: CtxDep, session: SessionDep, user: Dispatcher
) -> AssignmentRead:
    """Send a unit; 409 when it already has an active assignment (enforced by the database).
    With ``unit_ids``, the first of them that can still be sent; 409 naming each one's reason
    when none can."""
    row, station = assign_first(
        session, incident_id=_id(incident_id), unit_ids=body.units, actor=user.name, scope=scope_of(user),
        taxonomy=ctx.taxonomy, now=utcnow(),
    )  # fmt: skip
    ctx.broker.publish(
        {"kind": "assignment", "incident_id": row.incident_id, "unit_id": row.unit_id, "station": station}
    )
    return AssignmentRead.model_validate(row)
