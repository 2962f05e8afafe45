"""Security: denials audited, jurisdiction scoping, caller privacy, login lockout, tokens."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select

from svc_world import LAT0, LON0, incident_body, login, service, token
from test_api_matrix import ALL, POLICY
from xunfang.api.security import Principal, issue
from xunfang.store import audit
from xunfang.store.db import session_factory
from xunfang.store.models import AuditEntry
from xunfang.store.users import Role

# The role × operation matrix lives in tests/test_api_matrix.py (generated from the OpenAPI).


# what GET /auth/me tells the dashboard, per action, must agree with the matrix's policy
ME_ACTIONS = {
    "incidents.create": "POST /incidents",
    "incidents.read": "GET /incidents",
    "incidents.dispatch": "POST /incidents/{incident_id}/assignments",
    "incidents.events": "POST /incidents/{incident_id}/events",
    "units.positions": "POST /units/positions",
    "units.read": "GET /units",
    "coverage.read": "GET /coverage",
}


def test_me_sends_the_allowed_actions_of_each_role(engine: Engine) -> None:
    with service(engine) as (client, _ctx):
        assert client.get("/api/v1/auth/me").status_code == 401
        for role in sorted(ALL):
            me = client.get("/api/v1/auth/me", headers=login(client, role)).json()
            assert (me["name"], me["role"]) == (role, role)
            for action, ep in ME_ACTIONS.items():
                assert (action in me["actions"]) == (role in POLICY[ep]), (role, action)
            assert "map.read" in me["actions"]
        station = client.get("/api/v1/auth/me", headers=token(client, "station")).json()
        assert station["station"] == "ST-W"


def test_denials_are_audited(engine: Engine) -> None:
    with service(engine) as (client, _ctx):
        r = client.get("/api/v1/coverage", headers=token(client, "volunteer"))
        assert r.status_code == 403 and "allowed roles" in r.json()["detail"]
        with session_factory(engine)() as s, s.begin():
            actions = s.execute(select(AuditEntry.action)).scalars().all()
        assert "permission.denied" in actions


def test_station_user_sees_only_its_jurisdiction(engine: Engine) -> None:
    with service(engine) as (client, _ctx):
        disp = {**token(client, "dispatcher")}
        west = client.post(
            "/api/v1/incidents", json=incident_body(), headers={**disp, "Idempotency-Key": "w"}
        ).json()
        east_body = incident_body(lon=LON0 + 0.035, lat=LAT0 + 0.03)
        east = client.post(
            "/api/v1/incidents", json=east_body, headers={**disp, "Idempotency-Key": "e"}
        ).json()
        assert (west["station"], east["station"]) == ("ST-W", "ST-E")
        st = token(client, "station")  # linked to ST-W
        ids = [i["id"] for i in client.get("/api/v1/incidents", headers=st).json()["items"]]
        assert ids == [west["id"]]
        assert client.get(f"/api/v1/incidents/{east['id']}", headers=st).status_code == 404
        r = client.post(f"/api/v1/incidents/{east['id']}/events", json={"type": "cancel"}, headers=st)
        assert r.status_code == 404
        units = client.get("/api/v1/units", headers=st).json()["items"]
        assert {u["station"] for u in units} == {"ST-W"}


def test_volunteer_never_receives_caller_identity(engine: Engine) -> None:
    with service(engine) as (client, ctx):
        disp = token(client, "dispatcher")
        inc = client.post(
            "/api/v1/incidents", json=incident_body(), headers={**disp, "Idempotency-Key": "v"}
        ).json()
        assert inc["caller"]["name"] == "Li Lei"
        vol = token(client, "volunteer")
        texts = [
            client.get("/api/v1/incidents", headers=vol).text,
            client.get(f"/api/v1/incidents/{inc['id']}", headers=vol).text,
            client.get("/api/v1/incidents/999", headers=vol).text,
            client.post(f"/api/v1/incidents/{inc['id']}/events", json={"type": "cancel"}, headers=vol).text,
            client.post(
                "/api/v1/incidents", json=incident_body(), headers={**vol, "Idempotency-Key": "v"}
            ).text,
            client.post(
                "/api/v1/incidents", json=incident_body(lon="x"), headers={**vol, "Idempotency-Key": "q"}
            ).text,
        ]
        received: list[str] = []

        def listen() -> None:
            with client.stream("GET", "/api/v1/live?max_events=2&ping_s=0.1", headers=vol) as r:
                assert r.status_code == 200
                assert r.headers["content-type"].startswith("text/event-stream")
                received.extend(r.iter_lines())

        t = threading.Thread(target=listen)
        t.start()
        deadline = time.time() + 5
        while ctx.broker.subscribers == 0 and time.time() < deadline:
            time.sleep(0.05)
        body2 = incident_body(description="second")
        client.post("/api/v1/incidents", json=body2, headers={**disp, "Idempotency-Key": "v2"})
        client.post(f"/api/v1/incidents/{inc['id']}/assignments", json={"unit_id": "U-PAT-1"}, headers=disp)
        t.join(10)
        texts.append("\n".join(received))
        assert any("assignment" in line for line in received)
        for text in texts:
            assert "Li Lei" not in text and "13800000000" not in text
        detail = client.get(f"/api/v1/incidents/{inc['id']}", headers=vol).json()
        assert detail["caller"] is None and detail["caller_withheld"] is True


def test_caller_reads_are_audited(engine: Engine) -> None:
    with service(engine) as (client, _ctx):
        disp = token(client, "dispatcher")
        inc = client.post(
            "/api/v1/incidents", json=incident_body(), headers={**disp, "Idempotency-Key": "a"}
        ).json()
        client.get(f"/api/v1/incidents/{inc['id']}", headers=token(client, "commander"))
        with session_factory(engine)() as s, s.begin():
            rows = s.execute(select(AuditEntry).where(AuditEntry.action == "caller.read")).scalars().all()
        assert [r.actor for r in rows] == ["commander"]


def test_login_lockout_after_five_failures(engine: Engine) -> None:
    with service(engine) as (client, ctx):
        now = datetime.now(UTC)
        ctx.clock = lambda: now
        assert login(client, "analyst")
        for _ in range(5):
            r = client.post("/api/v1/auth/token", data={"username": "analyst", "password": "wrong-password"})
            assert r.status_code == 401
            now += timedelta(seconds=30)  # past the progressive delay (tests/test_api_sessions.py)
        r = client.post(
            "/api/v1/auth/token", data={"username": "analyst", "password": "correct-horse-battery"}
        )
        assert r.status_code == 401 and "locked" in r.json()["detail"]
        with session_factory(engine)() as s, s.begin():
            actions = s.execute(select(AuditEntry.action)).scalars().all()
            assert actions.count("login.fail") == 5 and "login.locked" in actions and "login.ok" in actions
            assert audit.verify(s) == []


def test_expired_and_forged_tokens_are_refused(engine: Engine) -> None:
    with service(engine) as (client, ctx):
        p = Principal("admin", Role.ADMIN, None, None)
        old = issue(p, secret=ctx.settings.secret_key, minutes=1, now=datetime.now(UTC) - timedelta(hours=1))
        forged = issue(p, secret="not-the-secret-but-long-enough-for-hs256", minutes=5, now=datetime.now(UTC))
        for tok in (old, forged, "garbage"):
            r = client.get("/api/v1/incidents", headers={"Authorization": f"Bearer {tok}"})
            assert r.status_code == 401


def test_a_verified_token_still_expires() -> None:
    """The signature check is cached per token; the expiry is not: a token accepted once is
    refused when its time is up, and a token with one character changed is refused outright."""
    from xunfang.api import security
    from xunfang.store.users import AuthFailed

    secret = "a-secret-long-enough-for-hs256-tokens-0123"
    p = Principal("dispatcher", Role.DISPATCHER, None, None, "sid-1", 0)
    tok = issue(p, secret=secret, minutes=1, now=datetime.now(UTC) - timedelta(seconds=58))
    assert security.decode(tok, secret=secret) == p
    time.sleep(2.5)
    for bad in (tok, tok[:-2] + ("A" if tok[-2] != "A" else "B") + tok[-1]):
        try:
            security.decode(bad, secret=secret)
        except AuthFailed:
            continue
        raise AssertionError("an expired or altered token was accepted")
