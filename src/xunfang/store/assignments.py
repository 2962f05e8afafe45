"""Assigning a unit to an incident. The unique partial index on active assignments makes the
database refuse a second active assignment for a unit, whatever the dispatchers race to do."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from xunfang.core.errors import Conflict, Forbidden, NotFound
from xunfang.forces.types import ForceType, UnitStatus
from xunfang.incidents.categories import Taxonomy
from xunfang.incidents.lifecycle import EventType, Status, apply
from xunfang.store import audit
from xunfang.store.incidents import Scope, assigned_forces, lock_incident, record_event, set_status
from xunfang.store.models import Assignment, JurisdictionNode, Unit, table


class Assigned(NamedTuple):
    """The new assignment and its incident's station (for the live event, read in the same
    transaction: a read of its own after the commit cost a transaction per assignment)."""

    row: Assignment
    station_code: str


def assign(
    session: Session,
    *,
    incident_id: int,
    unit_id: str,
    actor: str,
    scope: Scope,
    taxonomy: Taxonomy,
    now: datetime,
) -> Assigned:
    """Send one unit; Conflict naming the incident that holds it when it is taken."""
    return assign_first(
        session, incident_id=incident_id, unit_ids=[unit_id], actor=actor, scope=scope, taxonomy=taxonomy,
        now=now,
    )  # fmt: skip


def assign_first(
    session: Session,
    *,
    incident_id: int,
    unit_ids: Sequence[str],
    actor: str,
    scope: Scope,
    taxonomy: Taxonomy,
    now: datetime,
) -> Assigned:
    """Assign the first of ``unit_ids`` (the dispatcher's order of preference, e.g. the top of
    the recommendations) that can take the incident, in one transaction.

    Why: between reading the recommendations and sending the best unit, another dispatcher may
    send it; with one unit per request the client learns that from a 409 and asks again, one
    round trip and one write transaction per unit taken meanwhile, and under load those
    repeats feed the backlog that made the list stale. A unit that cannot go (taken meanwhile,
    not available) only moves on to the next: nothing is written for a unit until its insert
    has succeeded, so no savepoint is needed. Conflict, naming every unit's reason, when none
    can be sent; a reason that concerns the incident (its lifecycle) or the caller's rights ends
    the attempt at once.
    """
    refused: list[str] = []
    with session.begin():
        inc = lock_incident(session, incident_id, scope)
        for unit_id in unit_ids:
            try:
                return _assign(
                    session, inc, unit_id=unit_id, actor=actor, scope=scope, taxonomy=taxonomy, now=now
                )
            except Conflict as exc:
                if len(unit_ids) == 1 or exc.field != "unit_id":
                    raise
                refused.append(exc.message)
    raise Conflict("none of these units can be sent: " + "; ".join(refused), field="unit_ids")


def _taken(session: Session, unit_id: str) -> str:
    holder = session.execute(
        select(Assignment.incident_id).where(Assignment.unit_id == unit_id, Assignment.active.is_(True))
    ).scalar_one_or_none()
    return f"unit {unit_id} already has an active assignment (incident {holder}); it cannot take two"


_UNITS = table(Unit)
_ASSIGNMENTS = table(Assignment)
# Plain statements built once: this transaction holds the write lock (see store/incidents.py).
_UNIT = select(_UNITS.c.id, _UNITS.c.status, _UNITS.c.station_code, _UNITS.c.force_type).where(
    _UNITS.c.id == bindparam("u")
)
# the unique partial index on active assignments answers "taken" with no row instead of an error
# that would end the transaction (PostgreSQL) or need a savepoint per unit tried
_ADD = {
    "sqlite": sqlite_insert(_ASSIGNMENTS).on_conflict_do_nothing().returning(_ASSIGNMENTS.c.id),
    "postgresql": pg_insert(_ASSIGNMENTS).on_conflict_do_nothing().returning(_ASSIGNMENTS.c.id),
}
_UNIT_ASSIGNED = update(_UNITS).where(_UNITS.c.id == bindparam("u")).values(status=UnitStatus.ASSIGNED.value)


def _assign(
    session: Session,
    inc: Row[Any],
    *,
    unit_id: str,
    actor: str,
    scope: Scope,
    taxonomy: Taxonomy,
    now: datetime,
) -> Assigned:
    conn = session.connection()
    unit = conn.execute(_UNIT, {"u": unit_id}).one_or_none()
    if unit is None:
        free = (
            session.execute(select(Unit.id).where(Unit.status == "available").order_by(Unit.id))
            .scalars()
            .all()
        )
        raise NotFound(f"no unit {unit_id!r}; available units: {', '.join(free) or 'none'}")
    _check_unit_scope(session, unit_id, unit.station_code, scope)
    before = Status(inc.status)
    after = apply(before, EventType.ASSIGN)
    if unit.status not in (UnitStatus.AVAILABLE.value, UnitStatus.ASSIGNED.value):
        raise Conflict(
            f"unit {unit_id} is {unit.status}; only available units can be assigned", field="unit_id"
        )
    _check_powers(session, inc.id, inc.category, ForceType(unit.force_type), taxonomy)
    row = {"incident_id": inc.id, "unit_id": unit_id, "active": True, "actor": actor, "created_at": now}
    new_id = conn.execute(_ADD[conn.dialect.name], row).scalar_one_or_none()
    if new_id is None:  # the first write: a unit refused here leaves nothing behind
        raise Conflict(_taken(session, unit_id), field="unit_id")
    conn.execute(_UNIT_ASSIGNED, {"u": unit_id})
    set_status(session, inc.id, after, now)
    record_event(
        session,
        inc.id,
        "assigned",
        actor=actor,
        now=now,
        change=(before.value, after.value),
        unit_id=unit_id,
    )
    audit.append(
        session,
        actor=actor,
        action="assignment.create",
        target=f"incident:{inc.id}",
        detail={"unit": unit_id},
    )
    return Assigned(Assignment(id=new_id, **row), inc.station_code)


def _check_unit_scope(session: Session, unit_id: str, station: str, scope: Scope) -> None:
    """A station account dispatches the units of its own jurisdiction; others go through the
    command centre (a commander or dispatcher)."""
    if scope.area is None or station == scope.area:
        return
    parent = session.execute(
        select(JurisdictionNode.parent_code).where(JurisdictionNode.code == station)
    ).scalar_one_or_none()
    if parent != scope.area:
        raise Forbidden(
            f"unit {unit_id} belongs to station {station}, outside this account's "
            f"jurisdiction {scope.area}; ask the command centre to send it"
        )


def _check_powers(
    session: Session, incident_id: int, category: str, force: ForceType, taxonomy: Taxonomy
) -> None:
    spec = force.spec
    if not taxonomy.get(category).criminal or spec.sworn or not spec.counts_as_arrival:
        return
    if not any(f.spec.sworn for f in assigned_forces(session, incident_id).values()):
        raise Conflict(
            f"a {spec.en} may not be the only unit at a criminal incident; assign sworn police first",
            field="unit_id",
        )
