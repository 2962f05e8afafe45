"""The role × operation × ownership matrix, generated from the OpenAPI document.

Every operation in /api/v1/openapi.json must be listed in POLICY (a new endpoint fails here until
someone decides who may call it). Then, for every operation and every role: allowed → neither 401
nor 403 (nor a 5xx); not allowed → 403; no token → 401 (public operations excepted). Ownership
cells follow: station users on another station's incident and unit, patrol users on incidents of
another unit. The policy is stated here independently of the code; docs/security.md prints it.
"""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from svc_world import LAT0, LON0, ROLES, incident_body, post_positions, service, token

PUBLIC = "public"
ALL = frozenset(ROLES)
STAFF = frozenset({"admin", "commander", "dispatcher", "station"})
READERS = ALL - {"auditor"}
ANALYSTS = frozenset({"admin", "commander", "analyst"})
MANAGERS = frozenset({"admin", "commander", "station"})
ANALYSIS = frozenset({"admin", "commander", "dispatcher", "station", "analyst", "auditor"})
PLAN_READERS = frozenset({"admin", "commander", "dispatcher", "station", "analyst"})
ADMIN = frozenset({"admin"})

POLICY: dict[str, frozenset[str] | str] = {
    "POST /auth/token": PUBLIC,
    "GET /auth/me": ALL,
    "POST /incidents": STAFF,
    "GET /incidents": ALL,
    "GET /incidents/categories": ALL,
    "GET /incidents/{incident_id}": ALL,
    "POST /incidents/{incident_id}/events": STAFF | {"patrol"},
    "GET /incidents/{incident_id}/recommendations": STAFF,
    "POST /incidents/{incident_id}/assignments": STAFF,
    "POST /units/positions": frozenset({"admin", "dispatcher", "patrol", "volunteer"}),
    "GET /units": STAFF | {"patrol", "analyst"},
    "GET /coverage": STAFF | {"analyst"},
    "GET /live": READERS,
    "POST /community/reports": PUBLIC,
    "GET /community/reports/follow/{token}": PUBLIC,
    "GET /community/reports": READERS,
    "GET /community/reports/{report_id}": READERS,
    "GET /community/reports/{report_id}/photo": STAFF,
    "POST /community/reports/{report_id}/triage": STAFF,
    "GET /community/volunteers": READERS,
    "POST /community/volunteers": MANAGERS,
    "POST /community/volunteers/{code}/activities": STAFF,
    "GET /community/volunteers/leaderboard": READERS,
    "GET /community/teams": READERS,
    "POST /community/teams": MANAGERS,
    "POST /community/shops": MANAGERS,
    "GET /community/shops": READERS,
    "POST /community/shops/{code}/participation": STAFF,
    "GET /community/shops/ranking": READERS,
    "POST /community/mediators": MANAGERS,
    "GET /community/disputes": READERS,
    "POST /community/disputes": STAFF,
    "POST /community/disputes/{dispute_id}/outcome": STAFF,
    "GET /community/disputes/rates": READERS,
    "POST /community/hazards": STAFF | {"patrol", "volunteer"},
    "GET /community/hazards": READERS,
    "GET /community/hazards/warnings": READERS,
    "POST /community/hazards/{hazard_id}/steps": STAFF,
    "POST /simulations": ANALYSTS,
    "GET /simulations/{job_id}": ANALYSTS,
    "POST /plans": ANALYSTS,
    "GET /plans": PLAN_READERS,
    "GET /plans/{plan_id}": PLAN_READERS,
    "POST /plans/{plan_id}/activate": ANALYSTS,
    "POST /plans/{plan_id}/compliance": PLAN_READERS,
    "POST /users/{name}/mfa": ADMIN,
    "DELETE /users/{name}/mfa": ADMIN,
    "POST /users/{name}/revoke": ADMIN,
    "POST /users/{name}/enable": ADMIN,
    "GET /map/roads": ALL,
    "GET /map/districts": ALL,
    "GET /map/zones": ALL,
    "GET /map/grid": ALL,
    "GET /map/posts": ALL,
    "GET /analysis/hotspots": ANALYSIS,
    "GET /analysis/risk-classes": ANALYSIS,
    "GET /analysis/stats": ANALYSIS,
    "GET /analysis/warnings": ANALYSIS,
    "GET /analysis/profiles": ANALYSIS,
}
# bodies that reach the handler but change nothing (a permission check must come before them)
EMPTY_BODY: dict[str, object] = {}


