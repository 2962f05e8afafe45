"""The road-network engine: the one place the rest of xunfang asks "how long by road".

:class:`NetworkEngine` combines a :class:`RoadGraph`, a :class:`TravelModel` and a
:class:`Snapper` and answers the four queries dispatch, coverage, planning and the simulator need:

* :meth:`rank_units`   — units ordered by ETA to a point (top-k or all);
* :meth:`coverage`     — what the current units reach within 1/3/5 minutes (and
  :meth:`coverage_state` for a map kept current as units move);
* :meth:`route`        — the fastest path between two points, with geometry;
* :meth:`matrix`       — travel times between two point sets.

Answers come from the compiled kernels (:mod:`xunfang.network.kernels`) through one
:class:`~xunfang.network.router.Router` per mode and hour. They are exact: the tests compare them
with networkx and with the scipy reference (:mod:`xunfang.network.reference`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from xunfang.core.geo import check_lonlat, haversine_m
from xunfang.network.coverage import Coverage, CoverageState
from xunfang.network.graph import RoadGraph
from xunfang.network.router import Router
from xunfang.network.snap import Snapper
from xunfang.network.travel import MOTOR, Mode, TravelModel

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

__all__ = ["Coverage", "NetworkEngine", "RankedUnit", "Route", "UnitPosition"]


@dataclass(frozen=True)
class UnitPosition:
    """Where a unit is and how it travels."""

    unit_id: str
    lon: float
    lat: float
    mode: Mode = Mode.CAR


@dataclass(frozen=True)
class RankedUnit:
    """One unit's answer to "how fast can you get there"."""

    unit_id: str
    eta_s: float
    distance_m: float
    mode: Mode


@dataclass(frozen=True)
class Route:
    seconds: float
    metres: float
    lon: F64
    lat: F64
    edges: I64

    def geojson(self) -> dict[str, object]:
        coords = [[round(float(x), 7), round(float(y), 7)] for x, y in zip(self.lon, self.lat, strict=True)]
        return {"type": "LineString", "coordinates": coords}


_MODE_CODE = {m: i for i, m in enumerate(Mode)}


