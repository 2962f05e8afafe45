"""GET /api/v1/map/*: GeoJSON layers for the dashboard, built once, gzip on request, any role."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import shapely
from sqlalchemy import Engine

from svc_world import LAT0, LON0, ROLES, STEP, N, service, token
from xunfang.api.routers.map import road_features
from xunfang.core.geo import MetricProjection


def test_roads_merged_per_street_gzip_and_cached(engine: Engine) -> None:
    with service(engine) as (client, _ctx):
        h = token(client, "volunteer")
        r = client.get("/api/v1/map/roads", headers={**h, "Accept-Encoding": "gzip"})
        assert r.status_code == 200, r.text
        assert r.headers["content-encoding"] == "gzip"
        fc = r.json()
        assert fc["type"] == "FeatureCollection"
        f = fc["features"][0]
        assert f["geometry"]["type"] == "LineString" and set(f["properties"]) == {"class", "name"}
        coords = [c for f in fc["features"] for c in f["geometry"]["coordinates"]]
        assert all(round(x, 5) == x and round(y, 5) == y for x, y in coords)
        # the 9x9 grid: 9 east-west and 9 north-south streets, drawn exactly (every junction has four
        # unnamed arms of one class, so there the merge stops; named streets merge, see below)
        assert all(len(f["geometry"]["coordinates"]) >= 2 for f in fc["features"])
        drawn = shapely.union_all([shapely.LineString(f["geometry"]["coordinates"]) for f in fc["features"]])
        streets = shapely.union_all(
            [
                shapely.LineString([(LON0, LAT0 + i * STEP), (LON0 + 8 * STEP, LAT0 + i * STEP)])
                for i in range(N)
            ]
            + [
                shapely.LineString([(LON0 + i * STEP, LAT0), (LON0 + i * STEP, LAT0 + 8 * STEP)])
                for i in range(N)
            ]
        )
        # every street drawn, nothing more
        assert drawn.length == pytest.approx(streets.length) and drawn.hausdorff_distance(streets) < 1e-6
        plain = client.get("/api/v1/map/roads", headers={**h, "Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers and json.loads(plain.content) == fc


def test_chicago_streets_merge_to_a_fraction_of_the_segments(data_dir: Path) -> None:
    from xunfang.store.cities import road_graph

    g = road_graph("chicago", data_dir)
    fc = road_features(g)
    segments = len(set(g.edge_segment.tolist()))
    vertices = sum(len(f["geometry"]["coordinates"]) for f in fc["features"])
    print(f"\nROADS segments={segments} features={len(fc['features'])} vertices={vertices}")
    assert len(fc["features"]) < segments / 4
    proj = MetricProjection.for_points(g.node_lon, g.node_lat)
    drawn = sum(
        shapely.LineString(np.c_[proj.to_xy(*np.array(f["geometry"]["coordinates"]).T)]).length
        for f in fc["features"]
    )
    _, first = np.unique(g.edge_segment, return_index=True)
    assert drawn == pytest.approx(float(g.edge_length_m[first].sum()), rel=0.02)  # nothing dropped


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
