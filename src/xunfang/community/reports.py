"""Community reports (M19): public intake with rate limits, follow-up by token, triage by staff.

A report is stored in one transaction (with its photo); the follow-up token is returned once and
only its sha256 is kept, so a database leak does not reveal the links. Triage into an incident goes
through the service's own incident intake with the idempotency key ``community-report:<id>``: a
retried triage finds the same incident instead of creating a second one.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from xunfang.community import hazards as hazard_rules
from xunfang.community.policy import (
    ADDRESS_CELL_DEG,
    PER_ADDRESS_PER_HOUR,
    PER_REPORTER_PER_HOUR,
    PHOTO_MAX_BYTES,
    PHOTO_TYPES,
    REPORT_CATEGORIES,
    TEXT_MAX,
    RateLimited,
    choice,
)
from xunfang.core.errors import Conflict, InvalidInput, NotFound
from xunfang.core.geo import check_lonlat
from xunfang.incidents.categories import Taxonomy
from xunfang.jurisdiction.model import Jurisdiction
from xunfang.store import audit
from xunfang.store import incidents as incident_store
from xunfang.store.community import CommunityReport, ReportPhoto, Shop


@dataclass(frozen=True)
class ReportInput:
    category: str
    lon: float
    lat: float
    text: str
    address: str = ""
    name: str | None = None
    phone: str | None = None
    shop_code: str | None = None
    photo: bytes | None = None
    photo_type: str | None = None


def _hash(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def reporter_key(phone: str | None, client: str, salt: str) -> str:
    """Who is reporting, for rate limits only: the phone's digits, else the client address."""
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    return _hash(salt, "phone", digits) if digits else _hash(salt, "client", client)


def address_key(lon: float, lat: float) -> str:
    return f"{math.floor(lon / ADDRESS_CELL_DEG)}:{math.floor(lat / ADDRESS_CELL_DEG)}"


def validate(data: ReportInput) -> None:
    choice(data.category, REPORT_CATEGORIES, "category")
    check_lonlat(data.lon, data.lat, name="lon")
    text = data.text.strip()
    if not text:
        raise InvalidInput("text: describe what happened (it is empty)", field="text")
    if len(text) > TEXT_MAX:
        raise InvalidInput(f"text: {len(text)} characters, at most {TEXT_MAX}", field="text")
    if data.phone is not None and not 5 <= sum(c.isdigit() for c in data.phone) <= 20:
        raise InvalidInput("phone: expected 5 to 20 digits", field="phone")
    if data.photo is not None:
        check_photo(data.photo, data.photo_type)


def check_photo(photo: bytes, content_type: str | None) -> None:
    if not photo:
        raise InvalidInput("photo: the uploaded file is empty", field="photo")
    if len(photo) > PHOTO_MAX_BYTES:
        raise InvalidInput(f"photo: {len(photo)} bytes, at most {PHOTO_MAX_BYTES}", field="photo")
    magic = PHOTO_TYPES.get(content_type or "")
    if magic is None:
        raise InvalidInput(
            f"photo: content type {content_type!r} is not accepted; expected {', '.join(PHOTO_TYPES)}",
            field="photo",
        )
    if not photo.startswith(magic):
        raise InvalidInput(f"photo: the file content is not a {content_type} image", field="photo")


def _recent(session: Session, column: InstrumentedAttribute[str], key: str, since: datetime) -> int:
    stmt = select(func.count()).select_from(CommunityReport).where(column == key)
    return int(session.execute(stmt.where(CommunityReport.created_at >= since)).scalar_one())


def submit(
    session: Session, data: ReportInput, *, client: str, salt: str, jur: Jurisdiction, now: datetime
) -> tuple[CommunityReport, str]:
    """Store a report (one transaction); returns it with the follow-up token (shown once)."""
    validate(data)
    loc = jur.locate(data.lon, data.lat)
    who = reporter_key(data.phone, client, salt)
    where = address_key(data.lon, data.lat)
    token = secrets.token_urlsafe(24)
    with session.begin():
        _serialise(session, who, where)
        since = now - timedelta(hours=1)
        if _recent(session, CommunityReport.reporter_key, who, since) >= PER_REPORTER_PER_HOUR:
            raise RateLimited(
                f"too many reports from you: at most {PER_REPORTER_PER_HOUR} per hour; try again later"
            )
        if _recent(session, CommunityReport.address_key, where, since) >= PER_ADDRESS_PER_HOUR:
            raise RateLimited(
                f"too many reports about this place: at most {PER_ADDRESS_PER_HOUR} per hour "
                "(about 100 m); it is already being looked at"
            )
        shop_id = None
        if data.shop_code:
            shop = session.execute(select(Shop).where(Shop.code == data.shop_code)).scalar_one_or_none()
            if shop is None:
                raise NotFound(f"shop {data.shop_code!r} is not registered", field="shop")
            shop_id = shop.id
        rep = CommunityReport(
            token_hash=_hash(token),
            category=data.category,
            lon=data.lon,
            lat=data.lat,
            address=data.address.strip()[:256],
            text=data.text.strip(),
            reporter_name=(data.name or "").strip() or None,
            reporter_phone=(data.phone or "").strip() or None,
            reporter_key=who,
            address_key=where,
            shop_id=shop_id,
            station_code=loc.station,
            status="received",
            has_photo=data.photo is not None,
            created_at=now,
        )
        session.add(rep)
        session.flush()
        if data.photo is not None:
            session.add(ReportPhoto(report_id=rep.id, content_type=str(data.photo_type), data=data.photo))
    return rep, token


