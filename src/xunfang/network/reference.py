"""The reference engine: every query answered with ``scipy.sparse.csgraph.dijkstra``.

This was the first :class:`~xunfang.network.engine.NetworkEngine`. It is kept, unchanged in its
answers, as the yardstick the compiled kernels are tested and benchmarked against: simple enough
to trust, slow enough that nothing in production should call it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from xunfang.core.errors import InvalidInput
from xunfang.core.geo import check_lonlat, haversine_m
from xunfang.network.coverage import Coverage
from xunfang.network.engine import RankedUnit, Route, UnitPosition
from xunfang.network.graph import RoadGraph
from xunfang.network.snap import Snapper
from xunfang.network.travel import Mode, TravelModel

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


class ReferenceEngine:
    """The scipy reference: same queries and answers as NetworkEngine, without the kernels."""

    def __init__(self, graph: RoadGraph, model: TravelModel | None = None) -> None:
        self.graph = graph
        self.model = model or TravelModel()
        self.snapper = Snapper(graph)
        self._mats: dict[tuple[Mode, int], tuple[csr_matrix, csr_matrix]] = {}

    # -- helpers -----------------------------------------------------------------------------
    def weights(self, mode: Mode | str, hour: int) -> F64:
        return self.model.edge_seconds(self.graph, mode, hour)

    def _matrices(self, mode: Mode, hour: int) -> tuple[csr_matrix, csr_matrix]:
        h = hour % 24 if mode in (Mode.CAR, Mode.MOTORCYCLE) else 0
        key = (mode, h)
        if key not in self._mats:
            mat = self.graph.to_csr_matrix(self.weights(mode, h))
            self._mats[key] = (mat, mat.T.tocsr())
        return self._mats[key]

    def _edge_between(self, u: I64, v: I64, w: F64) -> I64:
        """Fastest edge from u[i] to v[i] (for turning predecessor chains into edges)."""
        g = self.graph
        out = np.empty(u.size, dtype=np.int64)
        for i, (a, b) in enumerate(zip(u, v, strict=True)):
            lo, hi = g.indptr[a], g.indptr[a + 1]
            cand = np.flatnonzero(g.edge_v[lo:hi] == b) + lo
            out[i] = cand[np.argmin(w[cand])]
        return out

    def _path_edges(self, pred: NDArray[np.int32], src: int, dst: int, w: F64) -> I64:
        nodes = [dst]
        while nodes[-1] != src:
            p = int(pred[nodes[-1]])
            if p < 0:
                raise InvalidInput("no route between the two points on this network")
            nodes.append(p)
        seq = np.asarray(nodes[::-1], dtype=np.int64)
        return self._edge_between(seq[:-1], seq[1:], w)

    # -- queries -----------------------------------------------------------------------------
    def rank_units(
        self, lon: float, lat: float, units: Sequence[UnitPosition], *, hour: int = 12, k: int | None = None
    ) -> list[RankedUnit]:
        """Units ordered by ETA to (lon, lat); ``k`` keeps the first k."""
        check_lonlat(lon, lat, name="incident")
        if not units:
            return []
        target, t_off = self.snapper.snap(lon, lat, name="incident")
        ulon = np.array([u.lon for u in units])
        ulat = np.array([u.lat for u in units])
        nodes, offs = self.snapper.snap(ulon, ulat, name="unit position")
        modes = [Mode.parse(u.mode) for u in units]
        eta = np.full(len(units), np.inf)
        dist = np.full(len(units), np.inf)
        for mode in set(modes):
            idx = np.array([i for i, m in enumerate(modes) if m is mode])
            if mode is Mode.DRONE:
                metres = haversine_m(ulon[idx], ulat[idx], lon, lat)
                eta[idx], dist[idx] = self.model.drone_seconds(metres), metres
                continue
            _, rev = self._matrices(mode, hour)
            t, pred = dijkstra(rev, indices=int(target[0]), return_predecessors=True)
            eta[idx] = t[nodes[idx]] + self.model.offroad_seconds(mode, offs[idx] + t_off[0])
            dist[idx] = self._reverse_tree_length(pred, nodes[idx], mode, hour) + offs[idx] + t_off[0]
        order = np.lexsort((np.arange(len(units)), eta))
        if k is not None:
            order = order[:k]
        return [RankedUnit(units[i].unit_id, float(eta[i]), float(dist[i]), modes[i]) for i in order]

    def _reverse_tree_length(self, pred: NDArray[np.int32], sources: I64, mode: Mode, hour: int) -> F64:
        """Road metres from each source along the backward shortest-path tree to its root."""
        w = self.weights(mode, hour)
        out = np.empty(sources.size)
        for i, s in enumerate(sources):
            metres, node = 0.0, int(s)
            while pred[node] >= 0:
                nxt = int(pred[node])
                e = self._edge_between(np.array([node]), np.array([nxt]), w)[0]
                metres += float(self.graph.edge_length_m[e])
                node = nxt
            out[i] = metres
        return out

    def coverage(
        self,
        units: Sequence[UnitPosition],
        *,
        hour: int = 12,
        thresholds_s: Sequence[float] = (60.0, 180.0, 300.0),
        mode: Mode | str = Mode.CAR,
    ) -> Coverage:
        """Which roads the units reach within each threshold (multi-source, off-road legs included)."""
        g, m = self.graph, Mode.parse(mode)
        th = tuple(float(t) for t in thresholds_s)
        n = g.n_nodes
        nodes, offs = self.snapper.snap([u.lon for u in units], [u.lat for u in units], name="unit position")
        start = self.model.offroad_seconds(m, offs)
        w = self.weights(m, hour)
        # a virtual source joined to each unit's node by its off-road time gives exact multi-source
        # times (one link per node: csr_matrix would add up the times of units sharing a node)
        best = np.full(n, np.inf)
        np.minimum.at(best, nodes, start)
        u_nodes = np.flatnonzero(np.isfinite(best))
        base = self._matrices(m, hour)[0].tocoo()  # parallel edges: the faster one
        rows = np.concatenate([base.row, np.full(u_nodes.size, n)])
        cols = np.concatenate([base.col, u_nodes])
        data = np.concatenate([base.data, np.maximum(best[u_nodes], 1e-9)])
        mat = csr_matrix((data, (rows, cols)), shape=(n + 1, n + 1))
        t, pred = dijkstra(mat, indices=n, return_predecessors=True, limit=max(th))
        node_s = t[:n]
        owner = self._owners(pred, nodes, n)
        return _coverage_from_times(g, w, th, node_s, owner)

    @staticmethod
    def _owners(pred: NDArray[np.int32], unit_nodes: I64, root: int) -> NDArray[np.int32]:
        first = {int(v): i for i, v in reversed(list(enumerate(unit_nodes)))}
        owner = np.full(pred.size - 1, -1, dtype=np.int32)
        for v in range(owner.size):
            chain, node = [], v
            while node >= 0 and node != root and owner[node] < 0 and pred[node] != root:
                chain.append(node)
                node = int(pred[node])
            if node < 0:
                continue
            label = owner[node] if owner[node] >= 0 else first.get(node, -1)
            for c in [*chain, node]:
                if c != root:
                    owner[c] = label
        return owner

    def route(
        self, a: tuple[float, float], b: tuple[float, float], *, mode: Mode | str = Mode.CAR, hour: int = 12
    ) -> Route:
        """Fastest road route from a to b (off-road legs included in time and distance)."""
        m = Mode.parse(mode)
        nodes, offs = self.snapper.snap([a[0], b[0]], [a[1], b[1]], name="route end")
        w = self.weights(m, hour)
        fwd, _ = self._matrices(m, hour)
        t, pred = dijkstra(fwd, indices=int(nodes[0]), return_predecessors=True)
        edges = self._path_edges(pred, int(nodes[0]), int(nodes[1]), w)
        g = self.graph
        lon = [a[0]] + [x for e in edges for x in g.geom_lon[g.geom_ptr[e] : g.geom_ptr[e + 1]]] + [b[0]]
        lat = [a[1]] + [y for e in edges for y in g.geom_lat[g.geom_ptr[e] : g.geom_ptr[e + 1]]] + [b[1]]
        if not edges.size:
            lon = [a[0], float(g.node_lon[nodes[0]]), b[0]]
            lat = [a[1], float(g.node_lat[nodes[0]]), b[1]]
        seconds = float(t[nodes[1]] + self.model.offroad_seconds(m, offs.sum()))
        metres = float(g.edge_length_m[edges].sum() + offs.sum())
        return Route(seconds, metres, np.asarray(lon), np.asarray(lat), edges)

    def matrix(
        self, src: tuple[F64, F64], dst: tuple[F64, F64], *, mode: Mode | str = Mode.CAR, hour: int = 12
    ) -> F64:
        """Seconds from every source point to every destination point (rows: sources)."""
        m = Mode.parse(mode)
        s_nodes, s_off = self.snapper.snap(*src, name="source")
        d_nodes, d_off = self.snapper.snap(*dst, name="destination")
        fwd, _ = self._matrices(m, hour)
        t = dijkstra(fwd, indices=s_nodes)[:, d_nodes]
        off = self.model.offroad_seconds(m, s_off[:, None] + d_off[None, :])
        return np.asarray(t + off, dtype=np.float64)


def _coverage_from_times(
    g: RoadGraph, w: F64, th: tuple[float, ...], node_s: F64, owner: NDArray[np.int32]
) -> Coverage:
    """Edge tiers and covered road-length shares from node arrival times."""
    start = node_s[g.edge_u]
    reach = start + w
    tier = np.full(g.n_edges, -1, dtype=np.int8)
    for i in range(len(th) - 1, -1, -1):
        tier[reach <= th[i]] = i
    n_seg = int(g.edge_segment.max()) + 1
    seg_len = np.zeros(n_seg)
    seg_len[g.edge_segment] = g.edge_length_m
    fraction: dict[float, float] = {}
    for t in th:
        part = np.clip((t - start) / w, 0.0, 1.0)
        part[~np.isfinite(part)] = 0.0
        covered = np.minimum(np.bincount(g.edge_segment, weights=part, minlength=n_seg), 1.0)
        fraction[t] = float((covered * seg_len).sum() / seg_len.sum())
    return Coverage(th, node_s, owner, tier, fraction)
