"""Assigning a unit to an incident. The unique partial index on active assignments makes the
database refuse a second active assignment for a unit, whatever the dispatchers race to do."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from xunfang.core.errors import Conflict, Forbidden, NotFound
from xunfang.forces.types import ForceType, UnitStatus
from xunfang.incidents.categories import Taxonomy
from xunfang.incidents.lifecycle import EventType, Status, apply
from xunfang.store import audit
from xunfang.store.incidents import Scope, active_assignments, get, record_event
from xunfang.store.models import Assignment, Incident, JurisdictionNode, Unit


def assign(
    session: Session,
    *,
    incident_id: int,
    unit_id: str,
    actor: str,
    scope: Scope,
    taxonomy: Taxonomy,
    now: datetime,
) -> Assignment:
    try:
        with session.begin():
            return _assign(
                session,
                incident_id=incident_id,
                unit_id=unit_id,
                actor=actor,
                scope=scope,
                taxonomy=taxonomy,
                now=now,
            )
    except IntegrityError:
        session.rollback()
        with session.begin():
            holder = session.execute(
                select(Assignment.incident_id).where(
                    Assignment.unit_id == unit_id, Assignment.active.is_(True)
                )
            ).scalar_one_or_none()
        raise Conflict(
            f"unit {unit_id} already has an active assignment (incident {holder}); it cannot take two",
            field="unit_id",
        ) from None


def _assign(
    session: Session,
    *,
    incident_id: int,
    unit_id: str,
    actor: str,
    scope: Scope,
    taxonomy: Taxonomy,
    now: datetime,
) -> Assignment:
    inc = get(session, incident_id, scope, lock=True)
    unit = session.get(Unit, unit_id)
    if unit is None:
        free = (
            session.execute(select(Unit.id).where(Unit.status == "available").order_by(Unit.id))
            .scalars()
            .all()
        )
        raise NotFound(f"no unit {unit_id!r}; available units: {', '.join(free) or 'none'}")
    _check_unit_scope(session, unit, scope)
    before = Status(inc.status)
    after = apply(before, EventType.ASSIGN)
    if unit.status not in (UnitStatus.AVAILABLE.value, UnitStatus.ASSIGNED.value):
        raise Conflict(
            f"unit {unit_id} is {unit.status}; only available units can be assigned", field="unit_id"
        )
    _check_powers(session, inc, unit, taxonomy)
    row = Assignment(incident_id=inc.id, unit_id=unit.id, active=True, actor=actor, created_at=now)
    session.add(row)
    session.flush()  # the unique partial index fires here
    unit.status = UnitStatus.ASSIGNED.value
    inc.status, inc.updated_at = after.value, now
    record_event(
        session, inc, "assigned", actor=actor, now=now, change=(before.value, after.value), unit_id=unit.id
    )
    audit.append(
        session,
        actor=actor,
        action="assignment.create",
        target=f"incident:{inc.id}",
        detail={"unit": unit.id},
    )
    return row


def _check_unit_scope(session: Session, unit: Unit, scope: Scope) -> None:
    """A station account dispatches the units of its own jurisdiction; others go through the
    command centre (a commander or dispatcher)."""
    if scope.area is None or unit.station_code == scope.area:
        return
    parent = session.execute(
        select(JurisdictionNode.parent_code).where(JurisdictionNode.code == unit.station_code)
    ).scalar_one_or_none()
    if parent != scope.area:
        raise Forbidden(
            f"unit {unit.id} belongs to station {unit.station_code}, outside this account's "
            f"jurisdiction {scope.area}; ask the command centre to send it"
        )


def _check_powers(session: Session, inc: Incident, unit: Unit, taxonomy: Taxonomy) -> None:
    spec = ForceType(unit.force_type).spec
    if not taxonomy.get(inc.category).criminal or spec.sworn or not spec.counts_as_arrival:
        return
    present = [
        ForceType(session.get_one(Unit, a.unit_id).force_type) for a in active_assignments(session, inc.id)
    ]
    if not any(f.spec.sworn for f in present):
        raise Conflict(
            f"a {spec.en} may not be the only unit at a criminal incident; assign sworn police first",
            field="unit_id",
        )
