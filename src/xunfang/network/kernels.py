"""Compiled shortest-path kernels over the CSR arrays of a :class:`~xunfang.network.graph.RoadGraph`.

Every search uses the same priority queue: a circular array of buckets of width ``delta`` seconds
holding doubly linked lists of nodes (a Dial/Δ-stepping queue). A node is filed under bucket
``floor(label / delta)``; the buckets are drained in order and, inside one bucket, a node whose
label improves again is simply re-filed (possibly into the bucket being drained) and scanned once
more. When ``delta`` is at most the smallest edge weight no node is ever scanned twice (Dial's
algorithm); a larger ``delta`` trades a few re-scans for fewer empty buckets. Either way, once a
bucket is empty every label in it is final, so the answers are exact shortest-path times; the
tests check that against networkx and scipy.

The searches never allocate per query: the caller passes work arrays (see
:class:`xunfang.network.router.Workspace`) and every search first restores the entries the
previous one touched, so a top-10 query on a million nodes costs only what it visits.

The same kernels run forwards (``indptr``/``adj`` of the graph) and backwards (the reversed CSR):
the direction is a matter of which arrays the caller passes.
"""

from __future__ import annotations

import numpy as np
from numba import njit

INF = np.inf


@njit(cache=True, inline="always")
def _q_push(v, d, delta, nb, head, nxt, prv, slot):  # type: ignore[no-untyped-def]  # noqa: PLR0917
    b = np.int64(d / delta) % nb
    h = head[b]
    nxt[v] = h
    prv[v] = -1
    if h >= 0:
        prv[h] = v
    head[b] = v
    slot[v] = b


@njit(cache=True, inline="always")
def _q_remove(v, head, nxt, prv, slot):  # type: ignore[no-untyped-def]
    p = prv[v]
    q = nxt[v]
    if p >= 0:
        nxt[p] = q
    else:
        head[slot[v]] = q
    if q >= 0:
        prv[q] = p


@njit(cache=True, inline="always")
def _heap_less(ka, ia, kb, ib):  # type: ignore[no-untyped-def]
    return ka < kb or (ka == kb and ia < ib)


@njit(cache=True)
def _heap_push(hk, hi, size, key, idx):  # type: ignore[no-untyped-def]
    """Push (key, idx) onto the binary min-heap ``hk``/``hi`` of ``size`` items; returns the new size."""
    i = size
    while i > 0:
        p = (i - 1) >> 1
        if _heap_less(key, idx, hk[p], hi[p]):
            hk[i] = hk[p]
            hi[i] = hi[p]
            i = p
        else:
            break
    hk[i] = key
    hi[i] = idx
    return size + 1


@njit(cache=True)
def _heap_pop(hk, hi, size):  # type: ignore[no-untyped-def]
    """Remove the heap's top (read it from ``hk[0]``/``hi[0]`` first); returns the new size."""
    size -= 1
    key = hk[size]
    idx = hi[size]
    i = 0
    while True:
        c = 2 * i + 1
        if c >= size:
            break
        if c + 1 < size and _heap_less(hk[c + 1], hi[c + 1], hk[c], hi[c]):
            c += 1
        if _heap_less(hk[c], hi[c], key, idx):
            hk[i] = hk[c]
            hi[i] = hi[c]
            i = c
        else:
            break
    if size > 0:
        hk[i] = key
        hi[i] = idx
    return size


