"""Position reports are the shed load: beyond their budget they get 503 + Retry-After and store
nothing, while incident intake on the same service is still answered (no timing asserted here;
the latency figures come from `xunfang bench reliability --only overload`)."""

from __future__ import annotations

from sqlalchemy import Engine

from svc_world import LAT0, LON0, UNITS, incident_body, now_iso, service, token
from xunfang.api.admission import PositionBudget

POSITIONS = "/api/v1/units/positions"


def _fixes(n: int, dx: float = 0.0) -> list[dict[str, object]]:
    return [
        {"unit_id": UNITS[i % len(UNITS)][0], "lon": LON0 + dx, "lat": LAT0, "at": now_iso()}
        for i in range(n)
    ]


def test_budget_counts_slots_and_fixes() -> None:
    now = [0.0]
    b = PositionBudget(slots=1, per_s=10, clock=lambda: now[0])
    assert b.try_enter()
    assert not b.try_enter()  # the only slot is taken
    b.charge(25)  # one batch may overdraw the budget
    b.leave()
    assert not b.try_enter()  # slot free, but 15 fixes in debt
    now[0] = 1.6  # 16 fixes refilled: +1
    assert b.try_enter()
    b.leave()
    assert (b.admitted, b.shed) == (2, 2)


def test_flood_beyond_budget_is_shed_and_intake_still_served(engine: Engine) -> None:
    with service(engine, position_budget_per_s=3.0) as (client, ctx):
        ctx.position_budget.clock = lambda: 0.0  # frozen: no refill during the test
        disp = token(client, "dispatcher")
        first = client.post(POSITIONS, json=_fixes(5), headers=disp)
        assert first.status_code == 202, first.text
        before = ctx.positions.snapshot()
        shed = client.post(POSITIONS, json=_fixes(5, dx=0.01), headers=disp)
        assert shed.status_code == 503
        assert shed.headers["Retry-After"] == "1"
        assert "position intake is at capacity" in shed.json()["detail"]
        assert ctx.positions.snapshot() == before  # nothing of the shed batch was taken
        r = client.post("/api/v1/incidents", json=incident_body(), headers={**disp, "Idempotency-Key": "ov1"})
        assert r.status_code == 201, r.text
        assert (
            client.get(f"/api/v1/incidents/{r.json()['id']}/recommendations", headers=disp).status_code == 200
        )
        assert ctx.position_budget.shed == 1


def test_busy_slots_shed_positions_only(engine: Engine) -> None:
    with service(engine, position_slots=1) as (client, ctx):
        disp = token(client, "dispatcher")
        assert ctx.position_budget.try_enter()  # a batch in progress holds the only slot
        try:
            assert client.post(POSITIONS, json=_fixes(1), headers=disp).status_code == 503
            r = client.post(
                "/api/v1/incidents", json=incident_body(), headers={**disp, "Idempotency-Key": "ov2"}
            )
            assert r.status_code == 201, r.text
        finally:
            ctx.position_budget.leave()
        assert client.post(POSITIONS, json=_fixes(1), headers=disp).status_code == 202
