"""Snapping points to the routable core: nearest node by straight-line distance in metres.

Incidents and units rarely stand on a node (Chicago incidents: median 129 m, p95 377 m from the
nearest arterial node); the remaining distance is charged as an off-network leg by the travel
model. The graph holds only the strongly connected core, so every snap lands on routable roads.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.spatial import cKDTree

from xunfang.core.errors import InvalidInput
from xunfang.network.graph import RoadGraph


class Snapper:
    """Nearest-node lookup on a graph's projected node coordinates."""

    def __init__(self, graph: RoadGraph, *, max_offset_m: float = 5000.0) -> None:
        self.graph = graph
        self.max_offset_m = max_offset_m
        self._tree = cKDTree(np.column_stack([graph.node_x, graph.node_y]))

    def snap(
        self, lon: ArrayLike, lat: ArrayLike, *, name: str = "point"
    ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """Nearest core node and the straight-line offset (m) for each point.

        Raises :class:`InvalidInput` naming the first point farther than ``max_offset_m`` from
        the network (outside the service area).
        """
        lon_a = np.atleast_1d(np.asarray(lon, dtype=np.float64))
        lat_a = np.atleast_1d(np.asarray(lat, dtype=np.float64))
        if not (np.isfinite(lon_a).all() and np.isfinite(lat_a).all()):
            raise InvalidInput(f"{name}: coordinates must be finite numbers", field=name)
        x, y = self.graph.projection.to_xy(lon_a, lat_a)
        # a point far from the city can fall outside its projection (inf): it is simply too far
        dist = np.full(x.size, np.inf)
        idx = np.zeros(x.size, dtype=np.int64)
        ok = np.isfinite(x) & np.isfinite(y)
        if ok.any():
            dist[ok], idx[ok] = self._tree.query(np.column_stack([x[ok], y[ok]]))
        far = np.flatnonzero(~(dist <= self.max_offset_m))
        if far.size:
            i = int(far[0])
            west, south, east, north = self.graph.bbox()
            away = f"{dist[i]:.0f} m" if np.isfinite(dist[i]) else "very far"
            raise InvalidInput(
                f"{name}: ({lon_a[i]:.6f}, {lat_a[i]:.6f}) is {away} from the nearest road of "
                f"network '{self.graph.name}' (limit {self.max_offset_m:.0f} m; the network spans "
                f"lon {west:.4f}..{east:.4f}, lat {south:.4f}..{north:.4f})",
                field=name,
            )
        return idx.astype(np.int64), dist.astype(np.float64)

    def nearest(self, lon: ArrayLike, lat: ArrayLike) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """Like :meth:`snap` but never raises: points off the network get node -1 (batch callers)."""
        lon_a = np.atleast_1d(np.asarray(lon, dtype=np.float64))
        lat_a = np.atleast_1d(np.asarray(lat, dtype=np.float64))
        with np.errstate(all="ignore"):
            x, y = self.graph.projection.to_xy(lon_a, lat_a)
        dist = np.full(lon_a.size, np.inf)
        idx = np.full(lon_a.size, -1, dtype=np.int64)
        ok = np.isfinite(x) & np.isfinite(y)
        if ok.any():
            d, i = self._tree.query(np.column_stack([x[ok], y[ok]]))
            near = d <= self.max_offset_m
            sel = np.flatnonzero(ok)[near]
            idx[sel], dist[sel] = i[near], d[near]
        return idx, dist
