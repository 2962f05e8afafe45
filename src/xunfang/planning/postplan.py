"""A stored post plan (屯警点 + 必巡点/必巡线) as one JSON document, and its map features.

:func:`post_plan` places posts by maximal covering and picks must-patrol points (the heaviest
demand nodes) and lines (street runs from the next-heaviest nodes, :func:`targets_from_demand`)
city-wide. The body is what ``POST /api/v1/plans`` stores with kind ``posts``::

    {"standard_min": 3, "covered_share": 0.8, "gap": 0.001, "method": "exact",
     "posts":  [{"id": "P01", "lon": -87.6, "lat": 41.8}],
     "points": [{"id": "PT01", "lon": -87.6, "lat": 41.8, "weight": 12}],
     "lines":  [{"id": "L01", "coordinates": [[-87.6, 41.8], [-87.61, 41.8]], "weight": 30}]}

``points`` and ``lines`` use the supervision plan's shapes, so the same ids can be supervised.
The output of ``xunfang plan posts --json`` (its ``sites`` list) is read as posts too.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from xunfang.core.errors import CorruptData
from xunfang.network.graph import RoadGraph
from xunfang.planning.coverage import coverage_matrix
from xunfang.planning.posts import MaximalCovering
from xunfang.planning.targets import targets_from_demand

F64 = NDArray[np.float64]


def post_plan(
    graph: RoadGraph,
    edge_s: F64,
    weights: F64,
    *,
    posts: int = 40,
    standard_s: float = 180.0,
    points: int = 60,
    lines: int = 20,
    time_limit_s: float = 10.0,
) -> dict[str, Any]:
    """Posts covering the most demand within ``standard_s`` plus must-patrol points and lines."""
    demand = np.flatnonzero(weights > 0)
    sites = np.arange(graph.n_nodes)
    cover = coverage_matrix(graph, edge_s, demand, sites, standard_s)
    model = MaximalCovering.from_coverage(cover, weights[demand], posts).solve(
        time_limit_s=time_limit_s, mip_gap=0.005
    )
    chosen = sites[model.selected]
    base = int(chosen[0]) if chosen.size else int(np.argmax(weights))
    targets = targets_from_demand(
        graph, edge_s, weights, base, reach_s=np.inf, points=points, lines=lines, dwell_s=600.0
    )
    return {
        "standard_min": round(standard_s / 60, 2),
        "method": model.result.method,
        "status": model.result.status,
        "gap": round(float(model.gap), 6),
        "covered_share": round(float(model.covered_share), 4),
        "incidents": int(weights.sum()),
        "posts": [
            {
                "id": f"P{i + 1:02d}",
                "node": int(v),
                "lon": _r(graph.node_lon[v]),
                "lat": _r(graph.node_lat[v]),
            }
            for i, v in enumerate(chosen.tolist())
        ],
        "points": [
            {
                "id": f"PT{i + 1:02d}",
                "lon": _r(graph.node_lon[t.entry]),
                "lat": _r(graph.node_lat[t.entry]),
                "weight": round(t.prize, 2),
                "dwell_min": 10,
            }
            for i, t in enumerate(x for x in targets if x.kind == "point")
        ],
        "lines": [
            {"id": f"L{i + 1:02d}", "coordinates": _line_coords(graph, t.edges), "weight": round(t.prize, 2)}
            for i, t in enumerate(x for x in targets if x.kind == "line")
        ],
    }


def _point(graph: RoadGraph, i: int, node: int, weight: float) -> dict[str, Any]:
    lon, lat = _r(graph.node_lon[node]), _r(graph.node_lat[node])
    return {"id": f"PT{i + 1:02d}", "lon": lon, "lat": lat, "weight": round(weight, 2), "dwell_min": 10}


def _r(x: float) -> float:
    return round(float(x), 6)


def _line_coords(graph: RoadGraph, edges: tuple[int, ...]) -> list[list[float]]:
    out: list[list[float]] = []
    for e in edges:
        lo, hi = int(graph.geom_ptr[e]), int(graph.geom_ptr[e + 1])
        pts = [[_r(x), _r(y)] for x, y in zip(graph.geom_lon[lo:hi], graph.geom_lat[lo:hi], strict=True)]
        out.extend(pts[1:] if out and pts and out[-1] == pts[0] else pts)
    return out


def plan_features(body: dict[str, Any], *, source: str = "plan") -> list[dict[str, Any]]:
    """GeoJSON features of a posts plan body: posts and must-patrol points (Point), lines (LineString).

    Each feature's ``kind`` is ``post``, ``patrol_point`` or ``patrol_line``. Raises CorruptData
    naming the first entry that has no usable coordinates.
    """
    feats = []
    for kind, key in (("post", "posts"), ("post", "sites"), ("patrol_point", "points")):
        for i, p in enumerate(body.get(key) or []):
            lon, lat = _lonlat(p, f"{key}[{i}]")
            props = {"kind": kind, "id": str(p.get("id") or p.get("node") or i + 1), "source": source}
            props.update({k: p[k] for k in ("name_zh", "name_en", "weight") if k in p})
            feats.append(_feature({"type": "Point", "coordinates": [lon, lat]}, props))
    for i, line in enumerate(body.get("lines") or []):
        coords = line.get("coordinates") if isinstance(line, dict) else None
        if not isinstance(coords, list) or len(coords) < 2:
            raise CorruptData(f"posts plan: lines[{i}] needs 'coordinates' with at least two [lon, lat]")
        props = {"kind": "patrol_line", "id": str(line.get("id") or i + 1), "source": source}
        props.update({k: line[k] for k in ("name_zh", "name_en", "weight") if k in line})
        feats.append(_feature({"type": "LineString", "coordinates": coords}, props))
    return feats


def _lonlat(p: Any, where: str) -> tuple[float, float]:
    try:
        return float(p["lon"]), float(p["lat"])
    except (KeyError, TypeError, ValueError):
        raise CorruptData(f"posts plan: {where} needs numeric 'lon' and 'lat'") from None


def _feature(geometry: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": props}
