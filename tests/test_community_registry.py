# ruff: noqa: F811  (pytest fixtures imported from svc_support are parameters here)
"""Volunteers, teams, shops, disputes and hazards through the HTTP API on both databases, and the
privacy rule: a volunteer's token never sees a reporter's or a party's identity."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from community_support import PARTY, REPORTER, post_report
from svc_support import DB, db, engine  # noqa: F401
from svc_world import LAT0, LON0, incident_body, service, token

A = {"lon": LON0 + 0.011, "lat": LAT0 + 0.011}
B = {"lon": LON0 + 0.030, "lat": LAT0 + 0.030}


def _vol(client: TestClient, h: dict[str, str], code: str, **over: object) -> None:
    body = {
        "code": code,
        "name": f"志愿者{code}",
        "station": "ST-W",
        "team": "红袖标",
        "skills": ["first_aid"],
    }
    body.update(over)
    r = client.post("/api/v1/community/volunteers", json=body, headers=h)
    assert r.status_code == 201, r.text


def test_volunteers_teams_and_leaderboard(engine: Engine) -> None:
    with service(engine, with_network=False) as (client, _ctx):
        st = token(client, "station")
        _vol(client, st, "V1")
        _vol(client, st, "V2")
        dup = client.post(
            "/api/v1/community/volunteers", json={"code": "V1", "name": "x", "station": "ST-W"}, headers=st
        )
        assert dup.status_code == 409
        bad = client.post(
            "/api/v1/community/volunteers", json={"code": "V9", "name": "x", "station": "NOPE"}, headers=st
        )
        assert bad.status_code == 404
        team = client.post(
            "/api/v1/community/teams",
            json={
                "code": "T1",
                "name": "警民联防一队",
                "station": "ST-W",
                "members": [{"kind": "volunteer", "ref": "V1"}, {"kind": "unit", "ref": "U-PAT-1"}],
            },
            headers=st,
        )
        assert team.status_code == 201 and team.json()["mixed"], team.text
        listed = client.get("/api/v1/community/teams", headers=token(client, "volunteer")).json()["items"]
        assert listed[0]["code"] == "T1" and {"kind": "unit", "ref": "U-PAT-1"} in listed[0]["members"]
        ghost = client.post(
            "/api/v1/community/teams",
            json={
                "code": "T2",
                "name": "x",
                "station": "ST-W",
                "members": [{"kind": "volunteer", "ref": "V404"}],
            },
            headers=st,
        )
        assert ghost.status_code == 404
        at = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
        act = client.post(
            "/api/v1/community/volunteers/V2/activities",
            json={"kind": "patrol", "hours": 3.0, "at": at, "team": "T1"},
            headers=st,
        )
        assert act.status_code == 201, act.text
        future = (datetime.now(UTC) + timedelta(days=2)).isoformat()
        late = client.post(
            "/api/v1/community/volunteers/V2/activities",
            json={"kind": "patrol", "hours": 1.0, "at": future},
            headers=st,
        )
        assert late.status_code == 422
        hz = client.post(
            "/api/v1/community/hazards",
            json={"category": "fire", "description": "楼道堆放杂物", **A, "volunteer": "V1"},
            headers=token(client, "volunteer"),
        )
        assert hz.status_code == 201, hz.text
        board = client.get(
            "/api/v1/community/volunteers/leaderboard", headers=token(client, "volunteer")
        ).json()
        rows = {r["code"]: r for r in board["items"]}
        assert rows["V2"]["points"] == 3.0 + 2.0 and rows["V2"]["patrols"] == 1
        assert rows["V1"]["hazards_found"] == 1 and rows["V1"]["points"] == 3.0
        assert [r["code"] for r in board["items"]] == ["V2", "V1"]
        assert "patrols" in rows["V2"]["explanation"]


def test_shop_ranking_and_compound_ratings(engine: Engine) -> None:
    with service(engine, with_network=False) as (client, _ctx):
        st, disp = token(client, "station"), token(client, "dispatcher")
        for code, kind, where in [("S1", "shop", A), ("S2", "shop", B), ("C1", "compound", B)]:
            r = client.post(
                "/api/v1/community/shops",
                json={"code": code, "name": f"店{code}", "kind": kind, **where},
                headers=st,
            )
            assert r.status_code == 201, r.text
        for i in range(3):
            body = incident_body(lon=A["lon"] + 0.0002 * i, lat=A["lat"])
            assert (
                client.post(
                    "/api/v1/incidents", json=body, headers={**disp, "Idempotency-Key": f"s{i}"}
                ).status_code
                == 201
            )
        now = datetime.now(UTC)
        p = client.post(
            "/api/v1/community/shops/S2/participation",
            json={"kind": "drill", "at": now.isoformat()},
            headers=st,
        )
        assert p.status_code == 201
        assert (
            client.post(
                "/api/v1/community/shops/NOPE/participation",
                json={"kind": "drill", "at": now.isoformat()},
                headers=st,
            ).status_code
            == 404
        )
        assert post_report(client, shop="S2", phone="13111111111").status_code == 201
        half = f"{now.year}H{1 if now.month <= 6 else 2}"
        rank = client.get("/api/v1/community/shops/ranking", params={"half": half}, headers=st)
        assert rank.status_code == 200, rank.text
        top = rank.json()["top"]
        assert [r["code"] for r in top] == ["S2", "S1"]
        s1 = top[1]
        assert s1["incidents_near"] == 3 and s1["security"] < 100 and "within 200 m" in s1["explanation"]
        assert top[0]["contribution"] == 20.0 and top[0]["reports"] == 1
        comp = client.get(
            "/api/v1/community/shops/ranking", params={"half": half, "kind": "compound"}, headers=st
        ).json()
        assert comp["top"][0]["rating"] in ("A", "B", "C")
        for bad in ("2026-1", "1999H1", f"{now.year + 1}H1"):
            r = client.get("/api/v1/community/shops/ranking", params={"half": bad}, headers=st)
            assert r.status_code == 422, bad


def test_disputes_outcomes_rates_and_bad_input(engine: Engine) -> None:
    with service(engine, with_network=False) as (client, _ctx):
        st = token(client, "station")
        assert (
            client.post(
                "/api/v1/community/mediators",
                json={"code": "M1", "name": "老李", "station": "ST-W"},
                headers=st,
            ).status_code
            == 201
        )
        today = datetime.now(UTC).date()
        base = {"category": "neighbour", **A, "parties": [PARTY, {"name": "李四"}], "mediator": "M1"}

        def add(**over: object) -> object:
            return client.post("/api/v1/community/disputes", json={**base, **over}, headers=st)

        opened = today.replace(day=1).isoformat()
        for outcome in ("resolved", "resolved", "sent_to_court"):
            r = add(opened_on=opened, closed_on=today.isoformat(), outcome=outcome)
            assert r.status_code == 201, r.text  # type: ignore[attr-defined]
        pending = add(opened_on=opened)
        assert pending.json()["outcome"] == "pending"  # type: ignore[attr-defined]
        bads = [
            ({"mediator": "M404", "opened_on": opened}, 404),
            ({"opened_on": (today + timedelta(days=3)).isoformat()}, 422),
            ({"opened_on": "1990-01-01"}, 422),
            ({"opened_on": opened, "closed_on": date(2000, 1, 2).isoformat(), "outcome": "resolved"}, 422),
            ({"opened_on": opened, "outcome": "resolved"}, 422),
            ({"opened_on": opened, "parties": []}, 422),
            ({"opened_on": opened, "outcome": "won"}, 422),
        ]
        for over, code in bads:
            assert add(**over).status_code == code, over  # type: ignore[attr-defined]
        assert len(client.get("/api/v1/community/disputes", headers=st).json()["items"]) == 4
        settle = client.post(
            f"/api/v1/community/disputes/{pending.json()['id']}/outcome",  # type: ignore[attr-defined]
            json={"outcome": "transferred", "closed_on": today.isoformat()},
            headers=st,
        )
        assert settle.status_code == 200, settle.text
        rates = client.get(
            "/api/v1/community/disputes/rates", params={"date": today.isoformat()}, headers=st
        ).json()
        g = rates["groups"]["ST-W"]
        assert (
            g["opened"] == 4 and g["resolved"] == 2 and g["transferred"] == 1 and g["resolution_rate"] == 0.5
        )
        assert (
            client.get(
                "/api/v1/community/disputes/rates", params={"date": "1980-05-01"}, headers=st
            ).status_code
            == 422
        )


def test_hazard_lifecycle_and_overdue(engine: Engine) -> None:
    with service(engine, with_network=False) as (client, _ctx):
        st = token(client, "station")
        found = (datetime.now(UTC) - timedelta(days=10)).isoformat()
        r = client.post(
            "/api/v1/community/hazards",
            json={
                "category": "electrical",
                "description": "私拉电线",
                **A,
                "found_at": found,
                "deadline_days": 1,
            },
            headers=st,
        )
        assert r.status_code == 201, r.text
        hid = r.json()["id"]
        assert r.json()["overdue"]
        warn = client.get("/api/v1/community/hazards/warnings", headers=st).json()["items"]
        assert warn[0]["hazard_id"] == hid and warn[0]["level"] == "red"
        url = f"/api/v1/community/hazards/{hid}/steps"
        assert client.post(url, json={"step": "verify"}, headers=st).status_code == 409
        assert client.post(url, json={"step": "assign"}, headers=st).status_code == 422
        for step in ("assign", "rectify", "verify"):
            s = client.post(url, json={"step": step, "assignee": "物业公司"}, headers=st)
            assert s.status_code == 200, s.text
        final = s.json()
        assert final["status"] == "verified" and final["overdue"]  # fixed, but late
        assert client.get("/api/v1/community/hazards/warnings", headers=st).json()["items"] == []
        raw = '{"category": "fire", "description": "x", "lon": NaN, "lat": 41.9}'
        bad = client.post(
            "/api/v1/community/hazards", content=raw, headers={**st, "Content-Type": "application/json"}
        )
        assert bad.status_code == 422


def test_volunteer_never_sees_reporter_or_party_identity(engine: Engine) -> None:
    with service(engine, with_network=False) as (client, _ctx):
        st = token(client, "station")
        client.post(
            "/api/v1/community/mediators", json={"code": "M1", "name": "老李", "station": "ST-W"}, headers=st
        )
        opened = datetime.now(UTC).date().isoformat()
        d = client.post(
            "/api/v1/community/disputes",
            json={"category": "family", **A, "parties": [PARTY], "mediator": "M1", "opened_on": opened},
            headers=st,
        )
        assert d.status_code == 201 and d.json()["parties"][0]["name"] == PARTY["name"]
        rep = post_report(client).json()["id"]
        t = client.post(
            f"/api/v1/community/reports/{rep}/triage",
            json={"action": "incident", "incident_category": "theft"},
            headers=st,
        )
        inc = t.json()["incident_id"]
        vol = token(client, "volunteer")
        urls = [
            "/api/v1/community/reports",
            f"/api/v1/community/reports/{rep}",
            f"/api/v1/community/reports/{rep}/photo",
            "/api/v1/community/disputes",
            "/api/v1/community/hazards",
            "/api/v1/community/volunteers/leaderboard",
            f"/api/v1/incidents/{inc}",
            "/api/v1/incidents",
        ]
        secrets_ = [REPORTER["name"], REPORTER["phone"], PARTY["name"], PARTY["phone"]]
        for url in urls:
            r = client.get(url, headers=vol)
            assert r.status_code in (200, 403), (url, r.status_code)
            for s in secrets_:
                assert s not in r.text, (url, s)
        one = client.get(f"/api/v1/community/reports/{rep}", headers=vol).json()
        assert one["reporter"] is None and one["reporter_withheld"]
        ds = client.get("/api/v1/community/disputes", headers=vol).json()["items"]
        assert ds[0]["parties"] is None and ds[0]["parties_withheld"]


READ = {"admin", "commander", "dispatcher", "station", "patrol", "volunteer", "analyst"}
STAFF = {"admin", "commander", "dispatcher", "station"}
# the policy, stated here independently of the code: endpoint -> roles allowed
MATRIX: dict[str, set[str]] = {
    "GET /community/reports": READ,
    "GET /community/reports/{id}": READ,
    "GET /community/reports/{id}/photo": STAFF,
    "POST /community/reports/{id}/triage": STAFF,
    "POST /community/volunteers": {"admin", "commander", "station"},
    "GET /community/volunteers/leaderboard": READ,
    "POST /community/shops": {"admin", "commander", "station"},
    "POST /community/hazards": STAFF | {"patrol", "volunteer"},
    "POST /community/disputes": STAFF,
    "GET /community/disputes": READ,
}
BODIES: dict[str, object] = {
    "POST /community/reports/{id}/triage": {"action": "dismiss"},
    "POST /community/volunteers": {"code": "VX", "name": "x", "station": "ST-W"},
    "POST /community/shops": {"code": "SX", "name": "x", **A},
    "POST /community/hazards": {"category": "fire", "description": "x", **A},
    "POST /community/disputes": {"category": "other", **A, "parties": [{"name": "x"}], "mediator": "M0"},
}


def test_community_role_matrix(engine: Engine) -> None:
    with service(engine, with_network=False) as (client, _ctx):
        for role in sorted(READ | STAFF | {"auditor"}):
            headers = token(client, role)
            rep = post_report(client, phone=f"1380000{len(role):04d}{ord(role[0])}").json()["id"]
            for ep, allowed in MATRIX.items():
                method, path = ep.split(" ")
                url = "/api/v1" + path.replace("{id}", str(rep))
                status = client.request(method, url, json=BODIES.get(ep), headers=headers).status_code
                if role in allowed:
                    assert status not in (401, 403) and status < 500, (ep, role, status)
                else:
                    assert status == 403, (ep, role, status)
                assert client.request(method, url, json=BODIES.get(ep)).status_code == 401, ep
