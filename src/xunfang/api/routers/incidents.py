"""Incidents: intake (idempotent), categories, list, detail, lifecycle events."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query, Response

from xunfang.api.deps import (
    FIELD_EVENTS,
    READ_INCIDENTS,
    WRITE_INCIDENTS,
    CtxDep,
    SessionDep,
    require_role,
    scope_of,
)
from xunfang.api.schemas.incidents import (
    CategoryList,
    CategoryRead,
    EventCreate,
    IncidentCreate,
    IncidentPage,
    IncidentRead,
)
from xunfang.api.security import Principal
from xunfang.api.views import audit_caller_ids, audit_caller_reads, incident_detail, incident_read
from xunfang.incidents.lifecycle import EventType, Status
from xunfang.store import incidents as store
from xunfang.store.models import MAX_ID, utcnow

router = APIRouter(prefix="/incidents", tags=["incidents"])
Reader = Annotated[Principal, Depends(require_role(*READ_INCIDENTS))]
Writer = Annotated[Principal, Depends(require_role(*WRITE_INCIDENTS))]
FieldUser = Annotated[Principal, Depends(require_role(*FIELD_EVENTS))]
IdemKey = Annotated[
    str, Header(alias="Idempotency-Key", min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$")
]
StatusName = Literal[
    "received", "dispatched", "en_route", "on_scene", "resolved", "handed_over", "closed", "cancelled"
]


@router.post("", response_model=IncidentRead, status_code=201, responses={200: {"model": IncidentRead}})
def create_incident(
    *, body: IncidentCreate, key: IdemKey, user: Writer, ctx: CtxDep, session: SessionDep, response: Response
) -> IncidentRead:
    """Record an incident; the 201 is sent after it is durable. The same Idempotency-Key returns the
    same incident (200) instead of a duplicate."""
    data = store.IncidentInput(
        category=body.category,
        priority=body.priority,
        source=body.source,
        lon=body.lon,
        lat=body.lat,
        description=body.description,
        reported_at=body.reported_at,
        caller_name=body.caller.name if body.caller else None,
        caller_phone=body.caller.phone if body.caller else None,
    )
    inc, created = store.create(
        session,
        data=data,
        key=key,
        actor=user.name,
        jur=ctx.need_jurisdiction(),
        taxonomy=ctx.taxonomy,
        now=utcnow(),
    )
    if not created:
        response.status_code = 200
    else:
        ctx.broker.publish(
            {
                "kind": "incident",
                "incident_id": inc.id,
                "status": inc.status,
                "category": inc.category,
                "priority": inc.priority,
                "station": inc.station_code,
                "lon": inc.lon,
                "lat": inc.lat,
                "tier_min": inc.tier_min,
            }
        )
    return incident_read(inc, user, ctx.taxonomy)


@router.get("/categories", response_model=CategoryList)
def categories(ctx: CtxDep, _user: Reader) -> CategoryList:
    return CategoryList(items=[CategoryRead.model_validate(c) for c in ctx.taxonomy.categories])


@router.get("", response_model=IncidentPage)
def list_incidents(
    *,
    ctx: CtxDep,
    session: SessionDep,
    user: Reader,
    status: StatusName | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> IncidentPage:
    with session.begin():
        rows = store.listing(
            session, scope_of(user), status=Status(status) if status else None, limit=limit, offset=offset
        )
        audit_caller_reads(session, user, rows)
        items = [incident_read(i, user, ctx.taxonomy) for i in rows]
    return IncidentPage(items=items, limit=limit, offset=offset)


@router.get("/{incident_id}", response_model=IncidentRead)
def get_incident(incident_id: int, ctx: CtxDep, session: SessionDep, user: Reader) -> IncidentRead:
    with session.begin():
        d = store.detail(session, _id(incident_id), scope_of(user))
        audit_caller_reads(session, user, [d.incident])
        return incident_detail(d, user, ctx.taxonomy)


@router.post("/{incident_id}/events", response_model=IncidentRead, status_code=201)
def post_event(
    incident_id: int, body: EventCreate, ctx: CtxDep, session: SessionDep, user: FieldUser
) -> IncidentRead:
    kind = EventType(body.type)
    done = store.post_event(
        session,
        incident_id=_id(incident_id),
        kind=kind,
        note=body.note,
        actor=user.name,
        scope=scope_of(user),
        now=utcnow(),
        also=lambda s, d: audit_caller_ids(s, user, [d.id] if d.has_caller else []),
    )
    ctx.broker.publish(
        {
            "kind": "incident",
            "incident_id": done.id,
            "event": kind.value,
            "status": done.after.value,
            "station": done.station_code,
        }
    )
    # the answer is read back without the write lock (WAL readers never wait for the writer)
    with ctx.read_sessions() as reader, reader.begin():
        return incident_detail(store.detail(reader, done.id, scope_of(user)), user, ctx.taxonomy)


def _id(incident_id: int) -> int:
    """Ids beyond the column's range cannot exist: 404 here, not a driver overflow (a 500)."""
    from xunfang.core.errors import NotFound

    if not 1 <= incident_id <= MAX_ID:
        raise NotFound(f"no incident with id {incident_id}")
    return incident_id
