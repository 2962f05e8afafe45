"""Deadline watch (M14/M15): missed arrival deadlines and due hand-overs become events."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, false, select
from sqlalchemy.orm import Session

from xunfang.api.live import Broker, Event
from xunfang.incidents.lifecycle import Status
from xunfang.incidents.sla import HANDLING_S
from xunfang.store import audit
from xunfang.store.incidents import record_event
from xunfang.store.models import Incident

log = logging.getLogger(__name__)
WAITING = (Status.RECEIVED.value, Status.DISPATCHED.value, Status.EN_ROUTE.value)


def check_deadlines(session: Session, now: datetime, *, limit: int | None = None) -> list[Event]:
    """Mark and record deadlines passed since the last check; returns live-feed events.

    Every worker runs this watcher. The rows are locked (FOR UPDATE) and the flags are part of the
    condition, so when two workers check at once the second waits, re-reads the flag the first set
    and finds nothing: each deadline is recorded and published once (tests/test_workers.py)."""
    out: list[Event] = []
    with session.begin():
        late = _locked(
            session,
            limit,
            Incident.status.in_(WAITING),
            Incident.deadline_at < now,
            Incident.deadline_missed == false(),  # '=' (not IS): PostgreSQL's index serves it
        )
        for inc in late:
            inc.deadline_missed = True
            _record(session, inc, "deadline_missed", now, f"no arrival within {inc.tier_min} min")
            out.append(
                {
                    "kind": "deadline",
                    "incident_id": inc.id,
                    "what": "arrival_missed",
                    "tier_min": inc.tier_min,
                    "station": inc.station_code,
                }
            )
        due = _locked(
            session,
            limit,
            Incident.status == Status.ON_SCENE.value,
            Incident.on_scene_at <= now - timedelta(seconds=HANDLING_S),
            Incident.handover_prompted == false(),
        )
        for inc in due:
            inc.handover_prompted = True
            note = f"5 min on scene: hand over to station {inc.station_code}"
            _record(session, inc, "handover_prompt", now, note)
            out.append(
                {
                    "kind": "deadline",
                    "incident_id": inc.id,
                    "what": "handover_due",
                    "station": inc.station_code,
                }
            )
    return out


def _locked(session: Session, limit: int | None, *where: ColumnElement[bool]) -> Sequence[Incident]:
    """Incidents matching ``where``, locked, in id order (one lock order: watchers of several
    workers never deadlock)."""
    stmt = select(Incident).where(*where).order_by(Incident.id).limit(limit).with_for_update()
    return session.execute(stmt).scalars().all()


def _record(session: Session, inc: Incident, kind: str, now: datetime, note: str) -> None:
    """The system's event on the incident and its audit row."""
    record_event(session, inc.id, kind, actor="system", now=now, change=(inc.status, inc.status), note=note)
    audit.append(session, actor="system", action=f"incident.{kind}", target=f"incident:{inc.id}")


async def watch(sessions: object, broker: Broker, *, every_s: float = 5.0) -> None:
    """Background loop started by the app's lifespan."""
    from sqlalchemy.orm import sessionmaker

    from xunfang.store.models import utcnow

    assert isinstance(sessions, sessionmaker)
    while True:
        try:
            events = await asyncio.to_thread(_run_once, sessions, utcnow())
            for ev in events:
                broker.publish(ev)
        except Exception:  # keep watching: a transient DB error must not stop deadline checks
            log.exception("deadline check failed")
        await asyncio.sleep(every_s)


BATCH = 50  # deadlines per transaction: a backlog must not hold the write lock for long


def _run_once(sessions: object, now: datetime) -> list[Event]:
    """Every passed deadline, recorded in transactions of at most BATCH incidents each, so that
    intake (which needs the same write lock on SQLite) waits for one short batch at most."""
    from sqlalchemy.orm import sessionmaker

    assert isinstance(sessions, sessionmaker)
    out: list[Event] = []
    while True:
        with sessions() as s:
            events = check_deadlines(s, now, limit=BATCH)
        out += events
        if len(events) < BATCH:
            return out
        time.sleep(0.005)  # let writers queued meanwhile go first
