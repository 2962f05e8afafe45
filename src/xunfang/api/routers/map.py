"""GET /api/v1/map/*: the read-only map layers the dashboard draws (GeoJSON FeatureCollections).

The roads decide the map's first paint, so their collection is built once per process (segments of
one street merged, simplified at 5 m in metres, 5-decimal coordinates), kept as bytes and as gzip,
and sent as is.
Posts follow the active posts plan (xunfang.api.posts_layer). Areas come from the loaded
jurisdiction; districts carry the analysis risk class when the city's incident history can be read
(otherwise they are drawn uncoloured).
"""

from __future__ import annotations

import gzip
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
import shapely
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import Response

from xunfang.api.context import ServiceContext
from xunfang.api.deps import ALL_ROLES, CtxDep, SessionDep, require_role
from xunfang.api.posts_layer import active_posts_plan_id, plan_layer, station_layer
from xunfang.api.security import Principal
from xunfang.core.geo import MetricProjection
from xunfang.jurisdiction.model import Area, Jurisdiction, Level
from xunfang.network.graph import RoadClass, RoadGraph
from xunfang.store import plans
from xunfang.store.cities import city_of

router = APIRouter(prefix="/map", tags=["map"])
Viewer = Annotated[Principal, Depends(require_role(*ALL_ROLES))]
SIMPLIFY_M = 5.0
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Payload:
    raw: bytes
    gz: bytes


_lock = threading.Lock()


def _payload(request: Request, name: str, build: Callable[[], dict[str, Any]]) -> Payload:
    return _layer(request.app.state, name, build)


def _layer(state: Any, name: str, build: Callable[[], dict[str, Any]]) -> Payload:
    """Build a layer once per app and keep its bytes (the layers never change while it runs)."""
    with _lock:
        if not hasattr(state, "map_layers"):
            state.map_layers, state.map_locks = {}, {}
        cache: dict[str, Payload] = state.map_layers
        lock: threading.Lock = state.map_locks.setdefault(name, threading.Lock())
    with lock:  # one build per layer; other layers are not held up by it
        hit = cache.get(name)
        if hit is None:
            raw = json.dumps(build(), separators=(",", ":"), ensure_ascii=False).encode()
            hit = cache[name] = Payload(raw, gzip.compress(raw, compresslevel=6))
        return hit


