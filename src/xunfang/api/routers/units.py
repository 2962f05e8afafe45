"""Units and their positions (AVL batch ingest)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Body, Depends

from xunfang.api.deps import POSITIONS, SEE_UNITS, CtxDep, Forbidden, SessionDep, require_role
from xunfang.api.schemas.units import PositionIn, PositionResult, UnitList, UnitRead
from xunfang.api.security import Principal
from xunfang.core.errors import InvalidInput
from xunfang.forces.types import ForceType
from xunfang.store import units as store
from xunfang.store.models import utcnow
from xunfang.store.users import Role

router = APIRouter(prefix="/units", tags=["units"])
Reporter = Annotated[Principal, Depends(require_role(*POSITIONS))]
Viewer = Annotated[Principal, Depends(require_role(*SEE_UNITS))]
MAX_FUTURE = timedelta(seconds=60)


@router.post("/positions", response_model=PositionResult, status_code=202)
def post_positions(
    fixes: Annotated[list[PositionIn], Body(min_length=1, max_length=5000)],
    ctx: CtxDep,
    user: Reporter,
) -> PositionResult:
    """A batch of fixes. Older fixes are kept in the track but never replace a newer latest position.

    202: the latest positions are live now; the track rows are written by the background writer
    within a fraction of a second (see xunfang.store.track_writer)."""
    now = utcnow()
    for i, f in enumerate(fixes):
        if f.at - now > MAX_FUTURE:
            raise InvalidInput(f"positions[{i}].at {f.at.isoformat()} is in the future", field=f"{i}.at")
    batch = [store.Fix(f.unit_id, f.lon, f.lat, f.at) for f in fixes]
    own = user.unit_id if user.role in (Role.PATROL, Role.VOLUNTEER) else None
    if own is None and user.role in (Role.PATROL, Role.VOLUNTEER):
        raise InvalidInput(
            "this account is not linked to a unit; ask an admin to set its unit", field="unit_id"
        )
    if own is not None and any(f.unit_id != own for f in batch):
        raise Forbidden(f"this account may only report the position of its own unit {own}")
    ctx.known_units.check(ctx.read_sessions, {f.unit_id for f in batch})
    ctx.position_budget.charge(len(batch))  # what was taken costs budget (xunfang.api.admission)
    newest = store.newest(batch)
    newer = ctx.positions.offer(newest)
    ctx.tracks.submit(batch)
    ctx.broker.publish_many(
        [{"kind": "unit", "unit_id": f.unit_id, "lon": f.lon, "lat": f.lat, "at": f.at} for f in newest]
    )
    return PositionResult(received=len(batch), newer=newer)


@router.get("", response_model=UnitList)
def list_units(ctx: CtxDep, session: SessionDep, user: Viewer) -> UnitList:
    station = user.station if user.role is Role.STATION else None
    with session.begin():
        rows = store.listing(session, station=station)
    fixes = ctx.positions.snapshot()
    items = []
    for u in rows:
        f = fixes.get(u.id)
        ft = ForceType(u.force_type)
        items.append(
            UnitRead(
                id=u.id,
                name=u.name,
                force_type=ft.value,
                force_type_zh=ft.zh,
                mode=u.mode,
                status=u.status,
                station=u.station_code,
                lon=f.lon if f else None,
                lat=f.lat if f else None,
                fix_at=f.at if f else None,
            )
        )
    return UnitList(items=items)
