"""Community reports: the public intake (no login), follow-up by token, the mobile page, and
triage by station staff. Reporter identity is shown only to station staff and above, and every
such read is audited."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from xunfang.api.deps import COMMUNITY_READ, COMMUNITY_TRIAGE, CtxDep, SessionDep, require_role
from xunfang.api.schemas.community import (
    Identity,
    ReportAccepted,
    ReportFollowUp,
    ReportPage,
    ReportRead,
    TriageIn,
)
from xunfang.api.security import Principal
from xunfang.community import page
from xunfang.community import reports as store
from xunfang.community.policy import PHOTO_MAX_BYTES
from xunfang.core.errors import InvalidInput
from xunfang.store import audit
from xunfang.store.community import CommunityReport, Shop
from xunfang.store.models import utcnow
from xunfang.store.users import Role

router = APIRouter(prefix="/community", tags=["community"])
pages = APIRouter(tags=["community"], include_in_schema=False)

IDENTITY_ROLES = (Role.ADMIN, Role.COMMANDER, Role.DISPATCHER, Role.STATION)
TRIAGE = COMMUNITY_TRIAGE
READ = COMMUNITY_READ
Triager = Annotated[Principal, Depends(require_role(*TRIAGE))]
Reader = Annotated[Principal, Depends(require_role(*READ))]


def sees_identity(user: Principal) -> bool:
    """Reporters and dispute parties are protected like callers: station staff and above only."""
    return user.role in IDENTITY_ROLES


def station_of(user: Principal) -> str | None:
    return user.station if user.role is Role.STATION else None


def _number(text: str, field: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InvalidInput(f"{field}: expected a number, got {text[:40]!r}", field=field) from None
    if not math.isfinite(value):
        raise InvalidInput(f"{field}: must be a finite number", field=field)
    return value


@router.post("/reports", response_model=ReportAccepted, status_code=201)
async def submit_report(  # noqa: PLR0917
    request: Request,
    ctx: CtxDep,
    session: SessionDep,
    category: Annotated[str, Form(max_length=32)],
    lon: Annotated[str, Form(max_length=32)],
    lat: Annotated[str, Form(max_length=32)],
    text: Annotated[str, Form(max_length=4000)],
    address: Annotated[str, Form(max_length=256)] = "",
    name: Annotated[str | None, Form(max_length=128)] = None,
    phone: Annotated[str | None, Form(max_length=32)] = None,
    shop: Annotated[str | None, Form(max_length=64)] = None,
    photo: Annotated[UploadFile | None, File()] = None,
) -> ReportAccepted:
    """Public: anyone may report (multipart form). Limits: 5 reports per reporter and 10 per place
    (about 100 m) per hour, answered with 429; a photo (JPEG, PNG or WebP) of at most 900 kB. The
    photo is stored as sent and never analysed. The follow-up token is returned once."""
    raw: bytes | None = None
    ptype: str | None = None
    if photo is not None and photo.filename:
        raw = await photo.read(PHOTO_MAX_BYTES + 1)
        ptype = photo.content_type
    data = store.ReportInput(
        category=category,
        lon=_number(lon, "lon"),
        lat=_number(lat, "lat"),
        text=text,
        address=address,
        name=name or None,
        phone=phone or None,
        shop_code=shop or None,
        photo=raw,
        photo_type=ptype,
    )
    client = request.client.host if request.client else "unknown"
    rep, token = await run_in_threadpool(
        store.submit,
        session,
        data,
        client=client,
        salt=ctx.settings.secret_key,
        jur=ctx.need_jurisdiction(),
        now=utcnow(),
    )
    ctx.broker.publish({"kind": "community_report", "report_id": rep.id, "station": rep.station_code})
    return ReportAccepted(
        id=rep.id, status=rep.status, follow_up_token=token, follow_up_url=f"/community/follow/{token}"
    )


@router.get("/reports/follow/{token}", response_model=ReportFollowUp)
def follow_up(token: str, session: SessionDep) -> ReportFollowUp:
    """Public: the status of one report by its follow-up token (no identity, no staff notes)."""
    with session.begin():
        rep = store.by_token(session, token[:100])
        return _follow(rep)


def _follow(rep: CommunityReport) -> ReportFollowUp:
    message = {
        "received": "received; station staff will look at it",
        "incident": "police are handling it as an incident",
        "hazard": "recorded as a hazard to be rectified",
        "dismissed": "reviewed; no police action needed",
    }[rep.status]
    return ReportFollowUp(
        category=rep.category,
        status=rep.status,
        created_at=rep.created_at,
        triaged_at=rep.triaged_at,
        message=message,
    )


@router.get("/reports", response_model=ReportPage)
def list_reports(
    session: SessionDep,
    user: Reader,
    status: Literal["received", "incident", "hazard", "dismissed"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> ReportPage:
    with session.begin():
        rows = store.listing(session, station=station_of(user), status=status, limit=limit, offset=offset)
        items = report_reads(session, user, rows)
    return ReportPage(items=items)


@router.get("/reports/{report_id}", response_model=ReportRead)
def get_report(report_id: int, session: SessionDep, user: Reader) -> ReportRead:
    with session.begin():
        rep = store.get(session, _id(report_id), station_of(user))
        return report_reads(session, user, [rep])[0]


@router.get("/reports/{report_id}/photo", responses={200: {"content": {"image/jpeg": {}}}})
def get_photo(report_id: int, session: SessionDep, user: Triager) -> Response:
    """Staff only: the photo as sent (it may show people; it is never analysed)."""
    with session.begin():
        store.get(session, _id(report_id), station_of(user))
        row = store.photo(session, report_id)
        audit.append(
            session, actor=user.name, action="report.photo.read", target=f"community_report:{report_id}"
        )
        return Response(content=row.data, media_type=row.content_type)


@router.post("/reports/{report_id}/triage", response_model=ReportRead)
def triage(report_id: int, body: TriageIn, ctx: CtxDep, session: SessionDep, user: Triager) -> ReportRead:
    """Turn a report into an incident (through the service's intake), a hazard, or a dismissal."""
    decision = store.Triage(
        action=body.action,
        note=body.note,
        incident_category=body.incident_category,
        priority=body.priority,
        hazard_category=body.hazard_category,
        deadline_days=body.deadline_days,
    )
    rep = store.triage(
        session,
        _id(report_id),
        decision,
        actor=user.name,
        station=station_of(user),
        jur=ctx.need_jurisdiction(),
        taxonomy=ctx.taxonomy,
        now=utcnow(),
    )
    if rep.incident_id is not None:
        ctx.broker.publish({"kind": "incident", "incident_id": rep.incident_id, "status": "received"})
    with session.begin():
        return report_reads(session, user, [rep])[0]


def report_reads(session: Session, user: Principal, rows: Sequence[CommunityReport]) -> list[ReportRead]:
    show = sees_identity(user)
    shops = {
        s.id: s.code for s in session.query(Shop).filter(Shop.id.in_({r.shop_id for r in rows if r.shop_id}))
    }
    out = []
    shown = []
    for r in rows:
        has = r.reporter_name is not None or r.reporter_phone is not None
        if has and show:
            shown.append(r.id)
        out.append(
            ReportRead(
                id=r.id,
                category=r.category,
                lon=r.lon,
                lat=r.lat,
                address=r.address,
                text=r.text,
                station=r.station_code,
                status=r.status,
                has_photo=r.has_photo,
                created_at=r.created_at,
                triaged_at=r.triaged_at,
                triaged_by=r.triaged_by,
                triage_note=r.triage_note,
                incident_id=r.incident_id,
                hazard_id=r.hazard_id,
                shop=shops.get(r.shop_id) if r.shop_id else None,
                reporter=Identity(name=r.reporter_name, phone=r.reporter_phone) if has and show else None,
                reporter_withheld=has and not show,
            )
        )
    if shown:
        audit.append(
            session,
            actor=user.name,
            action="reporter.read",
            target="community_reports",
            detail={"ids": shown},
        )
    return out


def _id(value: int) -> int:
    from xunfang.core.errors import NotFound

    if not 1 <= value <= 2**31 - 1:
        raise NotFound(f"no community report with id {value}")
    return value


@pages.get("/community/report", response_class=HTMLResponse)
def report_page() -> HTMLResponse:
    """The mobile-friendly public report form (no external resources)."""
    return HTMLResponse(page.report_form())


@pages.get("/community/follow/{token}", response_class=HTMLResponse)
def follow_page(token: str, session: SessionDep) -> HTMLResponse:
    with session.begin():
        info = _follow(store.by_token(session, token[:100]))
    return HTMLResponse(page.follow(info.model_dump()))
