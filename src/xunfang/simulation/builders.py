"""Simulation plans built by the planning package: patrol routes with duty modes, and staffing.

Nothing here solves a planning problem of its own; it turns the planning package's outputs into
a :class:`~xunfang.simulation.plan.Plan`:

* ``routes:N`` — N units at the optimised posts (as ``optimised:N``); each post's unit drives a
  one-hour patrol loop from its post through the top-risk points (dwell) and street lines near it
  (:class:`xunfang.planning.routes.PatrolRouter` on :func:`xunfang.planning.targets.targets_from_demand`),
  in its zone's off-peak hours, and guards its post in the zone's peak hours
  (:func:`xunfang.planning.duty.duty_modes`, M5).
* ``staffing:N`` — demand-following staffing (M6): ``N × 24 / shift`` officers (the same unit-hours
  as N units all day), split over shifts and zones by :func:`xunfang.planning.staffing.staff` from
  the expected incidents per zone and hour; in each zone and shift they stand at posts placed by
  maximal covering (:class:`xunfang.planning.posts.MaximalCovering`) on that shift's incidents.

Every input comes from a training window that ends before the simulated year begins (the year
before), so the days scored never inform the plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix

from xunfang.core.errors import DataNotFound, Infeasible, InvalidInput
from xunfang.core.settings import get_settings
from xunfang.forces.types import ForceType
from xunfang.network.engine import NetworkEngine
from xunfang.planning.coverage import coverage_matrix
from xunfang.planning.demand import CHICAGO_ASSAULTS, demand_weights, node_zones, zone_hour_demand
from xunfang.planning.duty import duty_modes
from xunfang.planning.posts import MaximalCovering
from xunfang.planning.routes import PatrolRouter, Target
from xunfang.planning.staffing import ForceRules, staff
from xunfang.planning.targets import targets_from_demand
from xunfang.simulation.plan import Patrol, Plan

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
INCIDENT_FILES = {"chicago": CHICAGO_ASSAULTS}
STANDARD_S = 180.0
PLAN_HOUR = 20  # travel times of the evening, as the optimised posts


@dataclass(frozen=True)
class RouteSettings:
    loop_s: float = 3600.0  # one patrol loop
    reach_s: float = 600.0  # targets within this drive of the post
    points: int = 6
    lines: int = 3
    dwell_s: float = 300.0


def incident_file(city: str) -> Path:
    rel = INCIDENT_FILES.get(city)
    if rel is None:
        raise DataNotFound(f"no incident history for city {city!r} (known: {', '.join(INCIDENT_FILES)})")
    return get_settings().data_dir / rel


def train_window(on: date) -> tuple[date, date]:
    return date(on.year - 1, 1, 1), date(on.year, 1, 1)


@lru_cache(maxsize=4)
def node_demand(engine: NetworkEngine, city: str, start: date, end: date) -> F64:
    """Incidents per road node in the training window (the planning package's demand weights)."""
    return demand_weights(engine.graph, incident_file(city), start=start, end=end)


@lru_cache(maxsize=2)
def _zones(
    engine: NetworkEngine, city: str, start: date, end: date
) -> tuple[list[str], F64, NDArray[np.str_]]:
    zones, demand = zone_hour_demand(incident_file(city), start=start, end=end)
    return zones, demand, node_zones(engine.graph, incident_file(city), start=start, end=end)


def _waypoints(engine: NetworkEngine, targets: list[Target], order: list[int], rid: str) -> Patrol:
    """The route's stops in order: a point with its dwell, a line as its nodes (driven along)."""
    g = engine.graph
    nodes: list[int] = []
    dwell: list[float] = []
    for i in order:
        t = targets[i - 1]
        if t.kind == "point":
            nodes.append(t.entry)
            dwell.append(t.service_s)
        else:
            nodes += [t.entry, *(int(g.edge_v[e]) for e in t.edges)]
            dwell += [0.0] * (len(t.edges) + 1)
    idx = np.asarray(nodes, dtype=np.int64)
    return Patrol(rid, g.node_lon[idx], g.node_lat[idx], np.asarray(dwell))


def patrol_route(
    engine: NetworkEngine, weights: F64, base: int, rid: str, cfg: RouteSettings
) -> Patrol | None:
    """A deterministic patrol loop from ``base`` (greedy construction, no timed search); None when
    no target can be reached from the post within the loop."""
    es = engine.weights("car", PLAN_HOUR)
    targets = targets_from_demand(
        engine.graph, es, weights, base, reach_s=cfg.reach_s, points=cfg.points, lines=cfg.lines,
        dwell_s=cfg.dwell_s,
    )  # fmt: skip
    if not targets:
        return None
    try:
        route = PatrolRouter(engine.graph, es, base, targets, cfg.loop_s).solve(time_limit_s=0.0)
    except (Infeasible, InvalidInput):
        return None
    return _waypoints(engine, targets, route.order, rid) if route.order else None


def routes_plan(
    engine: NetworkEngine,
    city: str,
    on: date,
    posts: tuple[F64, F64],
    n: int,
    *,
    cfg: RouteSettings | None = None,
) -> Plan:
    """``n`` units at the given posts (round-robin) patrolling loops from them off-peak."""
    cfg = cfg or RouteSettings()
    lon, lat = posts
    start, end = train_window(on)
    weights = node_demand(engine, city, start, end)
    zones, zone_demand, zone_of = _zones(engine, city, start, end)
    modes = duty_modes(zone_demand)
    post_nodes, _ = engine.snapper.nearest(lon, lat)
    k = np.arange(n) % len(lon)
    routes: dict[int, Patrol | None] = {}
    unit_routes: list[Patrol | None] = []
    patrol = np.zeros((n, 24), bool)
    for u in range(n):
        node = int(post_nodes[k[u]])
        if node not in routes:
            routes[node] = patrol_route(engine, weights, node, f"R{node}", cfg) if node >= 0 else None
        unit_routes.append(routes[node])
        zone = str(zone_of[node]) if node >= 0 else ""
        if routes[node] is not None:
            patrol[u] = modes[zones.index(zone)] == "patrol" if zone in zones else True
    return Plan(
        f"routes:{n}", [f"U{i:04d}" for i in range(n)], [ForceType.PATROL_POLICE] * n,
        np.asarray(lon)[k], np.asarray(lat)[k], patrol_hours=patrol, routes=unit_routes,
    )  # fmt: skip


def _zone_posts(
    cover: csr_matrix, demand_nodes: I64, w: F64, zone_nodes: I64, *, fallback: F64, k: int
) -> I64:
    """``k`` posts among ``zone_nodes`` covering most of the weight ``w`` (per node) in the zone."""
    k = min(k, zone_nodes.size)
    rows = np.flatnonzero(np.isin(demand_nodes, zone_nodes) & (w[demand_nodes] > 0))
    if rows.size == 0:
        return zone_nodes[np.argsort(-fallback[zone_nodes], kind="stable")[:k]]
    sub = cover[rows][:, zone_nodes]
    model = MaximalCovering.from_coverage(sub, w[demand_nodes[rows]], k).solve(method="heuristic")
    return zone_nodes[model.selected]


def staffing_plan(engine: NetworkEngine, city: str, on: date, n: int, *, shift_hours: int = 8) -> Plan:
    """Demand-following staffing with the unit-hours of ``n`` units on duty all day."""
    start, end = train_window(on)
    zones, zone_demand, zone_of = _zones(engine, city, start, end)
    rules = ForceRules(
        headcount={"sworn": n * 24 // shift_hours, "volunteer": 0, "k9": 0}, shift_hours=shift_hours
    )
    try:
        sworn = staff(zone_demand, rules)["sworn"]
    except Infeasible as exc:
        raise Infeasible(f"--plan staffing:{n}: {exc.message}") from None
    g = engine.graph
    day_w = node_demand(engine, city, start, end)
    demand_nodes = np.flatnonzero(day_w > 0)
    cover = coverage_matrix(
        g, engine.weights("car", PLAN_HOUR), demand_nodes, np.arange(g.n_nodes), STANDARD_S
    )
    ids: list[str] = []
    post_nodes: list[int] = []
    shifts: list[tuple[int, int]] = []
    for s in range(24 // shift_hours):
        hours = tuple(range(s * shift_hours, (s + 1) * shift_hours))
        w = demand_weights(g, incident_file(city), start=start, end=end, hours=hours)
        for z, zone in enumerate(zones):
            count = int(sworn[z, hours[0]])
            zone_nodes = np.flatnonzero(zone_of == zone)
            if count <= 0 or zone_nodes.size == 0:
                continue
            chosen = _zone_posts(cover, demand_nodes, w, zone_nodes, fallback=day_w, k=count)
            for i in range(count):
                ids.append(f"{zone}-S{s}-{i:03d}")
                post_nodes.append(int(chosen[i % chosen.size]))
                shifts.append((hours[0] * 60, (hours[-1] + 1) * 60))
    if not ids:
        raise InvalidInput(f"--plan staffing:{n}: the staffing rules put no unit on duty")
    idx = np.asarray(post_nodes, dtype=np.int64)
    return Plan(
        f"staffing:{n}", ids, [ForceType.PATROL_POLICE] * len(ids), g.node_lon[idx], g.node_lat[idx],
        shift=np.asarray(shifts, np.int16),
    )  # fmt: skip