@njit(cache=True)
def search_targets(  # type: ignore[no-untyped-def]  # noqa: PLR0917
    indptr, adj, w, elen, eid, delta, nb, source, tnode, toff, k, cutoff,
    dist, met, pred, state, nxt, prv, slot, head, touched, ntouched, thead, tnext, tflag, blist,
    hk, hi, out_idx, out_tot, out_met,
):  # fmt: skip
    """Single-source search that stops once the ``k`` best targets are final.

    Targets are nodes with start-up costs: target ``u`` sits at node ``tnode[u]`` and its total is
    ``dist[tnode[u]] + toff[u]`` (several targets may share a node). Run on the reversed graph from
    an incident this ranks units (``toff`` = the units' off-road legs); run forwards from a source
    it gives one row of a travel-time matrix. Targets are reported in order of (total, index) in
    ``out_idx``/``out_tot``/``out_met`` (``out_met``: road metres along the chosen fastest path,
    ties broken towards the shorter road). Returns how many were reported (fewer than ``k`` only
    when some targets are unreachable within ``cutoff``).

    The search stops at the end of the first bucket after which the k-th best total is below
    every label still queued: no unfinished target can then beat it.
    """
    for i in range(ntouched[0]):
        v = touched[i]
        if state[v] == 1:
            head[slot[v]] = -1
        dist[v] = INF
        met[v] = 0.0
        pred[v] = -1
        state[v] = 0
    ntouched[0] = 0
    n_t = tnode.size
    for u in range(n_t - 1, -1, -1):
        thead[tnode[u]] = -1
    for u in range(n_t - 1, -1, -1):
        v = tnode[u]
        tnext[u] = thead[v]
        thead[v] = u
    n_out = 0
    hsize = 0
    dist[source] = 0.0
    state[source] = 1
    touched[0] = source
    ntouched[0] = 1
    _q_push(source, 0.0, delta, nb, head, nxt, prv, slot)
    qcount = 1
    cur = np.int64(0)
    want = min(k, n_t)
    while qcount > 0 and n_out < want:
        s = cur % nb
        while head[s] < 0:
            cur += 1
            s = cur % nb
        n_b = 0
        while head[s] >= 0:
            v = head[s]
            _q_remove(v, head, nxt, prv, slot)
            qcount -= 1
            state[v] = 2
            if thead[v] >= 0 and tflag[v] == 0:
                tflag[v] = 1
                blist[n_b] = v
                n_b += 1
            dv = dist[v]
            mv = met[v]
            for j in range(indptr[v], indptr[v + 1]):
                x = adj[j]
                nd = dv + w[j]
                if nd > cutoff:
                    continue
                nm = mv + elen[j]
                sx = state[x]
                if sx == 0:
                    touched[ntouched[0]] = x
                    ntouched[0] += 1
                elif nd > dist[x] or (nd == dist[x] and nm >= met[x]):
                    continue
                elif sx == 1:
                    _q_remove(x, head, nxt, prv, slot)
                    qcount -= 1
                dist[x] = nd
                met[x] = nm
                pred[x] = eid[j]
                state[x] = 1
                _q_push(x, nd, delta, nb, head, nxt, prv, slot)
                qcount += 1
        for i in range(n_b):
            v = blist[i]
            tflag[v] = 0
            u = thead[v]
            while u >= 0:
                hsize = _heap_push(hk, hi, hsize, dist[v] + toff[u], u)
                u = tnext[u]
        bound = (cur + 1) * delta * (1.0 - 1e-12)
        while hsize > 0 and n_out < want and (hk[0] < bound or qcount == 0):
            u = hi[0]
            out_idx[n_out] = u
            out_tot[n_out] = hk[0]
            out_met[n_out] = met[tnode[u]]
            n_out += 1
            hsize = _heap_pop(hk, hi, hsize)
        cur += 1
    for u in range(n_t):
        thead[tnode[u]] = -1
    return n_out


@njit(cache=True)
def multi_source(  # type: ignore[no-untyped-def]  # noqa: PLR0917
    indptr, adj, w, delta, nb, cutoff, seed_node, seed_d, seed_own,
    dist, owner, qflag, nxt, prv, slot, head, track, chg, chg_list, n_chg,
):  # fmt: skip
    """Multi-source search with per-seed start labels and owners, bounded by ``cutoff``.

    Seeds must be sorted by ``seed_d``; each is injected when the queue reaches its bucket, so a
    unit far off the road (a large start label) costs nothing until then. Labels only ever
    decrease (``dist``/``owner`` are updated in place and may hold valid labels from an earlier
    search: the incremental coverage update relies on that). Every node whose label changes is
    appended once to ``chg_list`` when ``track`` is set (``chg`` marks membership; the caller
    clears it).
    """
    n_seed = seed_node.size
    si = 0
    qcount = 0
    cur = np.int64(0)
    while True:
        if qcount == 0:
            if si >= n_seed:
                break
            cur = max(cur, np.int64(seed_d[si] / delta))
        while si < n_seed and np.int64(seed_d[si] / delta) <= cur:
            v = seed_node[si]
            d = seed_d[si]
            if d <= cutoff and d < dist[v]:
                if qflag[v] == 1:
                    _q_remove(v, head, nxt, prv, slot)
                    qcount -= 1
                dist[v] = d
                owner[v] = seed_own[si]
                qflag[v] = 1
                _q_push(v, d, delta, nb, head, nxt, prv, slot)
                qcount += 1
                if track and chg[v] == 0:
                    chg[v] = 1
                    chg_list[n_chg[0]] = v
                    n_chg[0] += 1
            si += 1
        s = cur % nb
        while head[s] >= 0:
            v = head[s]
            _q_remove(v, head, nxt, prv, slot)
            qcount -= 1
            qflag[v] = 0
            dv = dist[v]
            ov = owner[v]
            for j in range(indptr[v], indptr[v + 1]):
                x = adj[j]
                nd = dv + w[j]
                if nd > cutoff or nd >= dist[x]:
                    continue
                if qflag[x] == 1:
                    _q_remove(x, head, nxt, prv, slot)
                    qcount -= 1
                dist[x] = nd
                owner[x] = ov
                qflag[x] = 1
                _q_push(x, nd, delta, nb, head, nxt, prv, slot)
                qcount += 1
                if track and chg[x] == 0:
                    chg[x] = 1
                    chg_list[n_chg[0]] = x
                    n_chg[0] += 1
        cur += 1


@njit(cache=True)
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
