"""Incident intake, reads and lifecycle events (each change + its event + its audit row in one
transaction; the 201 is sent only after that transaction committed)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from xunfang.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from xunfang.forces.types import ForceType, UnitStatus
from xunfang.incidents.categories import Taxonomy
from xunfang.incidents.lifecycle import RELEASES_UNITS, EventType, Status, apply
from xunfang.incidents.sla import arrival_deadline, response_tier
from xunfang.jurisdiction.model import Jurisdiction
from xunfang.store import audit
from xunfang.store.models import Assignment, IdempotencyKey, Incident, IncidentEvent, Unit, table


@dataclass(frozen=True)
class IncidentInput:
    category: str
    priority: int | None
    source: str
    lon: float
    lat: float
    description: str
    reported_at: datetime | None
    caller_name: str | None = None
    caller_phone: str | None = None

    def digest(self) -> str:
        body = json.dumps(asdict(self), sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(body.encode()).hexdigest()


MAX_SKEW_S = 300  # a client clock this far ahead is tolerated (and corrected); beyond, 422


@dataclass(frozen=True)
class Scope:
    """Which incidents a user may see (all, or those of one station / sub-bureau) and, for a
    patrol account, the one unit whose incidents it may report on."""

    area: str | None = None
    unit: str | None = None

    def allows_area(self, station: str, subbureau: str | None) -> bool:
        return self.area is None or self.area in (station, subbureau)

    def check_field_event(self, kind: EventType, incident_id: int, unit_ids: Sequence[str]) -> None:
        """A patrol account reports progress only on incidents its own unit is assigned to, and
        never cancels one (that is the dispatcher's decision)."""
        if self.unit is None:
            return
        if kind is EventType.CANCEL:
            raise Forbidden("a patrol account may not cancel an incident; ask the dispatcher")
        if self.unit not in unit_ids:
            raise Forbidden(
                f"unit {self.unit} is not assigned to incident {incident_id}; "
                "a patrol account reports only on its own unit's incidents"
            )


_INC = table(Incident)
_KEYS = table(IdempotencyKey)
_UNITS = table(Unit)
_ASSIGNMENTS = table(Assignment)
_EV = table(IncidentEvent)
# Statements built once (see audit.py): these transactions hold the write lock.
_ADD_INCIDENT = insert(_INC).returning(_INC.c.id)
_ADD_KEY = insert(_KEYS)
_ADD_EVENT = insert(_EV)
_FIND_KEY = select(_KEYS.c.incident_id, _KEYS.c.body_hash).where(_KEYS.c.key == bindparam("k"))
_LOCK_INCIDENT = (
    select(
        _INC.c.id, _INC.c.status, _INC.c.category, _INC.c.station_code, _INC.c.subbureau_code,
        _INC.c.caller_name, _INC.c.caller_phone,
    )
    .where(_INC.c.id == bindparam("i"))
    .with_for_update()
)  # fmt: skip
_SET_STATUS = (
    update(_INC).where(_INC.c.id == bindparam("i")).values(status=bindparam("st"), updated_at=bindparam("at"))
)
_ARRIVE = _SET_STATUS.values(on_scene_at=bindparam("at"))
_ACTIVE = (_ASSIGNMENTS.c.incident_id == bindparam("i"), _ASSIGNMENTS.c.active.is_(True))
_ACTIVE_UNITS = select(_ASSIGNMENTS.c.unit_id).where(*_ACTIVE)
_END_ASSIGNMENTS = update(_ASSIGNMENTS).where(*_ACTIVE).values(active=False, ended_at=bindparam("at"))
_UNIT_IDS = _UNITS.c.id.in_(bindparam("ids", expanding=True))
_UNITS_STATUS = update(_UNITS).where(_UNIT_IDS).values(status=bindparam("st"))
_ACTIVE_FORCES = (
    select(_ASSIGNMENTS.c.unit_id, _UNITS.c.force_type)
    .join(_UNITS, _UNITS.c.id == _ASSIGNMENTS.c.unit_id)
    .where(*_ACTIVE)
    .order_by(_ASSIGNMENTS.c.id)
)


def create(
    session: Session,
    *,
    data: IncidentInput,
    key: str,
    actor: str,
    jur: Jurisdiction,
    taxonomy: Taxonomy,
    now: datetime,
) -> tuple[Incident, bool]:
    """(incident, created). A repeated Idempotency-Key returns the first incident unchanged."""
    digest = data.digest()
    cat = taxonomy.get(data.category)
    loc = jur.locate(data.lon, data.lat)
    priority = data.priority if data.priority is not None else cat.default_priority
    tier = response_tier(priority, loc.place_class)
    reported = data.reported_at or now
    if (reported - now).total_seconds() > MAX_SKEW_S:
        raise InvalidInput(
            f"reported_at {reported.isoformat()} is more than {MAX_SKEW_S} s ahead of the server clock "
            "(send ISO 8601 with the right UTC offset)",
            field="reported_at",
        )
    reported = min(reported, now)  # a fast client clock: the call cannot postdate its receipt
    values = {
        "category": cat.code,
        "priority": priority,
        "source": data.source,
        "lon": data.lon,
        "lat": data.lat,
        "description": data.description,
        "caller_name": data.caller_name,
        "caller_phone": data.caller_phone,
        "reported_at": reported,
        "received_at": now,
        "status": Status.RECEIVED.value,
        "tier_min": tier,
        "deadline_at": arrival_deadline(now, tier),
        "station_code": loc.station,
        "subbureau_code": loc.sub_bureau,
        "grid_code": loc.grid,
        "deadline_missed": False,
        "handover_prompted": False,
        "updated_at": now,
    }
    try:
        # one transaction: key lookup, incident, key row, event, audit row; plain statements on
        # the tables (the ORM's unit of work cost ~2 ms of the ~3 ms this holds the write lock)
        with session.begin():
            existing = _lookup(session, key, digest)
            if existing is not None:
                return existing, False
            conn = session.connection()
            inc_id = conn.execute(_ADD_INCIDENT, values).scalar_one()
            conn.execute(
                _ADD_KEY, {"key": key, "incident_id": inc_id, "body_hash": digest, "created_at": now}
            )
            inc = Incident(id=inc_id, **values)
            record_event(
                session,
                inc_id,
                "received",
                actor=actor,
                now=now,
                change=(None, Status.RECEIVED.value),
                note=f"source {data.source}",
            )
            audit.append(
                session,
                actor=actor,
                action="incident.create",
                target=f"incident:{inc_id}",
                detail={"category": cat.code, "priority": priority, "station": loc.station},
            )
    except IntegrityError:
        # the same key committed by a concurrent request: answer with that incident
        session.rollback()
        again = _replay(session, key, digest)
        if again is None:
            raise
        return again, False
    return inc, True


def _replay(session: Session, key: str, digest: str) -> Incident | None:
    with session.begin():
        return _lookup(session, key, digest)


def _lookup(session: Session, key: str, digest: str) -> Incident | None:
    row = session.connection().execute(_FIND_KEY, {"k": key}).first()
    if row is None:
        return None
    if row.body_hash != digest:
        raise Conflict(
            f"Idempotency-Key {key!r} was used for incident {row.incident_id} with a different body",
            field="Idempotency-Key",
        )
    return session.get_one(Incident, row.incident_id)


def record_event(
    session: Session,
    incident_id: int,
    kind: str,
    *,
    actor: str,
    now: datetime,
    change: tuple[str | None, str | None],
    unit_id: str | None = None,
    note: str = "",
) -> None:
    """One row of the incident's event log, in the session's transaction (a plain insert)."""
    session.connection().execute(
        _ADD_EVENT,
        {
            "incident_id": incident_id,
            "type": kind,
            "actor": actor,
            "at": now,
            "before_status": change[0],
            "after_status": change[1],
            "unit_id": unit_id,
            "note": note,
        },
    )


@dataclass(frozen=True)
class Detail:
    """An incident's row (attributes named as on :class:`Incident`), its events in order and the
    units actively assigned to it."""

    incident: Row[Any]
    events: Sequence[Row[Any]]
    units: Sequence[str]


_ROW = select(_INC).where(_INC.c.id == bindparam("i"))
_EVENTS = select(_EV).where(_EV.c.incident_id == bindparam("i")).order_by(_EV.c.id)


def detail(session: Session, incident_id: int, scope: Scope) -> Detail:
    """One incident with its events and units, as plain rows of statements built once: every
    lifecycle event answers with this, and loading it through the ORM was a third of the event."""
    conn = session.connection()
    row = _in_scope(conn.execute(_ROW, {"i": incident_id}).one_or_none(), incident_id, scope)
    return Detail(row, conn.execute(_EVENTS, {"i": incident_id}).all(), assigned_units(session, incident_id))


@dataclass(frozen=True)
class Place:
    """What dispatch needs of an incident."""

    id: int
    lon: float
    lat: float
    category: str
    station_code: str
    subbureau_code: str | None


_PLACE = select(
    _INC.c.id, _INC.c.lon, _INC.c.lat, _INC.c.category, _INC.c.station_code, _INC.c.subbureau_code
).where(_INC.c.id == bindparam("i"))


def locate(session: Session, incident_id: int, scope: Scope) -> Place:
    """An incident's place, read without building the ORM object (nor decrypting caller fields)
    by a statement built once (building it per call cost as much as running it)."""
    row = session.connection().execute(_PLACE, {"i": incident_id}).one_or_none()
    return Place(*_in_scope(row, incident_id, scope))


_FLEET = select(
    _UNITS.c.id, _UNITS.c.force_type, _UNITS.c.status, _UNITS.c.shift_start_min, _UNITS.c.shift_end_min
)


def fleet_rows(session: Session) -> Sequence[tuple[str, str, str, int, int]]:
    """Every unit as (id, force type, status, shift start, shift end): plain rows of a statement
    built once, because every recommendation reads the whole fleet and the ORM's per-row work was
    a tenth of that request."""
    return session.connection().execute(_FLEET).all()


def assigned_units(session: Session, incident_id: int) -> Sequence[str]:
    """Units with an active assignment to the incident."""
    return session.connection().execute(_ACTIVE_UNITS, {"i": incident_id}).scalars().all()


def listing(
    session: Session, scope: Scope, *, status: Status | None, limit: int, offset: int
) -> Sequence[Incident]:
    stmt = select(Incident).order_by(Incident.id.desc()).limit(limit).offset(offset)
    if status is not None:
        stmt = stmt.where(Incident.status == status.value)
    if scope.area is not None:
        stmt = stmt.where((Incident.station_code == scope.area) | (Incident.subbureau_code == scope.area))
    return session.execute(stmt).scalars().all()


@dataclass(frozen=True)
class EventDone:
    """What a lifecycle event changed; the incident itself is read back outside the write lock."""

    id: int
    before: Status
    after: Status
    station_code: str
    has_caller: bool


def post_event(
    session: Session,
    *,
    incident_id: int,
    kind: EventType,
    note: str,
    actor: str,
    scope: Scope,
    now: datetime,
    also: Callable[[Session, EventDone], None] | None = None,
) -> EventDone:
    """Apply a lifecycle event; units follow the incident (en route, on scene, released).

    Plain statements built once (see ``_LOCK_INCIDENT``): the transaction holds the write lock,
    and the ORM's loading (with the caller fields' decryption) and unit of work cost most of it.
    ``also`` runs inside the same transaction (the caller's audit rows): on SQLite every write
    transaction queues for the one write lock, so a second one per request doubles the wait.
    """
    with session.begin():
        row = lock_incident(session, incident_id, scope)
        before = Status(row.status)
        assigned = assigned_forces(session, incident_id)
        units = list(assigned)
        scope.check_field_event(kind, incident_id, units)
        after = apply(before, kind)
        if kind is EventType.ARRIVED:
            _check_arrival(assigned.values())
            session.connection().execute(_ARRIVE, {"i": incident_id, "st": after.value, "at": now})
        else:
            set_status(session, incident_id, after, now)
        if kind is EventType.HANDOVER:
            note = (note + " " if note else "") + f"handed over to station {row.station_code}"
        _move_units(session, incident_id, units, after, now)
        done = EventDone(
            incident_id,
            before,
            after,
            row.station_code,
            row.caller_name is not None or row.caller_phone is not None,
        )
        record_event(
            session,
            incident_id,
            kind.value,
            actor=actor,
            now=now,
            change=(before.value, after.value),
            note=note,
        )
        audit.append(
            session,
            actor=actor,
            action=f"incident.{kind.value}",
            target=f"incident:{incident_id}",
            detail={"before": before.value, "after": after.value},
        )
        if also is not None:
            also(session, done)
    return done


def set_status(session: Session, incident_id: int, status: Status, now: datetime) -> None:
    """The incident's new status (a plain statement, for transactions that hold the write lock)."""
    session.connection().execute(_SET_STATUS, {"i": incident_id, "st": status.value, "at": now})


def lock_incident(session: Session, incident_id: int, scope: Scope) -> Row[*tuple[Any, ...]]:
    """The incident's row, locked for this transaction (NotFound outside the scope)."""
    return _in_scope(
        session.connection().execute(_LOCK_INCIDENT, {"i": incident_id}).one_or_none(), incident_id, scope
    )


def _in_scope(row: Row[*tuple[Any, ...]] | None, incident_id: int, scope: Scope) -> Row[*tuple[Any, ...]]:
    """An incident's row (with its station and sub-bureau codes); NotFound when there is none in
    ``scope`` (an incident outside it is not revealed to exist)."""
    if row is None or not scope.allows_area(row.station_code, row.subbureau_code):
        raise NotFound(f"no incident with id {incident_id} in your jurisdiction")
    return row


def assigned_forces(session: Session, incident_id: int) -> dict[str, ForceType]:
    """The force type of each unit actively assigned to the incident, in assignment order (one
    statement: the lifecycle needs the units and, for an arrival, their forces)."""
    rows = session.connection().execute(_ACTIVE_FORCES, {"i": incident_id}).all()
    return {u: ForceType(f) for u, f in rows}


def _check_arrival(forces: Iterable[ForceType]) -> None:
    if not any(f.spec.counts_as_arrival for f in forces):
        raise Conflict(
            "arrival needs an assigned unit that counts as arrival (a drone only observes)", field="type"
        )


def _move_units(session: Session, incident_id: int, ids: Sequence[str], after: Status, now: datetime) -> None:
    if not ids:
        return
    conn = session.connection()
    if after in RELEASES_UNITS:
        conn.execute(_END_ASSIGNMENTS, {"i": incident_id, "at": now})
        new = UnitStatus.AVAILABLE
    elif after is Status.EN_ROUTE:
        new = UnitStatus.EN_ROUTE
    elif after is Status.ON_SCENE:
        new = UnitStatus.ON_SCENE
    else:
        return
    conn.execute(_UNITS_STATUS, {"ids": list(ids), "st": new.value})
