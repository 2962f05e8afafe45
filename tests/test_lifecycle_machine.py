"""The incident lifecycle as a hypothesis state machine, driven through the real services and
database and checked against a small model after every step."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import Engine, select

from svc_world import LAT0, LON0, UNITS, jurisdiction, seed
from xunfang.core.errors import Conflict
from xunfang.forces.types import ForceType
from xunfang.incidents.categories import Taxonomy
from xunfang.incidents.lifecycle import RELEASES_UNITS, TRANSITIONS, EventType, Status
from xunfang.store import audit
from xunfang.store.assignments import assign
from xunfang.store.db import session_factory
from xunfang.store.incidents import IncidentInput, Scope, create, post_event
from xunfang.store.models import Assignment, Incident, Unit, utcnow

FORCE = {u[0]: ForceType(u[1]) for u in UNITS}
EVENTS = [e for e in EventType if e is not EventType.ASSIGN]


def test_lifecycle_state_machine(engine: Engine) -> None:
    jur, tax = jurisdiction(), Taxonomy()
    seed(engine, jur)
    sessions = session_factory(engine)
    keys = itertools.count()

    class Lifecycle(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.category = "dispute"
            data = IncidentInput(self.category, 3, "call_110", LON0 + 0.01, LAT0 + 0.01, "", None)
            with sessions() as s:
                inc, _ = create(
                    s, data=data, key=f"m{next(keys)}", actor="t", jur=jur, taxonomy=tax, now=utcnow()
                )
            self.id, self.status, self.units = inc.id, Status.RECEIVED, set[str]()

        @rule(criminal=st.booleans())
        def set_category(self, criminal: bool) -> None:
            """Which category the model believes (changed in the DB directly, before any unit)."""
            if self.units:
                return
            self.category = "theft" if criminal else "dispute"
            with sessions() as s, s.begin():
                s.get_one(Incident, self.id).category = self.category

        @rule(unit=st.sampled_from([u[0] for u in UNITS]))
        def assign_unit(self, unit: str) -> None:
            spec = FORCE[unit].spec
            ok = (self.status, EventType.ASSIGN) in TRANSITIONS and unit not in self.units
            sworn_there = any(FORCE[u].spec.sworn for u in self.units)
            if (
                tax.get(self.category).criminal
                and not spec.sworn
                and spec.counts_as_arrival
                and not sworn_there
            ):
                ok = False
            try:
                with sessions() as s:
                    assign(
                        s,
                        incident_id=self.id,
                        unit_id=unit,
                        actor="t",
                        scope=Scope(),
                        taxonomy=tax,
                        now=utcnow(),
                    )
            except Conflict:
                assert not ok
                return
            assert ok
            self.units.add(unit)
            self.status = TRANSITIONS[(self.status, EventType.ASSIGN)]

        @rule(kind=st.sampled_from(EVENTS))
        def event(self, kind: EventType) -> None:
            nxt = TRANSITIONS.get((self.status, kind))
            if kind is EventType.ARRIVED and not any(FORCE[u].spec.counts_as_arrival for u in self.units):
                nxt = None
            try:
                with sessions() as s:
                    post_event(
                        s, incident_id=self.id, kind=kind, note="", actor="t", scope=Scope(), now=utcnow()
                    )
            except Conflict:
                assert nxt is None
                return
            assert nxt is not None
            self.status = nxt
            if nxt in RELEASES_UNITS:
                self.units.clear()

        @invariant()
        def database_matches_model(self) -> None:
            with sessions() as s, s.begin():
                assert Status(s.get_one(Incident, self.id).status) is self.status
                active = s.execute(
                    select(Assignment.unit_id).where(
                        Assignment.incident_id == self.id, Assignment.active.is_(True)
                    )
                ).scalars()
                assert set(active) == self.units
                busy = s.execute(select(Unit.id).where(Unit.status != "available")).scalars()
                assert set(busy) == self.units

        def teardown(self) -> None:
            """Free the units for the next example: cancel what may be cancelled, close the rest."""
            if self.status.open:
                ending = (
                    EventType.CANCEL if (self.status, EventType.CANCEL) in TRANSITIONS else EventType.CLOSE
                )
                with sessions() as s:
                    post_event(
                        s,
                        incident_id=self.id,
                        kind=ending,
                        note="",
                        actor="t",
                        scope=Scope(),
                        now=utcnow(),
                    )

    run_state_machine_as_test(
        Lifecycle,
        settings=settings(
            max_examples=25,
            stateful_step_count=12,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
            database=None,
        ),
    )
    with sessions() as s, s.begin():
        assert audit.verify(s) == []
