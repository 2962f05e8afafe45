"""8 dispatchers race to assign the same units to different incidents: the database admits exactly one
active assignment per unit and every loser gets a Conflict naming the reason."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, select

from svc_world import LAT0, LON0, jurisdiction, seed
from xunfang.core.errors import Conflict
from xunfang.incidents.categories import Taxonomy
from xunfang.jurisdiction.model import Jurisdiction
from xunfang.store.assignments import assign, assign_first
from xunfang.store.db import session_factory
from xunfang.store.incidents import IncidentInput, Scope, create
from xunfang.store.models import Assignment, utcnow

DISPATCHERS = 8
UNITS = ["U-PAT-1", "U-PAT-2", "U-PAT-3"]


@contextmanager
def _outcome(lost: list[str], errors: list[BaseException]) -> Iterator[None]:
    """One dispatcher's attempt: a Conflict is a lost race (its message kept), anything else a
    failure of the test."""
    try:
        yield
    except Conflict as exc:
        lost.append(exc.message)
    except BaseException as exc:
        errors.append(exc)


def _race(dispatcher: Callable[[int], None]) -> None:
    """One thread per dispatcher (they meet at a barrier of their own); waits for all."""
    threads = [threading.Thread(target=dispatcher, args=(k,)) for k in range(DISPATCHERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)


def _incidents(engine: Engine, jur: Jurisdiction, tax: Taxonomy, n: int) -> list[int]:
    sessions = session_factory(engine)
    ids = []
    for i in range(n):
        data = IncidentInput("dispute", 3, "call_110", LON0 + 0.01, LAT0 + 0.01, f"#{i}", None)
        with sessions() as s:
            ids.append(
                create(s, data=data, key=f"race-{i}", actor="d", jur=jur, taxonomy=tax, now=utcnow())[0].id
            )
    return ids


def test_racing_preference_lists_never_double_assign(engine: Engine) -> None:
    """Every dispatcher asks for the same three units in the same order (the top of the same
    recommendations): three incidents get one unit each, the rest a Conflict naming all three."""
    jur, tax = jurisdiction(), Taxonomy()
    seed(engine, jur)
    sessions = session_factory(engine)
    ids = _incidents(engine, jur, tax, DISPATCHERS)
    barrier = threading.Barrier(DISPATCHERS)
    won: list[str] = []
    lost: list[str] = []
    errors: list[BaseException] = []

    def dispatcher(k: int) -> None:
        barrier.wait()
        with _outcome(lost, errors), sessions() as s:
            got = assign_first(
                s, incident_id=ids[k], unit_ids=UNITS, actor=f"d{k}", scope=Scope(), taxonomy=tax,
                now=utcnow(),
            )  # fmt: skip
            won.append(got.row.unit_id)

    _race(dispatcher)
    assert errors == []
    assert sorted(won) == sorted(UNITS)
    assert len(lost) == DISPATCHERS - len(UNITS)
    assert all(m.startswith("none of these units") and all(u in m for u in UNITS) for m in lost)
    with sessions() as s, s.begin():
        active = s.execute(select(Assignment.unit_id).where(Assignment.active.is_(True))).scalars().all()
    assert sorted(active) == sorted(UNITS)


def test_racing_dispatchers_never_double_assign(engine: Engine) -> None:
    jur, tax = jurisdiction(), Taxonomy()
    seed(engine, jur)
    sessions = session_factory(engine)
    ids = _incidents(engine, jur, tax, DISPATCHERS)
    barrier = threading.Barrier(DISPATCHERS)
    won: list[tuple[int, str]] = []
    lost: list[str] = []
    errors: list[BaseException] = []

    def dispatcher(k: int) -> None:
        barrier.wait()
        for unit in UNITS:
            with _outcome(lost, errors), sessions() as s:
                assign(
                    s,
                    incident_id=ids[k],
                    unit_id=unit,
                    actor=f"d{k}",
                    scope=Scope(),
                    taxonomy=tax,
                    now=utcnow(),
                )
                won.append((ids[k], unit))

    _race(dispatcher)
    assert errors == []
    assert len(won) == len(UNITS) and len(lost) == DISPATCHERS * len(UNITS) - len(UNITS)
    assert all("active assignment" in m or "only available" in m for m in lost)
    with sessions() as s, s.begin():
        active = s.execute(select(Assignment.unit_id).where(Assignment.active.is_(True))).scalars().all()
    assert sorted(active) == sorted(UNITS)
    assert max(Counter(active).values()) == 1


def test_database_itself_refuses_a_second_active_assignment(engine: Engine) -> None:
    import pytest
    from sqlalchemy.exc import IntegrityError

    jur, tax = jurisdiction(), Taxonomy()
    seed(engine, jur)
    sessions = session_factory(engine)
    with sessions() as s:
        data = IncidentInput("dispute", 3, "call_110", LON0 + 0.01, LAT0 + 0.01, "", None)
        inc = create(s, data=data, key="k", actor="d", jur=jur, taxonomy=tax, now=utcnow())[0]
    with sessions() as s, s.begin():
        s.add(Assignment(incident_id=inc.id, unit_id="U-PAT-1", active=True, actor="x", created_at=utcnow()))
        s.add(Assignment(incident_id=inc.id, unit_id="U-PAT-1", active=False, actor="x", created_at=utcnow()))
    with pytest.raises(IntegrityError), sessions() as s, s.begin():
        s.add(Assignment(incident_id=inc.id, unit_id="U-PAT-1", active=True, actor="y", created_at=utcnow()))
