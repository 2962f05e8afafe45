"""Turn stored rows into response models, withholding caller identity from those who may not see it
and auditing every read of it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session

from xunfang.api.schemas.incidents import CallerRead, EventRead, IncidentRead
from xunfang.api.security import Principal
from xunfang.incidents.categories import Taxonomy
from xunfang.store import audit
from xunfang.store import incidents as store
from xunfang.store.models import Incident


def incident_read(inc: Incident | Row[Any], user: Principal, taxonomy: Taxonomy) -> IncidentRead:
    cat = taxonomy.get(inc.category)
    has_caller = inc.caller_name is not None or inc.caller_phone is not None
    show = has_caller and user.sees_caller
    out = IncidentRead(
        id=inc.id,
        category=inc.category,
        category_zh=cat.zh,
        category_en=cat.en,
        priority=inc.priority,
        source=inc.source,
        lon=inc.lon,
        lat=inc.lat,
        description=inc.description,
        caller=CallerRead(name=inc.caller_name, phone=inc.caller_phone) if show else None,
        caller_withheld=has_caller and not show,
        status=inc.status,
        tier_min=inc.tier_min,
        deadline_at=inc.deadline_at,
        deadline_missed=inc.deadline_missed,
        handover_prompted=inc.handover_prompted,
        station=inc.station_code,
        sub_bureau=inc.subbureau_code,
        grid=inc.grid_code,
        reported_at=inc.reported_at,
        received_at=inc.received_at,
        on_scene_at=inc.on_scene_at,
    )
    return out


def incident_detail(d: store.Detail, user: Principal, taxonomy: Taxonomy) -> IncidentRead:
    """The incident with its event history and assigned units."""
    out = incident_read(d.incident, user, taxonomy)
    out.events = [EventRead.model_validate(e) for e in d.events]
    out.units = list(d.units)
    return out


def audit_caller_reads(session: Session, user: Principal, incidents: Sequence[Incident | Row[Any]]) -> None:
    """One audit row naming every incident whose caller identity this response shows."""
    ids = [i.id for i in incidents if i.caller_name is not None or i.caller_phone is not None]
    audit_caller_ids(session, user, ids)


def audit_caller_ids(session: Session, user: Principal, ids: Sequence[int]) -> None:
    """The same for incidents known to have a caller (``ids``)."""
    if user.sees_caller and ids:
        audit.append(
            session, actor=user.name, action="caller.read", target="incidents", detail={"ids": list(ids)}
        )