def operations(client: TestClient) -> list[tuple[str, str]]:
    spec = client.get("/api/v1/openapi.json").json()
    return [
        (method.upper(), path.removeprefix("/api/v1"))
        for path, ops in spec["paths"].items()
        for method in ops
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def _url(path: str) -> str:
    url = "/api/v1" + re.sub(r"\{(name)\}", "nobody", path)  # never act on a real account
    url = re.sub(r"\{[^}]+\}", "999999", url)
    # the live feed with an invalid query: allowed roles get 422 instead of an endless stream
    return url + ("?max_events=0" if path == "/live" else "")


def _call(client: TestClient, method: str, path: str, headers: dict[str, str]) -> int:
    body = EMPTY_BODY if method in {"POST", "PUT", "PATCH"} else None
    if path == "/simulations" and method == "POST":
        body = {"days": 0}  # a valid job would start a simulation; an invalid one shows the gate
    return client.request(method, _url(path), json=body, headers=headers).status_code


def test_every_operation_has_a_policy(engine: Engine) -> None:
    with service(engine) as (client, _ctx):
        ops = {f"{m} {p}" for m, p in operations(client)}
    assert ops - POLICY.keys() == set(), "new operations need a row in POLICY (and docs/security.md)"
    assert POLICY.keys() - ops == set(), "POLICY names operations that no longer exist"


def test_role_operation_matrix(engine: Engine) -> None:
    failures: list[str] = []
    with service(engine) as (client, _ctx):
        headers = {role: token(client, role) for role in ROLES}
        for method, path in operations(client):
            allowed = POLICY[f"{method} {path}"]
            for role in ROLES:
                status = _call(client, method, path, headers[role])
                ok = allowed == PUBLIC or role in allowed
                if (ok and (status in (401, 403) or status >= 500)) or (not ok and status != 403):
                    failures.append(f"{method} {path} as {role}: {status} (allowed: {ok})")
            anon = _call(client, method, path, {})
            if allowed != PUBLIC and anon != 401:
                failures.append(f"{method} {path} without a token: {anon}")
    assert failures == []


def _incident(client: TestClient, headers: dict[str, str], key: str, **over: object) -> dict[str, object]:
    r = client.post(
        "/api/v1/incidents", json=incident_body(**over), headers={**headers, "Idempotency-Key": key}
    )
    assert r.status_code == 201, r.text
    body: dict[str, object] = r.json()
    return body


def test_station_ownership(engine: Engine) -> None:
    """A station account (ST-W) cannot see or act on an ST-E incident, nor send an ST-E unit."""
    with service(engine) as (client, _ctx):
        disp, st = token(client, "dispatcher"), token(client, "station")
        post_positions(client, disp)
        east = _incident(client, disp, "e", lon=LON0 + 0.035, lat=LAT0 + 0.03)
        west = _incident(client, disp, "w")
        assert (east["station"], west["station"]) == ("ST-E", "ST-W")
        e, w = east["id"], west["id"]
        assert client.get(f"/api/v1/incidents/{e}", headers=st).status_code == 404
        assert client.get(f"/api/v1/incidents/{e}/recommendations", headers=st).status_code == 404
        r = client.post(f"/api/v1/incidents/{e}/assignments", json={"unit_id": "U-PAT-1"}, headers=st)
        assert r.status_code == 404
        assert (
            client.post(f"/api/v1/incidents/{e}/events", json={"type": "cancel"}, headers=st).status_code
            == 404
        )
        assert e not in [i["id"] for i in client.get("/api/v1/incidents", headers=st).json()["items"]]
        # its own incident: yes, but only with its own units, which are all it is offered
        offered = client.get(f"/api/v1/incidents/{w}/recommendations", headers=st).json()["items"]
        assert {c["unit_id"] for c in offered} == {"U-PAT-1", "U-VOL-1", "U-GRD-1", "U-DRN-1"}
        offered = client.get(f"/api/v1/incidents/{w}/recommendations", headers=disp).json()["items"]
        assert "U-PAT-2" in {c["unit_id"] for c in offered}
        r = client.post(f"/api/v1/incidents/{w}/assignments", json={"unit_id": "U-PAT-2"}, headers=st)
        assert r.status_code == 403 and "ST-E" in r.json()["detail"]
        r = client.post(f"/api/v1/incidents/{w}/assignments", json={"unit_id": "U-PAT-1"}, headers=st)
        assert r.status_code == 201, r.text
        # the command centre may send any station's unit
        r = client.post(f"/api/v1/incidents/{e}/assignments", json={"unit_id": "U-PAT-1"}, headers=disp)
        assert r.status_code == 409  # busy now, but not refused for ownership
        r = client.post(f"/api/v1/incidents/{e}/assignments", json={"unit_id": "U-PAT-3"}, headers=disp)
        assert r.status_code == 201


def test_patrol_ownership(engine: Engine) -> None:
    """A patrol account (unit U-PAT-1) reports only on its own unit's incidents and never cancels."""
    with service(engine) as (client, _ctx):
        disp, pat = token(client, "dispatcher"), token(client, "patrol")
        post_positions(client, disp)
        mine = _incident(client, disp, "m")["id"]
        other = _incident(client, disp, "o")["id"]
        for inc, unit in ((mine, "U-PAT-1"), (other, "U-PAT-3")):
            r = client.post(f"/api/v1/incidents/{inc}/assignments", json={"unit_id": unit}, headers=disp)
            assert r.status_code == 201, r.text
        r = client.post(f"/api/v1/incidents/{other}/events", json={"type": "en_route"}, headers=pat)
        assert r.status_code == 403 and "U-PAT-1" in r.json()["detail"]
        r = client.post(f"/api/v1/incidents/{mine}/events", json={"type": "cancel"}, headers=pat)
        assert r.status_code == 403
        r = client.post(f"/api/v1/incidents/{mine}/events", json={"type": "en_route"}, headers=pat)
        assert r.status_code == 201, r.text
        fix = [{"unit_id": "U-PAT-3", "lon": LON0, "lat": LAT0, "at": incident_body()["reported_at"]}]
        assert client.post("/api/v1/units/positions", json=fix, headers=pat).status_code == 403
