"""Network-based prospective hotspotting on street segments (Rosser, Davies, Bowers, Johnson &
Cheng 2017, "Predictive crime mapping: arbitrary grids or street networks?", Journal of
Quantitative Criminology 33:569-594).

Bowers' prospective hotspotting moved onto the road network: an incident is snapped to its nearest
street segment, and its risk spreads to the segments within a *network* distance ``h_s`` with a
weight falling linearly to zero (``1 - d / h_s``), times the near-repeat time weight
``1 / (1 + weeks)`` over the last ``weeks``. Segment-to-segment distance is the shortest road
distance between their midpoints (end nodes by Dijkstra, plus half of each segment's length).
Forecasts are ranked by risk per metre and scored by share of street length. Incidents farther
than ``max_snap_m`` from every segment cannot be hit; they stay in the denominator.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
import shapely
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from xunfang.analysis.forecast.base import F64, Forecaster, validation_origins
from xunfang.analysis.grid import Events, Grid
from xunfang.analysis.scoring import flagged_hits

SPACE_M = (250.0, 500.0, 1000.0)
WEEKS = (8, 26, 52)


class StreetSegments:
    """The road graph's segments (both directions of a road counted once) in the grid's projection."""

    def __init__(self, graph: Any, grid: Grid, *, max_bandwidth_m: float = max(SPACE_M)) -> None:
        seg_ids, first = np.unique(graph.edge_segment, return_index=True)
        self.n = int(seg_ids.size)
        self.length = np.maximum(graph.edge_length_m[first].astype(np.float64), 1.0)
        self.u = graph.edge_u[first].astype(np.int64)
        self.v = graph.edge_v[first].astype(np.int64)
        ptr = graph.geom_ptr
        lens = ptr[first + 1] - ptr[first]
        src = np.repeat(ptr[first], lens) + (np.arange(lens.sum()) - np.repeat(np.cumsum(lens) - lens, lens))
        gx, gy = grid.proj.to_xy(graph.geom_lon[src], graph.geom_lat[src])
        lines = shapely.linestrings(np.column_stack([gx, gy]), indices=np.repeat(np.arange(first.size), lens))
        dense = shapely.segmentize(lines, 20.0)
        pts, idx = shapely.get_coordinates(dense, return_index=True)
        self._tree = cKDTree(pts)
        self._owner = idx.astype(np.int64)
        self.distance = self._segment_distances(graph, max_bandwidth_m)

    def snap(self, x: F64, y: F64, max_snap_m: float) -> np.ndarray:
        """Nearest segment of each point, -1 where farther than ``max_snap_m``."""
        dist, i = self._tree.query(np.column_stack([x, y]))
        return np.where(dist <= max_snap_m, self._owner[i], -1)

    def _segment_distances(self, graph: Any, limit: float) -> csr_matrix:
        """Sparse midpoint-to-midpoint network distances up to ``limit`` (explicit zeros kept as 1e-9)."""
        n = graph.n_nodes
        adj = csr_matrix((graph.edge_length_m.astype(np.float64), (graph.edge_u, graph.edge_v)), shape=(n, n))
        rows, cols, vals = [], [], []
        for s in range(0, n, 1000):
            idx = np.arange(s, min(s + 1000, n))
            d = dijkstra(adj, directed=False, indices=idx, limit=limit)
            r, c = np.nonzero(np.isfinite(d))
            rows.append(idx[r])
            cols.append(c)
            vals.append(d[r, c])
        p, q, dpq = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
        # segments at each node
        ends = np.concatenate([self.u, self.v])
        segs = np.concatenate([np.arange(self.n), np.arange(self.n)])
        order = np.argsort(ends, kind="stable")
        ends, segs = ends[order], segs[order]
        start = np.searchsorted(ends, np.arange(n), side="left")
        count = np.searchsorted(ends, np.arange(n), side="right") - start
        # expand node pairs into segment pairs
        k = count[p] * count[q]
        keep = k > 0
        p, q, dpq, k = p[keep], q[keep], dpq[keep], k[keep]
        rep = np.repeat(np.arange(p.size), k)
        within = np.arange(rep.size) - np.repeat(np.cumsum(k) - k, k)
        cq = count[q][rep]
        a = segs[start[p][rep] + within // cq]
        b = segs[start[q][rep] + within % cq]
        d = dpq[rep] + (self.length[a] + self.length[b]) / 2
        d = np.where(a == b, 0.0, d)
        ok = d <= limit
        key = a[ok] * self.n + b[ok]
        dk = d[ok]
        o = np.lexsort((dk, key))
        key, dk = key[o], dk[o]
        first = np.r_[True, key[1:] != key[:-1]]
        key, dk = key[first], dk[first]
        mat = coo_matrix((dk + 1e-9, (key // self.n, key % self.n)), shape=(self.n, self.n))
        return mat.tocsr()

    def kernel(self, bandwidth_m: float) -> csr_matrix:
        """Linear-decay weights ``max(0, 1 - d/h)`` as a sparse matrix."""
        w = self.distance.copy()
        w.data = np.maximum(0.0, 1.0 - (w.data - 1e-9) / bandwidth_m)
        w.eliminate_zeros()
        return w


class NetworkProspective(Forecaster):
    name = "network"
    unit = "segment"
    intensity = False
    reference = "Rosser et al. (2017) J Quant Criminol 33:569-594, network-based prospective hotspotting"

    def __init__(self, graph: Any, *, max_snap_m: float = 250.0, tune: bool = True) -> None:
        super().__init__()
        self.graph = graph
        self.max_snap_m = max_snap_m
        self.tune = tune
        self.bandwidth_m, self.weeks = 500.0, 8
        self.segments: StreetSegments | None = None
        self._kernels: dict[float, csr_matrix] = {}

    def attach(self, events: Events) -> Events:
        """Build the segments and snap every event once (done before any fitting)."""
        self.segments = StreetSegments(self.graph, events.grid)
        return events.with_segments(self.segments.snap(events.x, events.y, self.max_snap_m))

    def units_size(self, grid: Grid) -> F64:
        assert self.segments is not None
        return np.asarray(self.segments.length, dtype=np.float64)

    def actual(self, events: Events, o: int, horizon: int) -> F64:
        assert self.segments is not None and events.segment is not None
        a, b = events.between(o, o + horizon)
        seg = events.segment[a:b]
        return np.bincount(seg[seg >= 0], minlength=self.segments.n).astype(np.float64)

    def _kernel(self, h: float) -> csr_matrix:
        if h not in self._kernels:
            assert self.segments is not None
            self._kernels[h] = self.segments.kernel(h)
        return self._kernels[h]

    def _risk(self, events: Events, t: int, h: float, weeks: int) -> F64:
        assert self.segments is not None and events.segment is not None
        lo, hi = events.between(t - 7 * weeks, t)
        seg = events.segment[lo:hi]
        w = 1.0 / (1.0 + (t - 1 - events.day[lo:hi]) // 7)
        ok = seg >= 0
        counts = np.bincount(seg[ok], weights=w[ok], minlength=self.segments.n)
        return np.asarray(self._kernel(h) @ counts, dtype=np.float64)

    def fit(self, events: Events, t: int, horizon: int) -> Self:
        assert self.segments is not None
        if self.tune:
            origins = validation_origins(t, horizon)
            scores = {}
            for h in SPACE_M:
                for wk in WEEKS:
                    hits = total = 0.0
                    for o in origins:
                        actual = self.actual(events, o, horizon)
                        a, b = events.between(o, o + horizon)
                        risk = self._risk(events.upto(o), o, h, wk)
                        hits += flagged_hits(risk, self.segments.length, actual, 0.05)[0]
                        total += b - a
                    scores[(h, wk)] = hits / max(total, 1.0)
            self.bandwidth_m, self.weeks = max(scores, key=lambda k: scores[k])
            self.params["validation_hit_rate_5"] = {
                f"{h:g}m/{w}w": round(v, 4) for (h, w), v in scores.items()
            }
        self.params.update(
            bandwidth_m=self.bandwidth_m,
            weeks=self.weeks,
            segments=self.segments.n,
            street_km=round(float(self.segments.length.sum()) / 1000, 1),
            max_snap_m=self.max_snap_m,
        )
        return self

    def predict(self, events: Events, t: int, horizon: int) -> F64:
        return self._risk(events, t, self.bandwidth_m, self.weeks)
