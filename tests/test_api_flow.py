"""End-to-end flow through the HTTP API on both databases."""

from __future__ import annotations

import httpx
from sqlalchemy import Engine

from svc_world import incident_body, post_positions, service, token


def test_intake_recommend_assign_arrive_resolve(engine: Engine) -> None:
    with service(engine) as (client, _ctx):
        disp = token(client, "dispatcher")
        post_positions(client, disp)
        r = client.post("/api/v1/incidents", json=incident_body(), headers={**disp, "Idempotency-Key": "k1"})
        assert r.status_code == 201, r.text
        inc = r.json()
        assert inc["status"] == "received" and inc["station"] == "ST-W" and inc["tier_min"] == 3
        again = client.post(
            "/api/v1/incidents",
            json=incident_body(reported_at=None),
            headers={**disp, "Idempotency-Key": "k1"},
        )
        assert again.status_code == 409
        rec = client.get(f"/api/v1/incidents/{inc['id']}/recommendations", headers=disp)
        assert rec.status_code == 200, rec.text
        items = rec.json()["items"]
        etas = [i["eta_s"] for i in items]
        assert etas == sorted(etas)
        vol = next(i for i in items if i["unit_id"] == "U-VOL-1")
        assert not vol["eligible"] and any("criminal" in x for x in vol["reasons"])
        best = next(i for i in items if i["eligible"])
        a = client.post(
            f"/api/v1/incidents/{inc['id']}/assignments", json={"unit_id": best["unit_id"]}, headers=disp
        )
        assert a.status_code == 201, a.text
        for kind, status in [("en_route", "en_route"), ("arrived", "on_scene"), ("resolved", "resolved")]:
            e = client.post(f"/api/v1/incidents/{inc['id']}/events", json={"type": kind}, headers=disp)
            assert e.status_code == 201, e.text
            assert e.json()["status"] == status
        got = client.get(f"/api/v1/incidents/{inc['id']}", headers=disp).json()
        assert [e["type"] for e in got["events"]] == [
            "received",
            "assigned",
            "en_route",
            "arrived",
            "resolved",
        ]


def test_coverage_geojson_and_fractions(engine: Engine) -> None:
    with service(engine) as (client, _ctx):
        disp = token(client, "dispatcher")
        empty = client.get("/api/v1/coverage", headers=disp).json()
        assert empty["fractions"] == {"1min": 0.0, "3min": 0.0, "5min": 0.0} and empty["features"] == []
        post_positions(client, disp)
        cov = client.get("/api/v1/coverage", headers=disp).json()
        assert cov["type"] == "FeatureCollection" and [
            f["properties"]["minutes"] for f in cov["features"]
        ] == [1, 3, 5]
        f = cov["fractions"]
        assert 0 < f["1min"] <= f["3min"] <= f["5min"] <= 1
        assert cov["units"] == 7  # every unit but the drone (it does not count as arrival)


def test_assignment_takes_the_first_unit_of_a_preference_list_that_is_still_free(engine: Engine) -> None:
    with service(engine) as (client, _ctx):
        disp = token(client, "dispatcher")
        post_positions(client, disp)
        ids = []
        for k in range(3):
            r = client.post(
                "/api/v1/incidents", json=incident_body(), headers={**disp, "Idempotency-Key": f"pref-{k}"}
            )
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])

        def send(incident: int, body: dict[str, object]) -> httpx.Response:
            return client.post(f"/api/v1/incidents/{incident}/assignments", json=body, headers=disp)

        assert send(ids[0], {"unit_id": "U-PAT-1"}).status_code == 201
        second = send(ids[1], {"unit_ids": ["U-PAT-1", "U-PAT-2", "U-PAT-3"]})
        assert second.status_code == 201, second.text
        assert second.json()["unit_id"] == "U-PAT-2"  # U-PAT-1 was taken: the next one, same request
        assert send(ids[2], {"unit_id": "U-PAT-3"}).status_code == 201
        none = send(ids[2], {"unit_ids": ["U-PAT-1", "U-PAT-2"]})
        assert none.status_code == 409
        msg = none.json()["detail"]
        assert "unit U-PAT-1 already has an active assignment (incident" in msg and "U-PAT-2" in msg
        both = send(ids[2], {"unit_id": "U-PAT-1", "unit_ids": ["U-PAT-2"]})
        assert both.status_code == 422 and "not both" in both.text
        assert send(ids[2], {"unit_ids": []}).status_code == 422
        # only the successful attempts left rows: one active assignment per unit, none doubled
        units = [client.get(f"/api/v1/incidents/{i}", headers=disp).json()["units"] for i in ids]
        assert units == [["U-PAT-1"], ["U-PAT-2"], ["U-PAT-3"]]
