"""Array-level entry points to the compiled kernels: no Python object per unit or per node.

A :class:`Router` binds one graph to one set of edge weights (a mode at an hour) and keeps the
forward and reversed CSR arrays laid out for the kernels plus reusable work arrays, so that
repeated queries allocate nothing proportional to the graph. The bench and the simulator call
it directly; :class:`~xunfang.network.engine.NetworkEngine` wraps it with snapping, modes and
drones.

Not thread-safe: one Router per thread (its work arrays are shared between its queries).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from xunfang.core.errors import InvalidInput
from xunfang.network import kernels
from xunfang.network.graph import RoadGraph

F64 = NDArray[np.float64]
I32 = NDArray[np.int32]
I64 = NDArray[np.int64]


@dataclass(frozen=True)
class Csr:
    """One direction of the graph as the kernels read it (arrays aligned by CSR slot)."""

    indptr: I64
    adj: I32
    w: F64
    length: F64
    eid: I32
    one_in: NDArray[np.int8]  # see one_in_slots
    walk: bool  # whether the searches use one_in (see csr())


def one_in_slots(adj: I32, n: int) -> NDArray[np.int8]:
    """Per CSR slot: 1 when the slot's head node has no other edge into it in this direction.

    Such a node's label can only come through this slot, so it is final as soon as the tail's
    label is. When it also has a single edge out (a shape point) the searches label it and walk
    on along the chain at once, without the queue; otherwise the target search files it at the
    end of the bucket being drained (scanned in the same pass) instead of in the bucket of its
    label. On networks drawn with shape points (Chicago's GMNS arterials: 7,461 of 9,967 nodes
    sit inside one-way chains) that skips most of the queue traffic: a full search went from
    0.154 to 0.101 ms with the filing alone, the chain walk took a full ranking from 0.23 to
    0.20 ms and a coverage search from 0.14 to 0.10 ms. The answers do not change: each label is
    the same sum the queue would have made, a node walked early is walked again if its label
    ever improves, and targets are released only once the bucket bound passes them. Only labels
    less than ``kernels.WALK_AHEAD`` buckets ahead are taken early, so that whatever a walk files
    stays inside the circular queue's window.
    """
    deg = np.bincount(adj, minlength=n)
    return np.ascontiguousarray(deg[adj] == 1, dtype=np.int8)


def csr(indptr: I64, adj: I32, w: F64, length: F64, eid: I32) -> Csr:
    """One direction's arrays, and whether its searches should file one-in nodes early.

    That pays only where such nodes are common: elsewhere looking up ``one_in`` costs more than
    it saves (the synthetic city has 0.3 % such slots and its searches got 15-30 % slower;
    Chicago's arterials have 67 %).
    """
    one_in = one_in_slots(adj, indptr.size - 1)
    walk = bool(one_in.size) and float(one_in.mean()) >= WALK_FROM_SHARE
    return Csr(indptr, adj, w, length, eid, one_in, walk)


class Workspace:
    """Per-node work arrays of the target searches (only ``state`` is reset between searches)."""

    def __init__(self, n: int, n_buckets: int, bucket_cap: int) -> None:
        self.dist = np.full(n, np.inf)
        self.met = np.zeros(n)
        self.pred = np.full(n, -1, dtype=np.int32)
        self.state = np.zeros(n, dtype=np.int8)
        self.thead = np.full(n, -1, dtype=np.int32)
        self.blist = np.zeros(n, dtype=np.int32)
        self.bc = np.zeros(n_buckets, dtype=np.int64)
        self._targets = 0
        self.grow(1)
        self.bq = new_buckets(n_buckets, bucket_cap)

    def grow(self, n_targets: int) -> None:
        """Make room for ``n_targets`` targets (units or destinations)."""
        if n_targets <= self._targets:
            return
        size = max(n_targets, 2 * self._targets)
        self.tnext = np.full(size, -1, dtype=np.int32)
        self.hk = np.zeros(size)
        self.hi = np.zeros(size, dtype=np.int32)
        self.out_idx = np.zeros(size, dtype=np.int32)
        self.out_tot = np.zeros(size)
        self.out_met = np.zeros(size)
        self._targets = size


def new_buckets(n_buckets: int, cap: int) -> I32:
    """The queue's buckets: one contiguous row of node ids per bucket (filled left to right).

    Draining a bucket then reads its nodes in sequence, so the processor can overlap their
    (random) label look-ups, where a linked list of entries would make every step wait for the
    previous one. A bucket that fills up makes the search return early; the caller doubles the
    capacity (:func:`grown`) and searches again, so this happens at most a few times per router.
    """
    return np.zeros((n_buckets, max(int(cap), 64)), dtype=np.int32)


def grown(bq: I32) -> I32:
    """Buckets of twice the capacity (contents are not kept: searches restart or resume)."""
    return new_buckets(bq.shape[0], 2 * bq.shape[1])


def initial_bucket_cap(n_edges: int, n_buckets: int) -> int:
    """A first capacity that holds a wide frontier without reserving one slot per edge per bucket."""
    return min(max(4 * n_edges // max(n_buckets, 1), 1024), 1 << 18)


def bucket_width(w: F64) -> float:
    """Bucket width of the queue: the smallest weight, unless a few very short links make it tiny.

    Widths up to the smallest weight give Dial's algorithm (no node is scanned twice). On real
    networks a few very short links would make that width needlessly small (many empty buckets),
    so it is then raised to the 25th percentile of the weights, which costs a few re-scans and
    keeps exactness. Measured on Chicago (shortest link 0.1 s; full ranking of 1,000 units,
    p50): 0.324 ms at the 5th percentile (1.05 s), 0.302 ms at the 25th (2.69 s), 0.301 ms at
    the median; on the synthetic city (shortest link 7.3 s, Dial) wider buckets were no faster.
    """
    lo, q25 = float(w.min()), float(np.quantile(w, 0.25))
    return max(lo if lo >= 0.25 * q25 else q25, 1e-3)


PREFETCH_FROM_NODES = 200_000
WALK_FROM_SHARE = 0.1


class Router:
    """Exact shortest-path queries on one graph with one weight vector (seconds per edge)."""

    def __init__(self, graph: RoadGraph, weights: F64, *, delta: float | None = None) -> None:
        w = np.ascontiguousarray(weights, dtype=np.float64)
        if w.shape != (graph.n_edges,) or not np.isfinite(w).all() or (w <= 0).any():
            raise InvalidInput(f"weights: expected {graph.n_edges} finite positive edge times")
        self.graph = graph
        self.weights = w
        self.n = graph.n_nodes
        self.fwd = csr(
            graph.indptr,
            np.ascontiguousarray(graph.edge_v, dtype=np.int32),
            w,
            graph.edge_length_m,
            np.arange(graph.n_edges, dtype=np.int32),
        )
        rptr, order = graph.rev_indptr_edges
        self.rev = csr(
            rptr,
            np.ascontiguousarray(graph.edge_u[order], dtype=np.int32),
            np.ascontiguousarray(w[order]),
            np.ascontiguousarray(graph.edge_length_m[order]),
            np.ascontiguousarray(order, dtype=np.int32),
        )
        self.delta = float(delta) if delta is not None else bucket_width(w)
        self.n_buckets = kernels.bucket_count(float(w.max()), self.delta, self.fwd.walk or self.rev.walk)
        # prefetching pays only when the search's arrays do not fit in cache (see kernels)
        self.prefetch = graph.n_nodes >= PREFETCH_FROM_NODES
        self._ws: Workspace | None = None
        # One workspace per router: request threads take turns on it (the compiled search runs
        # without the GIL, so other threads go on meanwhile); results are copied out before the
        # lock is released.
        self._lock = threading.Lock()

    @property
    def ws(self) -> Workspace:
        if self._ws is None:
            cap = initial_bucket_cap(self.graph.n_edges, self.n_buckets)
            self._ws = Workspace(self.n, self.n_buckets, cap)
        return self._ws

    def _search(
        self, csr: Csr, source: int, nodes: I64, off: F64, *, k: int, cutoff: float, want_pred: bool = False
    ) -> tuple[I32, F64, F64]:
        with self._lock:
            return self._search_locked(csr, source, nodes, off, k=k, cutoff=cutoff, want_pred=want_pred)

    def _search_locked(
        self, csr: Csr, source: int, nodes: I64, off: F64, *, k: int, cutoff: float, want_pred: bool
    ) -> tuple[I32, F64, F64]:
        ws = self.ws
        ws.grow(int(nodes.size))
        while True:
            cnt = kernels.search_targets(csr.walk, self.prefetch, k >= nodes.size)(
                csr.indptr, csr.adj, csr.w, csr.one_in, csr.eid, csr.length, self.delta, self.n_buckets,
                int(source), nodes, off, int(k), float(cutoff), want_pred,
                ws.dist, ws.met, ws.pred, ws.state, ws.bq, ws.bc,
                ws.thead, ws.tnext, ws.blist, ws.hk, ws.hi, ws.out_idx, ws.out_tot, ws.out_met,
            )  # fmt: skip
            if cnt >= 0:
                return ws.out_idx[:cnt].copy(), ws.out_tot[:cnt].copy(), ws.out_met[:cnt].copy()
            ws.bq = grown(ws.bq)

    def _check_node(self, node: object, name: str) -> int:
        """One node index (a plain int check: this is on every query's path)."""
        if isinstance(node, int | np.integer) and 0 <= node < self.n:
            return int(node)
        return int(self._check_nodes(node, name)[0])

    def _check_nodes(self, nodes: object, name: str) -> I64:
        arr = np.ascontiguousarray(np.atleast_1d(np.asarray(nodes)), dtype=np.int64)
        if arr.size and (arr.min() < 0 or arr.max() >= self.n):
            raise InvalidInput(f"{name}: node index outside 0..{self.n - 1}")
        return arr

    def rank_nodes(
        self,
        target_node: int,
        target_off_s: float,
        unit_nodes: I64,
        unit_off_s: F64,
        k: int | None = None,
        *,
        cutoff_s: float = np.inf,
    ) -> tuple[I32, F64, F64]:
        """The ``k`` fastest units to a target (all when ``k`` is None) with an ETA of at most
        ``cutoff_s``: the search goes no farther than that, however few units it has found.

        Returns (unit indices, ETA seconds, road metres), ordered by (ETA, index). ETA is the
        unit's start-up leg ``unit_off_s`` + road time + ``target_off_s``.
        """
        nodes = self._check_nodes(unit_nodes, "unit_nodes")
        off = np.ascontiguousarray(unit_off_s, dtype=np.float64)
        t = self._check_node(target_node, "target_node")
        kk = nodes.size if k is None else max(0, int(k))
        # the road labels are pruned a microsecond beyond the cutoff, so that rounding never
        # drops a unit whose ETA is exactly at it; the ETA test below is exact
        road = cutoff_s - target_off_s + 1e-6 if np.isfinite(cutoff_s) else np.inf
        idx, tot, met = self._search(self.rev, t, nodes, off, k=kk, cutoff=road)
        tot = tot + float(target_off_s)
        if np.isfinite(cutoff_s):
            keep = tot <= cutoff_s
            return idx[keep], tot[keep], met[keep]
        return idx, tot, met

    def one_to_many(self, source: int, dest_nodes: I64, *, cutoff: float = np.inf) -> tuple[F64, F64]:
        """Seconds and road metres from ``source`` to each destination node (inf if beyond cutoff)."""
        nodes = self._check_nodes(dest_nodes, "dest_nodes")
        s = self._check_node(source, "source")
        idx, tot, met = self._search(self.fwd, s, nodes, np.zeros(nodes.size), k=nodes.size, cutoff=cutoff)
        sec = np.full(nodes.size, np.inf)
        metres = np.full(nodes.size, np.inf)
        sec[idx], metres[idx] = tot, met
        return sec, metres

    def matrix(self, src_nodes: I64, dst_nodes: I64) -> F64:
        """Road seconds from every source node (rows) to every destination node (columns)."""
        src = self._check_nodes(src_nodes, "src_nodes")
        dst = self._check_nodes(dst_nodes, "dst_nodes")
        out = np.empty((src.size, dst.size))
        for i, s in enumerate(src):
            out[i] = self.one_to_many(int(s), dst)[0]
        return out

    def path(self, source: int, target: int) -> tuple[float, I64]:
        """Seconds and edge ids of the fastest path ``source → target``."""
        s = self._check_node(source, "source")
        t = self._check_node(target, "target")
        with self._lock:
            _, tot, _ = self._search_locked(
                self.fwd, s, np.array([t], dtype=np.int64), np.zeros(1), k=1, cutoff=np.inf, want_pred=True
            )
            if tot.size == 0:
                raise InvalidInput("no route between the two points on this network")
            edges = kernels.path_edges(self.ws.pred, self.graph.edge_u, s, t)
        return float(tot[0]), edges
