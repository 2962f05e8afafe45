"""GET /api/v1/map/*: GeoJSON layers for the dashboard, built once, gzip on request, any role."""

from __future__ import annotations

import json

from sqlalchemy import Engine

from svc_world import ROLES, service, token


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
        assert client.get("/api/v1/map/posts", headers=h).json() == {
            "type": "FeatureCollection",
            "features": [],
        }
        assert client.get("/api/v1/map/roads").status_code == 401


def test_roads_503_without_a_network(engine: Engine) -> None:
    with service(engine, with_network=False) as (client, _ctx):
        r = client.get("/api/v1/map/roads", headers=token(client, "dispatcher"))
        assert r.status_code == 503 and "road network" in r.json()["detail"]