def _send(request: Request, p: Payload, cache: str = "private, max-age=300") -> Response:
    headers = {"Cache-Control": cache, "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(p.gz, media_type="application/geo+json", headers=headers)
    return Response(p.raw, media_type="application/geo+json", headers=headers)


def road_features(graph: RoadGraph, tolerance_m: float = SIMPLIFY_M) -> dict[str, Any]:
    """The drawn streets: segments of one class and name merged into continuous lines, simplified
    in metres, 5-decimal coordinates (about 1 m). A two-way road is drawn once.

    Merging is what makes the first paint cheap: a straight avenue of fifty blocks becomes one
    two-point line instead of fifty features (Chicago: 11,636 segments → about 1,800 lines, 2.1 MB →
    0.36 MB of JSON), so the browser parses and tiles a sixth of the vertices.
    """
    _, first = np.unique(graph.edge_segment, return_index=True)
    edges = np.sort(first)
    starts, ends = graph.geom_ptr[edges], graph.geom_ptr[edges + 1]
    counts = ends - starts
    idx = np.repeat(starts - np.cumsum(np.r_[0, counts[:-1]]), counts) + np.arange(int(counts.sum()))
    proj = MetricProjection.for_points(graph.node_lon, graph.node_lat)
    x, y = proj.to_xy(graph.geom_lon[idx], graph.geom_lat[idx])
    lines = shapely.linestrings(np.c_[x, y], indices=np.repeat(np.arange(edges.size), counts))
    keys = list(
        zip(graph.edge_class[edges].tolist(), graph.edge_name[edges].astype(str).tolist(), strict=True)
    )
    groups = sorted(set(keys))
    group = _codes(keys, groups)
    order = np.argsort(group, kind="stable")
    merged = shapely.line_merge(shapely.multilinestrings(lines[order], indices=group[order]))
    parts, owner = shapely.get_parts(
        shapely.simplify(merged, tolerance_m, preserve_topology=False), return_index=True
    )
    xy, part = shapely.get_coordinates(parts, return_index=True)
    lon, lat = proj.to_lonlat(xy[:, 0], xy[:, 1])
    coords: list[Any] = np.round(np.c_[lon, lat], 5).tolist()  # type: ignore[assignment]
    cut = np.searchsorted(part, np.arange(parts.size + 1))
    feats = []
    for i, g in enumerate(owner.tolist()):
        road_class, name = groups[g]
        props = {"class": RoadClass(int(road_class)).name.lower(), "name": name}
        geom = {"type": "LineString", "coordinates": coords[cut[i] : cut[i + 1]]}
        feats.append({"type": "Feature", "geometry": geom, "properties": props})
    return {"type": "FeatureCollection", "features": feats}


def _codes(keys: list[tuple[int, str]], groups: list[tuple[int, str]]) -> np.ndarray:
    code = {k: i for i, k in enumerate(groups)}
    return np.array([code[k] for k in keys], dtype=np.int64)


def _area_features(areas: list[Area], extra: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    feats = []
    for a in areas:
        geom = shapely.geometry.mapping(shapely.set_precision(shapely.simplify(a.geometry, 2e-5), 1e-6))
        props: dict[str, Any] = {"code": a.code, "level": a.level.value, "name_zh": a.name_zh}
        props.update(name_en=a.name_en, parent=a.parent)
        props.update((extra or {}).get(a.code, {}))
        feats.append({"type": "Feature", "geometry": geom, "properties": props})
    return {"type": "FeatureCollection", "features": feats}


def station_risk(jur: Jurisdiction, city: str | None) -> dict[str, dict[str, Any]]:
    """Risk class per station area from the analysis forecast on the city's history ({} when none)."""
    if city is None:
        return {}
    try:
        from xunfang.analysis.api import history_of
        from xunfang.analysis.risk import Thresholds, forecast, polygon_classes
        from xunfang.analysis.sources import Districts

        history, _ = history_of(city)
        stations = jur.of_level(Level.STATION)
        districts = Districts([a.code for a in stations], [a.geometry for a in stations])
        at = (history["time"].max()).normalize() + np.timedelta64(1, "D")
        grid, pred = forecast(history, at=at, horizon=7, cell=500.0, method="kde", districts=districts)
        fc = polygon_classes(grid, pred, districts, Thresholds())
    except Exception as exc:
        log.warning("district risk classes unavailable: %s", exc)
        return {}
    return {
        f["properties"]["name"]: {
            "risk_class": f["properties"]["risk"],
            "risk_label_en": f["properties"]["label_en"],
            "risk_label_zh": f["properties"]["label_zh"],
            "expected": f["properties"]["expected"],
        }
        for f in fc["features"]
    }


def _builders(ctx: ServiceContext) -> dict[str, Callable[[], dict[str, Any]]]:
    jur = ctx.jurisdiction
    out: dict[str, Callable[[], dict[str, Any]]] = {}
    if ctx.network is not None:
        graph = ctx.network.graph
        out["roads"] = lambda: road_features(graph)
    if jur is not None:
        out["districts"] = lambda: _area_features(
            jur.of_level(Level.STATION), station_risk(jur, city_of(jur))
        )
        out["zones"] = lambda: _area_features(jur.of_level(Level.PATROL_ZONE))
        out["grid"] = lambda: _area_features(jur.of_level(Level.GRID))
    out["posts-stations"] = lambda: station_layer(jur)
    return out


def warm(app: FastAPI, echo: Callable[[str], None] | None = None) -> None:
    """Build every layer before the service answers, so the first map paint never waits on them."""
    t0 = time.perf_counter()
    for name, build in _builders(app.state.ctx).items():
        _layer(app.state, name, build)
    if echo:
        echo(f"map layers ready in {time.perf_counter() - t0:.1f} s")


def _serve(ctx: ServiceContext, request: Request, name: str) -> Response:
    if name == "roads":
        ctx.need_network()  # 503 with the reason when the service has no road graph
    else:
        ctx.need_jurisdiction()
    return _send(request, _payload(request, name, _builders(ctx)[name]))


@router.get("/roads", response_class=Response)
def roads(ctx: CtxDep, request: Request, _user: Viewer) -> Response:
    """The service's road graph, one feature per segment (gzip when accepted)."""
    return _serve(ctx, request, "roads")


@router.get("/districts", response_class=Response)
def districts(ctx: CtxDep, request: Request, _user: Viewer) -> Response:
    """Station areas with names and the analysis risk class (red/yellow/blue) when available."""
    return _serve(ctx, request, "districts")


@router.get("/zones", response_class=Response)
def zones(ctx: CtxDep, request: Request, _user: Viewer) -> Response:
    """Patrol zones."""
    return _serve(ctx, request, "zones")


@router.get("/grid", response_class=Response)
def grid(ctx: CtxDep, request: Request, _user: Viewer) -> Response:
    """Grid cells (drawn on demand)."""
    return _serve(ctx, request, "grid")


@router.get("/posts", response_class=Response)
def posts(ctx: CtxDep, request: Request, session: SessionDep, _user: Viewer) -> Response:
    """Posts and must-patrol points/lines of the active posts plan (``source: plan``); with no
    active plan, the stations as posts (``source: stations``). Plans are immutable per version,
    so each is built once; the answer is revalidated on every load, as activation can change it."""
    plan_id = active_posts_plan_id(session)
    if plan_id is None:
        p = _payload(request, "posts-stations", lambda: station_layer(ctx.jurisdiction))
    else:
        p = _payload(request, f"posts-plan-{plan_id}", lambda: plan_layer(plans.get(session, plan_id)))
    return _send(request, p, cache="no-cache")
