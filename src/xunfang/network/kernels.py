"""Compiled shortest-path kernels over the CSR arrays of a :class:`~xunfang.network.graph.RoadGraph`.

Every search uses the same priority queue: a circular array of buckets of width ``delta`` seconds
holding node ids in one contiguous row per bucket (a Dial/Δ-stepping queue). A node is filed
under bucket ``floor(label / delta)`` (slot: bucket mod count); an improved node is filed again
and its old entry skipped when met. The buckets are drained in order and, inside one bucket, a
node whose label improves again is simply re-filed (possibly into the bucket being drained) and
scanned once more. When ``delta`` is at most the smallest edge weight no node is ever scanned
twice (Dial's algorithm); a larger ``delta`` trades a few re-scans for fewer empty buckets.
Either way, once a bucket is empty every label in it is final, so the answers are exact
shortest-path times; the tests check that against networkx and scipy.

The kernels release the GIL (``nogil``): in the service a ranking runs on one core while other
request threads go on in Python on the other. Callers keep one workspace per thread or take a
lock (:class:`xunfang.network.router.Router` does).

The searches never allocate per query: the caller passes work arrays (see
:class:`xunfang.network.router.Workspace`) and every search first restores the entries the
previous one touched, so a top-10 query on a million nodes costs only what it visits.

Both searches drain a bucket with software prefetching (:func:`_prefetch`; the target search
only on graphs that do not fit in cache, see :func:`search_targets`): the labels and
adjacency of the node a few entries further down the bucket are requested while the current one
is scanned. A search over a million nodes is bound by memory latency, not bandwidth (its labels
and edges do not fit in cache, and the processor cannot run ahead of the unpredictable branches
of a relaxation), so issuing those loads early halves a full search (city1m, 1,000 units:
88 → 46 ms CPU time) and shortens a full coverage recompute by a seventh (66 → 57 ms).

The same kernels run forwards (``indptr``/``adj`` of the graph) and backwards (the reversed CSR):
the direction is a matter of which arrays the caller passes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from xunfang.network.target_order import heap_pop, heap_push, order_by_total

INF = np.inf

# How far ahead in a bucket the target search prefetches: a node's own labels and CSR row start
# (_PF_NODE entries ahead), then its edge slots (_PF_EDGE ahead, once its row start has arrived),
# at the row's first and last slot (a row of 3-4 float64 slots straddles two cache lines one
# time in three; fetching the second line too took the full search from 42 to 36 ms).
# Measured on city1m: 12/6 to 32/16 all within 5 %; prefetching the neighbours' labels as well
# (a third stage) made it 15 % slower (neighbours mostly share the node's cache lines).
# The prefetch lines are written out in each kernel on purpose: one shared inline helper (and
# one for the changed-label mark) made the 200,000-node city's rank_all 2x slower (10.7 -> 21 ms).
_PF_NODE = 16
_PF_EDGE = 8


def _prefetch_typer(typingctx, arr, idx):  # type: ignore[no-untyped-def]
    """``_prefetch(arr, idx)``: hint the processor to fetch ``arr[idx]`` into cache (never faults)."""
    sig = types.void(arr, idx)

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [args[1]], wraparound=False)  # type: ignore[no-untyped-call]
        i8p, i32 = ir.IntType(8).as_pointer(), ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch")  # type: ignore[no-untyped-call]
        # read, high temporal locality, data cache
        builder.call(fn, [builder.bitcast(ptr, i8p), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return sig, codegen


_prefetch: Any = intrinsic(_prefetch_typer)  # called from compiled code as _prefetch(arr, idx)


# How many buckets beyond the one being drained a label may lie and still be filed early (see
# router.one_in_slots). The queue is circular, so every label it holds must stay within its window: a
# router adds this many buckets to the ones its longest edge needs, and a longer chain goes on
# through the ordinary buckets.
WALK_AHEAD = 32


@njit(cache=True, inline="always")
def _q_push_here(v, s, bq, bc):  # type: ignore[no-untyped-def]
    """File node v at the end of bucket s (the one being drained); False when it is full."""
    c = bc[s]
    if c >= bq.shape[1]:
        return False
    bq[s, c] = v
    bc[s] = c + 1
    return True


@njit(cache=True, inline="always")
def _bucket(d, inv):  # type: ignore[no-untyped-def]
    """Bucket number of label ``d`` (``inv`` = 1 / delta).

    A multiplication, not a division: a division and the modulo that followed it cost a third of
    a full Chicago search (0.20 -> 0.13 ms). Rounding may put a label that lies exactly on a
    bucket boundary one bucket off, which is harmless: the function is monotone in ``d``, which
    is all the queue's order needs, and every bound derived from buckets keeps a 1e-12 margin.
    """
    return np.int64(d * inv)


@njit(cache=True, inline="always")
def _q_push(v, d, inv, mask, bq, bc):  # type: ignore[no-untyped-def]  # noqa: PLR0917
    """File node v under the bucket of label d; False when that bucket is full.

    ``mask`` = number of buckets - 1 (a power of two, see :func:`bucket_count`).
    """
    return _q_push_here(v, _bucket(d, inv) & mask, bq, bc)


def bucket_count(max_w: float, delta: float, walk: bool) -> int:
    """Buckets a circular queue needs: every label it holds lies within the longest edge (plus
    ``WALK_AHEAD`` buckets when one-in nodes are filed early) of the bucket being drained.

    Rounded up to a power of two, so that the slot of bucket b is ``b & (count - 1)``.
    """
    need = int(max_w / delta) + 3 + (WALK_AHEAD if walk else 0)
    return 1 << (need - 1).bit_length()


def _make_search_targets(walk: bool, prefetch: bool, every: bool) -> Any:
    """The target search compiled for one setting of its three switches.

    ``walk``: take one-in nodes early (see :func:`~xunfang.network.router.one_in_slots`);
    ``prefetch``: prefetch while a bucket is drained (pays only for graphs that do not fit in
    cache); ``every``: all targets are wanted (``k`` at least their number), so they are sorted
    once at the end instead of kept in a heap. They are compile-time constants, not arguments:
    as run-time flags, even switched off, their branches made the synthetic city's searches
    15-30 % slower.
    """

    @njit(cache=True, nogil=True)
    def search(  # type: ignore[no-untyped-def]  # noqa: PLR0917
        indptr, adj, w, one_in, eid, clen, delta, nb, source, tnode, toff, k, cutoff, want_pred,
        dist, met, pred, state, bq, bc, thead, tnext, blist, hk, hi, out_idx, out_tot, out_met,
    ):  # fmt: skip
        """Single-source search that stops once the ``k`` best targets are final.

        Targets are nodes with start-up costs: target ``u`` sits at node ``tnode[u]`` and its total is
        ``dist[tnode[u]] + toff[u]`` (several targets may share a node). Run on the reversed graph from
        an incident this ranks units (``toff`` = the units' off-road legs); run forwards from a source
        it gives one row of a travel-time matrix. Targets are reported in order of (total, index) in
        ``out_idx``/``out_tot``/``out_met``; ``out_met`` is the road length of the path found, carried
        along with the label (``clen`` is the edge length per CSR slot), so that no scan has to look
        up its predecessor edge. ``pred`` (edge ids) is written only when ``want_pred`` is set.
        Returns how many were reported (fewer than ``k`` only when some targets are beyond
        ``cutoff``), or -1 when a bucket of ``bq`` is full (the caller grows it and searches again).

        ``state`` is the only per-node array that must be clean between searches (bit 0 = queued,
        bit 1 = scanned, bit 2 = a target stands here; a node's ``dist``/``met``/``pred`` are
        meaningful only once it was seen), so resetting costs one byte per node. Queue entries are
        never removed: an improved node is filed again and the stale entry is skipped when met.

        The search stops at the end of the first bucket after which the k-th best total is below
        every label still queued: no unfinished target can then beat it.
        """
        state[:] = 0
        bc[:] = 0
        inv = 1.0 / delta
        mask = nb - 1
        n_t = tnode.size
        for u in range(n_t - 1, -1, -1):
            thead[tnode[u]] = -1
        for u in range(n_t - 1, -1, -1):
            v = tnode[u]
            tnext[u] = thead[v]
            thead[v] = u
            state[v] = 4
        n_out = 0
        hsize = 0
        dist[source] = 0.0
        met[source] = 0.0
        if want_pred:
            pred[source] = -1
        state[source] |= 1
        _q_push(source, 0.0, inv, mask, bq, bc)
        qcount = 1
        cur = np.int64(0)
        want = min(k, n_t)
        # Ranking every target needs no running order: each total is kept per target (in hk, by
        # target index) and one stable sort at the end orders them by (total, index). The heap costs
        # a third of a full Chicago ranking; the sort a tenth.
        if every:  # the caller asks for all targets (k >= their number)
            hk[:n_t] = INF
        found = 0
        while qcount > 0 and n_out < want and found < n_t:
            s = cur & mask
            while bc[s] == 0:
                cur += 1
                s = cur & mask
            walk_lim = cur + 1 + WALK_AHEAD
            n_b = 0
            i = 0
            while i < bc[s]:
                v = bq[s, i]
                if prefetch and i + _PF_NODE < bc[s]:
                    ahead = bq[s, i + _PF_NODE]
                    _prefetch(state, ahead)
                    _prefetch(dist, ahead)
                    _prefetch(met, ahead)
                    _prefetch(indptr, ahead)
                if prefetch and i + _PF_EDGE < bc[s]:
                    a = bq[s, i + _PF_EDGE]
                    for j in (indptr[a], max(indptr[a + 1] - 1, 0)):  # first and last slot: the row's lines
                        _prefetch(adj, j)
                        _prefetch(w, j)
                        _prefetch(clen, j)
                i += 1
                sv = state[v]
                if sv & 1 == 0:
                    continue
                qcount -= 1
                if sv & 6 == 4:
                    blist[n_b] = v
                    n_b += 1
                state[v] = (sv & 6) | 2
                dv = dist[v]
                mv = met[v]
                for j in range(indptr[v], indptr[v + 1]):
                    x = adj[j]
                    nd = dv + w[j]
                    jj = j  # the slot x is reached through
                    mx = mv  # road length to the slot's tail
                    while nd <= cutoff:
                        sx = state[x]
                        if sx & 3 != 0 and nd >= dist[x]:
                            break
                        dist[x] = nd
                        mx += clen[jj]
                        met[x] = mx
                        if want_pred:
                            pred[x] = eid[jj]
                        if walk and one_in[jj] and _bucket(nd, inv) < walk_lim:
                            if indptr[x + 1] - indptr[x] == 1:  # a shape point: scanned here and now
                                if sx & 6 == 4:
                                    blist[n_b] = x
                                    n_b += 1
                                state[x] = sx | 2
                                jj = indptr[x]
                                x = adj[jj]
                                nd += w[jj]
                                continue
                            if not _q_push_here(x, s, bq, bc):
                                return -1
                        elif not _q_push(x, nd, inv, mask, bq, bc):
                            return -1
                        if sx & 1 == 0:
                            state[x] = sx | 1
                            qcount += 1
                        break
            bc[s] = 0
            for i in range(n_b):
                v = blist[i]
                u = thead[v]
                while u >= 0:
                    if every:
                        hk[u] = dist[v] + toff[u]
                        found += 1
                    else:
                        hsize = heap_push(hk, hi, hsize, dist[v] + toff[u], u)
                    u = tnext[u]
            if every:
                cur += 1
                continue
            bound = (cur + 1) * delta * (1.0 - 1e-12)
            while hsize > 0 and n_out < want and (hk[0] < bound or qcount == 0):
                u = hi[0]
                out_idx[n_out] = u
                out_tot[n_out] = hk[0]
                n_out += 1
                hsize = heap_pop(hk, hi, hsize)
            cur += 1
        if every:
            n_out = order_by_total(hk, n_t, out_idx, out_tot)
        for i in range(n_out):
            out_met[i] = met[tnode[out_idx[i]]]
        return n_out

    return search


_SEARCH_TARGETS: dict[tuple[bool, bool, bool], Any] = {}


def search_targets(walk: bool, prefetch: bool, every: bool) -> Any:
    """The compiled target search for these switches (compiled once per process, cached on disk)."""
    key = (bool(walk), bool(prefetch), bool(every))
    if key not in _SEARCH_TARGETS:
        _SEARCH_TARGETS[key] = _make_search_targets(*key)
    return _SEARCH_TARGETS[key]


def _make_multi_source(walk: bool, prefetch: bool) -> Any:
    """The multi-source search compiled for one setting of its switches (see below).

    ``walk``: a node whose only in-edge is being relaxed and which has a single out-edge (a
    shape point of a drawn road) gets its label at once and the walk goes on along the chain,
    without the queue; ``prefetch`` as in :func:`search_targets`.
    """

    @njit(cache=True, nogil=True)
    def search(  # type: ignore[no-untyped-def]  # noqa: PLR0917
        indptr, adj, w, one_in, delta, nb, cutoff, seed_node, seed_d, seed_own,
        dist, owner, qflag, bq, bc, track, chg, chg_list, n_chg,
    ):  # fmt: skip
        """Multi-source search with per-seed start labels and owners, bounded by ``cutoff``.

        Seeds must be sorted by ``seed_d`` (by bucket is enough); each is injected when the queue
        reaches its bucket, so a unit far off the road (a large start label) costs nothing until
        then. Labels only ever decrease (``dist``/``owner`` are updated in place and may hold
        valid labels from an earlier search: the incremental coverage update relies on that).
        Every node whose label changes is appended once to ``chg_list`` when ``track`` is set
        (``chg`` marks membership; the caller clears it). ``qflag`` must be all zero on entry
        and is again on return.

        Labels are compared as (time, owner) pairs, so a node reached equally fast by two units
        goes to the lower index whatever order the search runs in: a full recompute, the
        seed-by-seed variant (:func:`multi_source_each`) and the incremental update all give
        identical owners.

        With ``walk``, a chain of shape points is labelled straight through (see
        :func:`~xunfang.network.router.one_in_slots`); a unit standing on a shape point is a
        seed of its own and compared as always.

        Returns 0, or ``-1 - i`` when a bucket of ``bq`` is full: the labels set so far are
        valid, the nodes with ``qflag`` set still wait to be scanned, and seeds from ``i`` on
        were not injected; the caller grows ``bq`` and resumes from those.
        """
        n_seed = seed_node.size
        bc[:] = 0
        inv = 1.0 / delta
        mask = nb - 1
        si = 0
        qcount = 0
        cur = np.int64(0)
        while True:
            if qcount == 0:
                if si >= n_seed:
                    break
                cur = max(cur, _bucket(seed_d[si], inv))
            while si < n_seed and _bucket(seed_d[si], inv) <= cur:
                v = seed_node[si]
                d = seed_d[si]
                o = seed_own[si]
                if d <= cutoff and (d < dist[v] or (d == dist[v] and o < owner[v])):
                    if not _q_push(v, d, inv, mask, bq, bc):
                        return -1 - si
                    dist[v] = d
                    owner[v] = o
                    if qflag[v] == 0:
                        qflag[v] = 1
                        qcount += 1
                    if track and chg[v] == 0:
                        chg[v] = 1
                        chg_list[n_chg[0]] = v
                        n_chg[0] += 1
                si += 1
            s = cur & mask
            lim = cur + 1 + WALK_AHEAD
            i = 0
            while i < bc[s]:
                v = bq[s, i]
                if prefetch and i + _PF_NODE < bc[s]:
                    ahead = bq[s, i + _PF_NODE]
                    _prefetch(qflag, ahead)
                    _prefetch(dist, ahead)
                    _prefetch(owner, ahead)
                    _prefetch(indptr, ahead)
                if prefetch and i + _PF_EDGE < bc[s]:
                    a = bq[s, i + _PF_EDGE]
                    for j in (indptr[a], max(indptr[a + 1] - 1, 0)):
                        _prefetch(adj, j)
                        _prefetch(w, j)
                i += 1
                if qflag[v] == 0:
                    continue
                qcount -= 1
                qflag[v] = 0
                dv = dist[v]
                ov = owner[v]
                for j in range(indptr[v], indptr[v + 1]):
                    x = adj[j]
                    nd = dv + w[j]
                    jj = j  # the slot x was reached through
                    while nd <= cutoff and (nd < dist[x] or (nd == dist[x] and ov < owner[x])):
                        dist[x] = nd
                        owner[x] = ov
                        if track and chg[x] == 0:
                            chg[x] = 1
                            chg_list[n_chg[0]] = x
                            n_chg[0] += 1
                        if walk and one_in[jj] and indptr[x + 1] - indptr[x] == 1 and _bucket(nd, inv) < lim:
                            jj = indptr[x]  # on along the chain's one edge
                            x = adj[jj]
                            nd += w[jj]
                            continue
                        if not _q_push(x, nd, inv, mask, bq, bc):
                            qflag[x] = 1  # labelled but not scanned: it waits with the rest
                            qflag[v] = 1  # v was not fully relaxed: it still waits
                            return -1 - si
                        if qflag[x] == 0:
                            qflag[x] = 1
                            qcount += 1
                        break
            bc[s] = 0
            cur += 1
        return 0

    return search


_MULTI_SOURCE: dict[tuple[bool, bool], Any] = {}


def multi_source_kernel(walk: bool, prefetch: bool) -> Any:
    """The compiled multi-source search for these switches (compiled once per process, cached)."""
    key = (bool(walk), bool(prefetch))
    if key not in _MULTI_SOURCE:
        _MULTI_SOURCE[key] = _make_multi_source(*key)
    return _MULTI_SOURCE[key]


# The plain search, called from other compiled code (the per-seed search and the one-unit update)
multi_source = multi_source_kernel(False, True)


@njit(cache=True, nogil=True)
def multi_source_each(  # type: ignore[no-untyped-def]  # noqa: PLR0917
    indptr, adj, w, one_in, delta, nb, cutoff, seed_node, seed_d, seed_own, dist, owner, qflag, bq, bc,
):  # fmt: skip
    """The multi-source search run one seed at a time, each pruned by the labels found so far.

    Same result as :func:`multi_source` (labels are (time, owner) pairs; a seed's search stops
    wherever an earlier seed is already at least as good), but each search stays in one unit's
    neighbourhood, so its nodes stay in cache; one search over a thousand simultaneous
    frontiers instead sweeps the whole graph every bucket and misses the cache on nearly every
    node. Some nodes are scanned more than once (first by a farther unit, then by a nearer one);
    on a city with a thousand units that costs less than the cache misses it saves.
    Returns 0, or ``-1 - i`` (as :func:`multi_source`) when a bucket filled up.
    """
    dummy = np.zeros(1, dtype=np.int8)
    dlist = np.zeros(1, dtype=np.int32)
    dn = np.zeros(1, dtype=np.int64)
    for i in range(seed_node.size):
        rc = multi_source(
            indptr, adj, w, one_in, delta, nb, cutoff, seed_node[i : i + 1], seed_d[i : i + 1],
            seed_own[i : i + 1], dist, owner, qflag, bq, bc, False, dummy, dlist, dn,
        )  # fmt: skip
        if rc < 0:
            return -1 - (i + (-1 - rc))
    return 0


@njit(cache=True, nogil=True)
def path_edges(pred, edge_u, source, target):  # type: ignore[no-untyped-def]
    """Edge ids of the forward path ``source → target`` from a predecessor-edge array."""
    n = 0
    v = target
    while v != source:
        e = pred[v]
        if e < 0:
            return np.empty(0, dtype=np.int64)
        n += 1
        v = edge_u[e]
    out = np.empty(n, dtype=np.int64)
    v = target
    for i in range(n - 1, -1, -1):
        e = pred[v]
        out[i] = e
        v = edge_u[e]
    return out
