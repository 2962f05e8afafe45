"""Map matching of GPS tracks to a road graph (HMM / Viterbi, Newson & Krumm 2009).

Each fix gets candidate edges within ``radius_m`` (from a KD-tree over points sampled every few
metres along every edge). Emission: Gaussian in the fix-to-road distance. Transition: the
difference between the road distance and the straight distance of consecutive fixes, so a sparse
track (one fix per 10 s or worse) still follows the streets actually driven. Road distances come
from a bounded node-to-node table built once per graph; where no road route fits (a long gap, a
jump) the chain breaks instead of inventing a path. The result is the list of travelled edge
pieces, interpolated along roads between fixes — never straight across blocks.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import NDArray
from scipy.sparse.csgraph import dijkstra

from xunfang.network.graph import RoadGraph
from xunfang.supervision import _grid as gr
from xunfang.supervision import _kernels as kn
from xunfang.supervision.tracks import Tracks

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@dataclass(frozen=True)
class Pieces:
    """Travelled pieces: unit ``unit[i]`` drove edge ``edge[i]`` from fraction ``a[i]`` to ``b[i]``,
    arriving at the fix ``fix[i]`` at time ``t[i]``."""

    unit: I64
    edge: I64
    a: F64
    b: F64
    fix: I64
    t: F64

    def edge_fraction(self, n_edges: int, unit: int | None = None) -> F64:
        """Fraction of each edge's length travelled (union of pieces; by one unit, or by any)."""
        sel = np.ones(self.edge.size, bool) if unit is None else self.unit == unit
        return union_fraction(self.edge[sel], self.a[sel], self.b[sel], n_edges)


def union_fraction(group: I64, a: F64, b: F64, n_groups: int) -> F64:
    """Length of the union of intervals [a, b] ⊂ [0, 1] per group (overlapping passes count once)."""
    out = np.zeros(n_groups)
    if group.size == 0:
        return out
    order = np.lexsort((a, group))
    group, a, b = group[order], a[order], b[order]
    new = np.concatenate([[True], group[1:] != group[:-1]])
    gid = np.cumsum(new) - 1
    reach = np.maximum.accumulate(b + 2.0 * gid) - 2.0 * gid
    prev = np.concatenate([[-1.0], reach[:-1]])
    start = new | (a > prev)
    last = np.concatenate([start[1:], [True]])
    np.add.at(out, group[last], reach[last])
    np.subtract.at(out, group[start], a[start])
    return np.clip(out, 0.0, 1.0)


