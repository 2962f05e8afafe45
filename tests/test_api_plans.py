"""Plans through the API: versions, activation (one active per kind), compliance from stored tracks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from svc_world import LAT0, LON0, UNITS, service, token


def _supervision_plan(start: datetime, end: datetime) -> dict[str, object]:
    window = [start.isoformat(), end.isoformat()]
    return {
        "points": [
            {"id": "P1", "lon": LON0, "lat": LAT0, "radius_m": 60, "dwell_min": 2, "windows": [window]}
        ]
    }


def test_versions_activation_and_compliance(engine: Engine) -> None:
    with service(engine) as (client, _):
        cmd, disp = token(client, "commander"), token(client, "dispatcher")
        now = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
        body = {
            "name": "night posts",
            "kind": "supervision",
            "body": _supervision_plan(now, now + timedelta(hours=1)),
        }
        first = client.post("/api/v1/plans", json=body, headers=cmd)
        second = client.post("/api/v1/plans", json=body, headers=cmd)
        assert first.status_code == 201, first.text
        assert (first.json()["version"], second.json()["version"]) == (1, 2)
        assert client.post(f"/api/v1/plans/{first.json()['id']}/activate", headers=cmd).json()["active"]
        client.post(f"/api/v1/plans/{second.json()['id']}/activate", headers=cmd)
        items = client.get("/api/v1/plans", headers=disp).json()["items"]
        assert [i["active"] for i in items] == [False, True]

        unit = UNITS[0][0]
        fixes = [
            {"unit_id": unit, "lon": LON0, "lat": LAT0, "at": (now + timedelta(seconds=30 * k)).isoformat()}
            for k in range(8)
        ]
        r = client.post("/api/v1/units/positions", json=fixes, headers=disp)
        assert r.status_code in (200, 202), r.text
        q = {"start": now.isoformat(), "end": (now + timedelta(hours=1)).isoformat()}
        rep = client.post(f"/api/v1/plans/{second.json()['id']}/compliance", json=q, headers=cmd)
        assert rep.status_code == 200, rep.text
        out = rep.json()
        assert out["fixes"] == 8
        assert out["points"] and out["points"][0]["visits"] >= 1


def test_plan_bad_input_and_roles(engine: Engine) -> None:
    with service(engine) as (client, _):
        cmd = token(client, "commander")
        assert (
            client.post(
                "/api/v1/plans",
                json={"name": "x", "kind": "posts", "body": {}},
                headers=token(client, "volunteer"),
            ).status_code
            == 403
        )
        bad = {"name": "x", "kind": "supervision", "body": {"points": [{"lon": 1}]}}
        assert client.post("/api/v1/plans", json=bad, headers=cmd).status_code == 422
        assert (
            client.post(
                "/api/v1/plans", json={"name": "x", "kind": "nope", "body": {}}, headers=cmd
            ).status_code
            == 422
        )
        assert client.get("/api/v1/plans/999", headers=cmd).status_code == 404
        huge = "/api/v1/plans/827942674481378265356648316928"  # found by the fuzzer: was a 500
        assert client.get(huge, headers=cmd).status_code == 404
        assert client.post(f"{huge}/activate", headers=cmd).status_code == 404
        p = client.post(
            "/api/v1/plans", json={"name": "p", "kind": "posts", "body": {"posts": []}}, headers=cmd
        ).json()
        q = {"start": "2026-01-01T00:00:00+00:00", "end": "2026-01-02T00:00:00+00:00"}
        assert client.post(f"/api/v1/plans/{p['id']}/compliance", json=q, headers=cmd).status_code == 422
