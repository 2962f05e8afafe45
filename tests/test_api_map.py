"""GET /api/v1/map/*: GeoJSON layers for the dashboard, built once, gzip on request, any role."""

from __future__ import annotations

import json

from sqlalchemy import Engine

from svc_world import LAT0, LON0, ROLES, service, token


def test_roads_one_feature_per_segment_gzip_and_cached(engine: Engine) -> None:
    with service(engine) as (client, ctx):
        h = token(client, "volunteer")
        r = client.get("/api/v1/map/roads", headers={**h, "Accept-Encoding": "gzip"})
        assert r.status_code == 200, r.text
        assert r.headers["content-encoding"] == "gzip"
        fc = r.json()
        g = ctx.network.graph  # type: ignore[union-attr]
        assert fc["type"] == "FeatureCollection"
        assert len(fc["features"]) == len(set(g.edge_segment.tolist()))
        f = fc["features"][0]
        assert f["geometry"]["type"] == "LineString" and set(f["properties"]) == {"class", "name"}
        coords = [c for f in fc["features"] for c in f["geometry"]["coordinates"]]
        assert all(round(x, 6) == x and round(y, 6) == y for x, y in coords)
        # a straight street block keeps only its two ends after the 5 m simplification
        assert all(len(f["geometry"]["coordinates"]) == 2 for f in fc["features"])
        plain = client.get("/api/v1/map/roads", headers={**h, "Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers and json.loads(plain.content) == fc


def test_area_layers_and_roles(engine: Engine) -> None:
    with service(engine) as (client, _ctx):
        for role in ROLES:
            h = token(client, role)
            for name in ("districts", "zones", "grid", "posts"):
                r = client.get(f"/api/v1/map/{name}", headers=h)
                assert r.status_code == 200, (role, name, r.text)
        h = token(client, "analyst")
        d = client.get("/api/v1/map/districts", headers=h).json()
        codes = {f["properties"]["code"] for f in d["features"]}
        assert codes == {"ST-W", "ST-E"}
        assert {"name_zh", "name_en"} <= set(d["features"][0]["properties"])
        posts = client.get("/api/v1/map/posts", headers=h).json()
        assert posts["source"] == "stations" and posts["plan"] is None
        assert {f["properties"]["id"] for f in posts["features"]} == {"ST-W", "ST-E"}
        assert {f["properties"]["kind"] for f in posts["features"]} == {"station"}
        assert client.get("/api/v1/map/roads").status_code == 401


def test_roads_503_without_a_network(engine: Engine) -> None:
    with service(engine, with_network=False) as (client, _ctx):
        r = client.get("/api/v1/map/roads", headers=token(client, "dispatcher"))
        assert r.status_code == 503 and "road network" in r.json()["detail"]


def _posts_body(dx: float) -> dict[str, object]:
    return {
        "posts": [{"id": "P01", "lon": LON0 + dx, "lat": LAT0 + 0.01}],
        "points": [{"id": "PT01", "lon": LON0 + 0.02, "lat": LAT0 + 0.02, "weight": 3}],
        "lines": [{"id": "L01", "coordinates": [[LON0, LAT0], [LON0 + 0.005, LAT0]], "weight": 5}],
    }


def test_posts_follow_the_active_plan(engine: Engine) -> None:
    with service(engine) as (client, _ctx):
        cmd, vol = token(client, "commander"), token(client, "volunteer")
        ids = []
        for dx in (0.01, 0.03):
            r = client.post(
                "/api/v1/plans", json={"name": "posts", "kind": "posts", "body": _posts_body(dx)}, headers=cmd
            )
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])
        # stored but not active: still the stations
        assert client.get("/api/v1/map/posts", headers=vol).json()["source"] == "stations"
        client.post(f"/api/v1/plans/{ids[0]}/activate", headers=cmd).raise_for_status()
        r = client.get("/api/v1/map/posts", headers={**vol, "Accept-Encoding": "gzip"})
        assert r.headers["cache-control"] == "no-cache"
        fc = r.json()
        assert fc["source"] == "plan" and fc["plan"] == {"id": ids[0], "name": "posts", "version": 1}
        kinds = {f["properties"]["kind"]: f["geometry"] for f in fc["features"]}
        assert set(kinds) == {"post", "patrol_point", "patrol_line"}
        assert kinds["post"]["coordinates"] == [LON0 + 0.01, LAT0 + 0.01]
        assert kinds["patrol_line"]["type"] == "LineString"
        client.post(f"/api/v1/plans/{ids[1]}/activate", headers=cmd).raise_for_status()
        fc = client.get("/api/v1/map/posts", headers=vol).json()
        post = next(f for f in fc["features"] if f["properties"]["kind"] == "post")
        assert fc["plan"]["version"] == 2 and post["geometry"]["coordinates"][0] == LON0 + 0.03


def test_a_posts_plan_without_coordinates_is_refused(engine: Engine) -> None:
    with service(engine) as (client, _ctx):
        body = {"name": "bad", "kind": "posts", "body": {"posts": [{"id": "P1", "lon": "west"}]}}
        r = client.post("/api/v1/plans", json=body, headers=token(client, "commander"))
        assert r.status_code == 422 and "posts[0]" in r.json()["detail"]