class NetworkEngine:
    """Queries on one graph with one travel model."""

    def __init__(self, graph: RoadGraph, model: TravelModel | None = None) -> None:
        self.graph = graph
        self.model = model or TravelModel()
        self.snapper = Snapper(graph)
        self._routers: dict[tuple[Mode, int], Router] = {}

    def warm(self, hour: int = 12) -> None:
        """Load the compiled kernels and the routers of every road mode now, at start-up.

        The first call of each kernel loads its machine code from numba's cache (about a second);
        a service would otherwise charge that to its first incidents.
        """
        one, zero = np.zeros(1, dtype=np.int64), np.zeros(1)
        two, zeros = np.zeros(2, dtype=np.int64), np.zeros(2)
        for mode in Mode:
            if mode is not Mode.DRONE:
                for h in (hour, (hour + 1) % 24):
                    # both variants of the target search: all targets wanted, and a top k of more
                    self.router(mode, h).rank_nodes(0, 0.0, one, zero, 1)
                    self.router(mode, h).rank_nodes(0, 0.0, two, zeros, 1)
        self.router(Mode.CAR, hour).path(0, 0)
        self.coverage_state(hour=hour).full_nodes(one, zero)

    # -- helpers -----------------------------------------------------------------------------
    def weights(self, mode: Mode | str, hour: int) -> F64:
        return self.model.edge_seconds(self.graph, mode, hour)

    def router(self, mode: Mode | str, hour: int = 12) -> Router:
        """The kernel-level router for a road mode at an hour (built once, then reused)."""
        m = Mode.parse(mode)
        key = (m, hour % 24 if m in MOTOR else 0)
        if key not in self._routers:
            self._routers[key] = Router(self.graph, self.weights(m, key[1]))
        return self._routers[key]

    def rank_nodes(
        self,
        target_node: int,
        target_off_s: float,
        unit_nodes: I64,
        unit_off_s: F64,
        *,
        mode: Mode | str = Mode.CAR,
        hour: int = 12,
        k: int | None = None,
    ) -> tuple[NDArray[np.int32], F64, F64]:
        """Array-level ranking for callers that snap once and query often (the simulator).

        Same answer as :meth:`rank_units` for one road mode, without a Python object per unit:
        (unit indices, ETA seconds, road metres) ordered by (ETA, index).
        """
        return self.router(mode, hour).rank_nodes(target_node, target_off_s, unit_nodes, unit_off_s, k)

    # -- queries -----------------------------------------------------------------------------
    def rank_units(
        self, lon: float, lat: float, units: Sequence[UnitPosition], *, hour: int = 12, k: int | None = None
    ) -> list[RankedUnit]:
        """Units ordered by ETA to (lon, lat); ``k`` keeps the first k (ties: input order)."""
        check_lonlat(lon, lat, name="incident")
        if not units:
            return []
        target, t_off = self.snapper.snap(lon, lat, name="incident")
        ulon = np.array([u.lon for u in units])
        ulat = np.array([u.lat for u in units])
        nodes, offs = self.snapper.snap(ulon, ulat, name="unit position")
        modes = [Mode.parse(u.mode) for u in units]
        idx_all, eta_all, dist_all = self.rank_snapped(
            lon, lat, int(target[0]), float(t_off[0]), ulon, ulat, nodes, offs, modes, hour=hour, k=k
        )
        return [
            RankedUnit(units[i].unit_id, float(eta), float(dist), modes[i])
            for i, eta, dist in zip(idx_all, eta_all, dist_all, strict=True)
        ]

    def rank_snapped(  # noqa: PLR0917 (parallel arrays, named at every call site)
        self,
        lon: float,
        lat: float,
        target_node: int,
        target_off_m: float,
        unit_lon: F64,
        unit_lat: F64,
        unit_nodes: I64,
        unit_off_m: F64,
        modes: Sequence[Mode],
        *,
        hour: int,
        k: int | None = None,
        cutoff_s: float = np.inf,
    ) -> tuple[I64, F64, F64]:
        """Units of mixed modes, already snapped, with an ETA of at most ``cutoff_s``, ordered by
        ETA: (indices, ETA s, road metres).

        One search per road mode; drones fly straight. With ``k``, the modes are searched largest
        first and each later search stops at the k-th best ETA found so far: no unit beyond it can
        be among the k, and a mode of three units no longer searches the whole city to find them.
        Shared by :meth:`rank_units` and the fleet-level dispatch (xunfang.dispatch.fleet), so
        both rank by the same rule.
        """
        codes = np.array([_MODE_CODE[m] for m in modes], dtype=np.int8)
        groups = [(m, np.flatnonzero(codes == _MODE_CODE[m])) for m in sorted(set(modes))]
        groups.sort(key=lambda g: (g[0] is not Mode.DRONE, -g[1].size))  # drones: no search, first
        idx_parts, eta_parts, dist_parts = [], [], []
        bound = cutoff_s
        for mode, sel in groups:
            if mode is Mode.DRONE:
                metres = haversine_m(unit_lon[sel], unit_lat[sel], lon, lat)
                eta = self.model.drone_seconds(metres)
                keep = eta <= bound
                idx_parts.append(sel[keep])
                eta_parts.append(eta[keep])
                dist_parts.append(metres[keep])
            else:
                idx, eta, met = self.router(mode, hour).rank_nodes(
                    target_node,
                    float(self.model.offroad_seconds(mode, target_off_m)),
                    unit_nodes[sel],
                    self.model.offroad_seconds(mode, unit_off_m[sel]),
                    k,
                    cutoff_s=bound,
                )
                idx_parts.append(sel[idx])
                eta_parts.append(eta)
                dist_parts.append(met + unit_off_m[sel[idx]] + target_off_m)
            if k is not None:
                bound = min(bound, _kth(eta_parts, k))
        idx_all = np.concatenate(idx_parts).astype(np.int64)
        eta_all = np.concatenate(eta_parts)
        dist_all = np.concatenate(dist_parts)
        order = np.lexsort((idx_all, eta_all))
        if k is not None:
            order = order[:k]
        return idx_all[order], eta_all[order], dist_all[order]

    def coverage_state(
        self,
        *,
        hour: int = 12,
        thresholds_s: Sequence[float] = (60.0, 180.0, 300.0),
        mode: Mode | str = Mode.CAR,
    ) -> CoverageState:
        """A coverage map to fill with :meth:`CoverageState.full` and update with ``move``."""
        return CoverageState.for_engine(self, mode=mode, hour=hour, thresholds_s=thresholds_s)

    def coverage(
        self,
        units: Sequence[UnitPosition],
        *,
        hour: int = 12,
        thresholds_s: Sequence[float] = (60.0, 180.0, 300.0),
        mode: Mode | str = Mode.CAR,
    ) -> Coverage:
        """Which roads the units reach within each threshold (multi-source, off-road legs included)."""
        state = self.coverage_state(hour=hour, thresholds_s=thresholds_s, mode=mode)
        return state.full([u.lon for u in units], [u.lat for u in units])

    def route(
        self, a: tuple[float, float], b: tuple[float, float], *, mode: Mode | str = Mode.CAR, hour: int = 12
    ) -> Route:
        """Fastest road route from a to b (off-road legs included in time and distance)."""
        m = Mode.parse(mode)
        nodes, offs = self.snapper.snap([a[0], b[0]], [a[1], b[1]], name="route end")
        road_s, edges = self.router(m, hour).path(int(nodes[0]), int(nodes[1]))
        g = self.graph
        if edges.size:
            pts = np.concatenate([np.arange(g.geom_ptr[e], g.geom_ptr[e + 1]) for e in edges])
            lon = np.concatenate([[a[0]], g.geom_lon[pts], [b[0]]])
            lat = np.concatenate([[a[1]], g.geom_lat[pts], [b[1]]])
        else:
            lon = np.array([a[0], g.node_lon[nodes[0]], b[0]])
            lat = np.array([a[1], g.node_lat[nodes[0]], b[1]])
        seconds = road_s + float(self.model.offroad_seconds(m, offs.sum()))
        metres = float(g.edge_length_m[edges].sum() + offs.sum())
        return Route(seconds, metres, lon, lat, edges)

    def matrix(
        self, src: tuple[F64, F64], dst: tuple[F64, F64], *, mode: Mode | str = Mode.CAR, hour: int = 12
    ) -> F64:
        """Seconds from every source point to every destination point (rows: sources)."""
        m = Mode.parse(mode)
        s_nodes, s_off = self.snapper.snap(*src, name="source")
        d_nodes, d_off = self.snapper.snap(*dst, name="destination")
        t = self.router(m, hour).matrix(s_nodes, d_nodes)
        off = self.model.offroad_seconds(m, s_off[:, None] + d_off[None, :])
        return np.asarray(t + off, dtype=np.float64)


def _kth(parts: list[F64], k: int) -> float:
    """The k-th smallest of the ETAs found so far (inf while fewer than k)."""
    if k <= 0 or sum(p.size for p in parts) < k:
        return np.inf
    return float(np.partition(np.concatenate(parts), k - 1)[k - 1])