def _serialise(session: Session, *keys: str) -> None:
    """Concurrent reports by one reporter or about one place take turns, so a burst cannot slip
    past the limit. SQLite already has one writer at a time (BEGIN IMMEDIATE); PostgreSQL takes
    transaction-scoped advisory locks on the keys."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for key in sorted(keys):
        lock = int(hashlib.sha256(key.encode()).hexdigest()[:15], 16)
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock})


def by_token(session: Session, token: str) -> CommunityReport:
    rep = session.execute(
        select(CommunityReport).where(CommunityReport.token_hash == _hash(token))
    ).scalar_one_or_none()
    if rep is None:
        raise NotFound("no report for this follow-up link (check that it was copied completely)")
    return rep


def get(session: Session, report_id: int, station: str | None) -> CommunityReport:
    rep = session.get(CommunityReport, report_id)
    if rep is None or (station is not None and rep.station_code != station):
        raise NotFound(f"no community report with id {report_id} in your jurisdiction")
    return rep


def listing(
    session: Session, *, station: str | None, status: str | None, limit: int, offset: int
) -> Sequence[CommunityReport]:
    stmt = select(CommunityReport).order_by(CommunityReport.id.desc()).limit(limit).offset(offset)
    if station is not None:
        stmt = stmt.where(CommunityReport.station_code == station)
    if status is not None:
        stmt = stmt.where(
            CommunityReport.status
            == choice(status, ("received", "incident", "hazard", "dismissed"), "status")
        )
    return session.execute(stmt).scalars().all()


@dataclass(frozen=True)
class Triage:
    action: str  # incident | hazard | dismiss
    note: str = ""
    incident_category: str | None = None
    priority: int | None = None
    hazard_category: str = "other"
    deadline_days: int | None = None


def triage(
    session: Session,
    report_id: int,
    decision: Triage,
    *,
    actor: str,
    station: str | None,
    jur: Jurisdiction,
    taxonomy: Taxonomy,
    now: datetime,
) -> CommunityReport:
    """Turn a received report into an incident, a hazard, or a dismissal (exactly once)."""
    choice(decision.action, ("incident", "hazard", "dismiss"), "action")
    with session.begin():
        rep = get(session, report_id, station)
        _must_be_open(rep)
        snapshot = (rep.category, rep.lon, rep.lat, rep.text, rep.reporter_name, rep.reporter_phone)
        created = rep.created_at
    incident_id = None
    if decision.action == "incident":
        if decision.incident_category is None:
            raise InvalidInput(
                "incident_category is required to triage into an incident", field="incident_category"
            )
        category, lon, lat, text, name, phone = snapshot
        data = incident_store.IncidentInput(
            category=decision.incident_category,
            priority=decision.priority,
            source="community_report",
            lon=lon,
            lat=lat,
            description=f"[community report {report_id}, {category}] {text}",
            reported_at=created,
            caller_name=name,
            caller_phone=phone,
        )
        inc, _ = incident_store.create(
            session,
            data=data,
            key=f"community-report:{report_id}",
            actor=actor,
            jur=jur,
            taxonomy=taxonomy,
            now=now,
        )
        incident_id = inc.id
    with session.begin():
        rep = get(session, report_id, station)
        hazard_id = None
        if decision.action == "hazard":
            hz = hazard_rules.create_in(
                session,
                hazard_rules.HazardInput(
                    category=decision.hazard_category,
                    description=rep.text,
                    lon=rep.lon,
                    lat=rep.lat,
                    found_at=rep.created_at,
                    deadline_days=decision.deadline_days,
                ),
                actor=actor,
                jur=jur,
                now=now,
                report_id=rep.id,
            )
            hazard_id = hz.id
        status = {"incident": "incident", "hazard": "hazard", "dismiss": "dismissed"}[decision.action]
        done = session.execute(  # type: ignore[attr-defined]
            update(CommunityReport)
            .where(CommunityReport.id == rep.id, CommunityReport.status == "received")
            .values(
                status=status,
                triage_note=decision.note[:2000],
                triaged_by=actor,
                triaged_at=now,
                incident_id=incident_id,
                hazard_id=hazard_id,
            )
        ).rowcount
        if done != 1:
            raise Conflict(f"community report {report_id} was triaged by someone else meanwhile")
        audit.append(
            session,
            actor=actor,
            action="community_report.triage",
            target=f"community_report:{rep.id}",
            detail={"status": status, "incident": incident_id, "hazard": hazard_id},
        )
    session.expire_all()
    with session.begin():
        return get(session, report_id, station)


def _must_be_open(rep: CommunityReport) -> None:
    if rep.status != "received":
        raise Conflict(
            f"community report {rep.id} is already triaged ({rep.status}); a report is triaged once",
            field="action",
        )


def photo(session: Session, report_id: int) -> ReportPhoto:
    row = session.get(ReportPhoto, report_id)
    if row is None:
        raise NotFound(f"community report {report_id} has no photo")
    return row