class MapMatcher:
    """Matches tracks to one graph; build once, reuse for many tracks.

    Defaults were chosen on the three real ground-truth car tracks thinned to one fix per 10 s
    (sigma 10 m, beta 10 m, candidates within 30 m, 30 m/s top speed); a fix with no road within
    ``radius_m`` ends the current chain rather than being bridged by a guessed detour.
    """

    def __init__(
        self,
        graph: RoadGraph,
        *,
        radius_m: float = 30.0,
        sigma_m: float = 10.0,
        beta_m: float = 10.0,
        max_route_m: float = 2500.0,
        max_speed_mps: float = 30.0,
        k: int = 16,
    ) -> None:
        self.graph = graph
        self.radius_m, self.sigma_m, self.beta_m = radius_m, sigma_m, beta_m
        self.max_route_m, self.max_speed_mps, self.k = max_route_m, max_speed_mps, k
        self._index(graph)

    def _index(self, graph: RoadGraph) -> None:
        """Geometry pieces of every edge (metric), their offsets along the edge, and the grid over them."""
        gx, gy = graph.projection.to_xy(graph.geom_lon, graph.geom_lat)
        ptr = graph.geom_ptr
        last = np.zeros(gx.size, dtype=bool)
        last[ptr[1:] - 1] = True
        first_pt = np.flatnonzero(~last)
        seg_len = np.hypot(gx[first_pt + 1] - gx[first_pt], gy[first_pt + 1] - gy[first_pt])
        sedge = np.searchsorted(ptr, first_pt, side="right") - 1
        cum = np.cumsum(seg_len) - seg_len
        first_of_edge = np.concatenate([[True], sedge[1:] != sedge[:-1]])
        offset = cum - np.maximum.accumulate(np.where(first_of_edge, cum, 0.0))
        geom_len = np.bincount(sedge, weights=seg_len, minlength=graph.n_edges)
        self.seg = (gx[first_pt], gy[first_pt], gx[first_pt + 1], gy[first_pt + 1])
        self.sedge, self.soff, self.slen = sedge.astype(np.int64), offset, seg_len
        self.geom_len = np.maximum(geom_len, 1e-6)
        cell = max(2.0 * self.radius_m, 20.0)
        self.x0, self.y0 = float(gx.min()) - cell, float(gy.min()) - cell
        self.nx = int((gx.max() - self.x0) // cell) + 2
        self.ny = int((gy.max() - self.y0) // cell) + 2
        self.cell = cell
        self.gptr, self.gitems = gr.build_grid(
            *self.seg, self.x0, self.y0, cell, self.nx, self.ny, self.radius_m
        )

    @cached_property
    def _table(self) -> tuple[I64, F64, I64]:
        """Bounded all-pairs table: keys a*n+b (sorted), road metres, predecessor of b from a."""
        g, n = self.graph, self.graph.n_nodes
        mat = g.to_csr_matrix(g.edge_length_m)
        keys, dist, pred = [], [], []
        for lo in range(0, n, 256):
            src = np.arange(lo, min(n, lo + 256))
            d, p = dijkstra(mat, indices=src, limit=self.max_route_m, return_predecessors=True)
            r, c = np.nonzero(np.isfinite(d))
            keys.append(src[r].astype(np.int64) * n + c)
            dist.append(d[r, c])
            pred.append(p[r, c].astype(np.int64))
        return np.concatenate(keys), np.concatenate(dist), np.concatenate(pred)

    @cached_property
    def _edge_keys(self) -> tuple[I64, I64]:
        g, n = self.graph, self.graph.n_nodes
        key = g.edge_u.astype(np.int64) * n + g.edge_v
        order = np.lexsort((g.edge_length_m, key))
        first = np.concatenate([[True], key[order][1:] != key[order][:-1]])
        return key[order][first], order[first].astype(np.int64)

    def candidates(self, x: F64, y: F64) -> tuple[I64, I64, F64, F64]:
        """CSR candidates per fix: pointer, edge, fraction, distance (nearest sample per edge)."""
        parts = [
            self._candidates(x[lo : lo + 100_000], y[lo : lo + 100_000]) for lo in range(0, x.size, 100_000)
        ]
        if not parts:
            return np.zeros(1, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros(0)
        counts = np.concatenate([p[0] for p in parts])
        ptr = np.zeros(x.size + 1, dtype=np.int64)
        np.cumsum(counts, out=ptr[1:])
        return ptr, *(np.concatenate([p[i] for p in parts]) for i in (1, 2, 3))  # type: ignore[return-value]

    def _candidates(self, x: F64, y: F64) -> tuple[I64, I64, F64, F64]:
        cnt, e, f, d = gr.query(
            np.ascontiguousarray(x), np.ascontiguousarray(y), self.gptr, self.gitems, *self.seg,
            self.sedge, self.soff, self.slen, self.geom_len, self.x0, self.y0, self.cell, self.nx, self.ny,
            self.radius_m, self.k,
        )  # fmt: skip
        keep = e >= 0
        return cnt, e[keep], f[keep], d[keep]

    def match(self, tracks: Tracks, *, xy: tuple[F64, F64] | None = None) -> tuple[Pieces, I64]:
        """Travelled pieces of all units, and the matched candidate edge per fix (-1: unmatched).

        ``tracks`` must be cleaned (sorted by unit and time), see :func:`clean_tracks`.
        """
        g = self.graph
        x, y = xy if xy is not None else g.projection.to_xy(tracks.lon, tracks.lat)
        cptr, cedge, cfrac, cdist = self.candidates(x, y)
        keys, tdist, tpred = self._table
        rptr = np.searchsorted(keys, np.arange(g.n_nodes + 1, dtype=np.int64) * g.n_nodes)
        ekeys, eids = self._edge_keys
        elen = np.ascontiguousarray(g.edge_length_m, dtype=np.float64)
        eu, ev = g.edge_u.astype(np.int64), g.edge_v.astype(np.int64)
        chosen, chain = kn.viterbi(
            tracks.starts, x, y, tracks.t, cptr, cedge, cfrac, cdist, eu, ev, elen, np.int64(g.n_nodes),
            rptr, keys, tdist, self.sigma_m, self.beta_m, self.max_speed_mps, 10.0,
        )  # fmt: skip
        order = np.flatnonzero(chosen >= 0)
        fix, e, a, b = kn.expand(
            order, chosen, chain, cedge, cfrac, eu, ev, elen, np.int64(g.n_nodes),
            rptr, keys, tpred, ekeys, eids, 10.0,
        )  # fmt: skip
        matched = np.full(len(tracks), -1, dtype=np.int64)
        matched[order] = cedge[chosen[order]]
        return Pieces(tracks.unit[fix], e, a, b, fix, tracks.t[fix]), matched
