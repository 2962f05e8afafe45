"""Plans: store a version, list, read, activate; compliance of stored unit tracks against a plan."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, Depends
from pydantic import Field
from sqlalchemy import select

from xunfang.api.deps import PLANS_READ, PLANS_WRITE, CtxDep, SessionDep, require_role
from xunfang.api.schemas.base import StrictModel, Timestamp
from xunfang.api.security import Principal
from xunfang.core.errors import InvalidInput
from xunfang.store import plans as store
from xunfang.store.models import UnitTrack

router = APIRouter(prefix="/plans", tags=["planning"])
Planner = Annotated[Principal, Depends(require_role(*PLANS_WRITE))]
Reader = Annotated[Principal, Depends(require_role(*PLANS_READ))]


class PlanCreate(StrictModel):
    name: str = Field(min_length=1, max_length=128)
    kind: Literal["posts", "routes", "staffing", "day", "supervision", "deployment"]
    body: dict[str, Any]


class ComplianceQuery(StrictModel):
    start: Timestamp
    end: Timestamp


@router.post("", status_code=201)
def create(body: PlanCreate, session: SessionDep, user: Planner) -> dict[str, Any]:
    """Store a plan; a name that exists gets its next version."""
    if body.kind == "supervision":
        from xunfang.supervision.plan import plan_from_dict

        plan_from_dict(body.body)  # refuse a plan supervision could not read, before storing it
    elif body.kind == "posts":
        from xunfang.planning.postplan import plan_features

        plan_features(body.body)  # refuse a plan the map could not draw
    return store.save(session, name=body.name, kind=body.kind, body=body.body, actor=user.name).as_dict()


@router.get("")
def listing(session: SessionDep, _: Reader, kind: str | None = None) -> dict[str, Any]:
    return {"items": [p.as_dict(with_body=False) for p in store.listing(session, kind=kind)]}


@router.get("/{plan_id}")
def read(plan_id: int, session: SessionDep, _: Reader) -> dict[str, Any]:
    return store.get(session, plan_id).as_dict()


@router.post("/{plan_id}/activate")
def activate(plan_id: int, session: SessionDep, _: Planner) -> dict[str, Any]:
    return store.activate(session, plan_id).as_dict(with_body=False)


@router.post("/{plan_id}/compliance")
def compliance(
    plan_id: int, query: ComplianceQuery, ctx: CtxDep, session: SessionDep, _: Reader
) -> dict[str, Any]:
    """Check the units' stored tracks in [start, end) against a supervision plan."""
    from xunfang.supervision.plan import plan_from_dict
    from xunfang.supervision.service import supervise
    from xunfang.supervision.tracks import Tracks

    stored = store.get(session, plan_id)
    if stored.kind != "supervision":
        raise InvalidInput(f"plan {plan_id} is a {stored.kind} plan; compliance needs a supervision plan")
    if query.end <= query.start:
        raise InvalidInput("end must be after start", field="end")
    ctx.tracks.flush()  # every fix received so far is in the tracks
    with session.begin():
        rows = session.execute(
            select(UnitTrack.unit_id, UnitTrack.at, UnitTrack.lon, UnitTrack.lat)
            .where(UnitTrack.at >= query.start, UnitTrack.at < query.end)
            .order_by(UnitTrack.unit_id, UnitTrack.at)
        ).all()
    ids = tuple(sorted({r[0] for r in rows}))
    code = {u: i for i, u in enumerate(ids)}
    tracks = Tracks(
        ids,
        np.array([code[r[0]] for r in rows], dtype=np.int64),
        np.array([_epoch(r[1]) for r in rows], dtype=np.float64),
        np.array([r[2] for r in rows], dtype=np.float64),
        np.array([r[3] for r in rows], dtype=np.float64),
    )
    return {
        "plan": stored.as_dict(with_body=False),
        "fixes": len(rows),
        **supervise(ctx.need_network().graph, tracks, plan_from_dict(json_body(stored))),
    }


def json_body(plan: store.StoredPlan) -> dict[str, Any]:
    body: dict[str, Any] = plan.as_dict()["body"]
    return body


def _epoch(at: datetime) -> float:
    return at.timestamp()
