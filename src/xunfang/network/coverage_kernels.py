"""Compiled helpers of the coverage map: edge tiers, covered road length, and the one-unit update.

Coverage keeps, per node, the earliest arrival of any unit (``dist``) and which unit that is
(``owner``). When one unit moves only the nodes it owned can get worse; every other label is a
real path length from another unit and stays an upper bound that is already exact for the units
that did not move. So the update

1. collects the moved unit's nodes by walking its shortest-path tree (forward edges through
   nodes it owns) and clears them,
2. re-seeds each cleared node from its in-neighbours owned by other units, re-injects the start
   of any other unit standing on a cleared node, and adds the moved unit's new position,
3. runs the multi-source search from those seeds only (it may also take nodes from other units
   when the unit moved towards them), and
4. recomputes tiers and covered lengths only for the edges leaving nodes whose label changed.

The result equals a full recompute (the tests check this after sequences of random moves).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from xunfang.network.kernels import multi_source
from xunfang.network.target_order import order_by_total

INF = np.inf


@njit(cache=True, nogil=True)
def collect_owned(indptr, adj, start, unit, owner, dist, out):  # type: ignore[no-untyped-def]  # noqa: PLR0917
    """Clear and list the nodes owned by ``unit`` (its tree hangs from its node ``start``)."""
    if owner[start] != unit:
        return 0
    n = 0
    owner[start] = -2
    out[0] = start
    n = 1
    i = 0
    while i < n:
        v = out[i]
        i += 1
        for j in range(indptr[v], indptr[v + 1]):
            x = adj[j]
            if owner[x] == unit:
                owner[x] = -2
                out[n] = x
                n += 1
    for i in range(n):
        v = out[i]
        owner[v] = -1
        dist[v] = INF
    return n


@njit(cache=True, nogil=True)
def reseed(  # type: ignore[no-untyped-def]  # noqa: PLR0917
    rindptr, radj, rw, cleared, n_cleared, dist, owner, uhead, unext, unit_off, cutoff,
    seed_node, seed_d, seed_own,
):  # fmt: skip
    """Seeds for the cleared nodes: best label from a valid in-neighbour, and units standing there."""
    n = 0
    for i in range(n_cleared):
        x = cleared[i]
        best = INF
        bown = -1
        for j in range(rindptr[x], rindptr[x + 1]):
            u = radj[j]
            ou = owner[u]
            if ou >= 0:
                c = dist[u] + rw[j]
                if c < best or (c == best and ou < bown):
                    best = c
                    bown = ou
        if best <= cutoff:
            seed_node[n] = x
            seed_d[n] = best
            seed_own[n] = bown
            n += 1
        u = uhead[x]
        while u >= 0:
            if unit_off[u] <= cutoff:
                seed_node[n] = x
                seed_d[n] = unit_off[u]
                seed_own[n] = u
                n += 1
            u = unext[u]
    return n


@njit(cache=True, nogil=True)
def link_units(uhead, unext, nodes):  # type: ignore[no-untyped-def]
    """Lists of the units standing on each node, in index order (``uhead`` must be clear there)."""
    for u in range(nodes.size - 1, -1, -1):
        v = nodes[u]
        unext[u] = uhead[v]
        uhead[v] = u


@njit(cache=True, nogil=True)
def seed_order(nodes, d, by_node):  # type: ignore[no-untyped-def]
    """Order in which to inject seeds: by start label, or by node for the per-unit search.

    Ties may come in any order: labels are (time, owner) pairs, so the result does not depend
    on it. Seeds that never start (an infinite label) are left out. By label it is the counting
    sort of the full ranking: numba's argsort took a tenth of a Chicago recompute.
    """
    if by_node:
        return np.argsort(nodes)
    out_idx = np.empty(d.size, dtype=np.int64)
    m = order_by_total(d, d.size, out_idx, np.empty(d.size))
    return out_idx[:m]


@njit(cache=True, nogil=True)
def unit_unlink(uhead, unext, node, unit):  # type: ignore[no-untyped-def]
    """Remove ``unit`` from the list of units standing on ``node``."""
    u = uhead[node]
    prev = -1
    while u >= 0:
        if u == unit:
            if prev < 0:
                uhead[node] = unext[u]
            else:
                unext[prev] = unext[u]
            unext[u] = -1
            return
        prev = u
        u = unext[u]


@njit(cache=True, nogil=True)
def unit_link(uhead, unext, node, unit):  # type: ignore[no-untyped-def]
    """Add ``unit`` to the list of units standing on ``node`` (kept in index order)."""
    u = uhead[node]
    if u < 0 or unit < u:
        unext[unit] = u
        uhead[node] = unit
        return
    while unext[u] >= 0 and unext[u] < unit:
        u = unext[u]
    unext[unit] = unext[u]
    unext[u] = unit


@njit(cache=True, inline="always")
def _seg_share(s0, iw0, s1, iw1, t):  # type: ignore[no-untyped-def]
    """Driven share of a road segment by time ``t``, counting both directions (may exceed 1).

    A direction entered at ``s`` whose edge takes ``1 / iw`` seconds is driven ``(t - s) * iw``
    of the way, clamped to 0..1 (a one-way segment's missing direction has ``s`` = inf). Written
    without branches: whether a segment is in, out or cut by a threshold is unpredictable from
    one segment to the next, and mispredicted branches cost more than the arithmetic; and with
    inverse weights, not divisions (edge statistics of Chicago 0.12 -> 0.09 ms).
    """
    return min(max((t - s0) * iw0, 0.0), 1.0) + min(max((t - s1) * iw1, 0.0), 1.0)


@njit(cache=True, inline="always")
def _tier(reach, th):  # type: ignore[no-untyped-def]
    """Index of the smallest threshold ``reach`` is within (thresholds ascending), -1 if none."""
    c = 0
    for t in range(th.size):
        c += reach <= th[t]
    return th.size - c if c > 0 else -1


@njit(cache=True, nogil=True)
def edge_stats_full(  # type: ignore[no-untyped-def]  # noqa: PLR0917
    indptr, w, seg_u0, seg_iw0, seg_u1, seg_iw1, seg_len, th, node_s, tier, seg_sum, covered
):
    """Tier of every edge, covered share of every road segment and covered metres per threshold.

    A segment's covered share is ``min(1, part(forward) + part(backward))``, stored in
    ``seg_sum[segment, threshold]`` so that the incremental update can subtract it again. The
    edges are walked by tail node (each node's time read once; nodes out of reach skip their
    edges at once) and the segments in segment order with their tails and inverse weights
    alongside (``seg_u1`` = -1 for one-way roads), so both passes read memory nearly in order.
    """
    n_t = th.size
    last = th[n_t - 1]
    for v in range(indptr.size - 1):
        sv = node_s[v]
        if sv >= last:
            for e in range(indptr[v], indptr[v + 1]):
                tier[e] = -1
            continue
        for e in range(indptr[v], indptr[v + 1]):
            tier[e] = _tier(sv + w[e], th)
    covered[:] = 0.0
    for s in range(seg_len.size):
        s0 = node_s[seg_u0[s]]
        u1 = seg_u1[s]
        s1 = node_s[u1] if u1 >= 0 else INF
        if s0 >= last and s1 >= last:
            for t in range(n_t):
                seg_sum[s, t] = 0.0
            continue
        for t in range(n_t):
            acc = _seg_share(s0, seg_iw0[s], s1, seg_iw1[s], th[t])
            seg_sum[s, t] = acc
            covered[t] += min(acc, 1.0) * seg_len[s]


@njit(cache=True, nogil=True)
def edge_stats_update(  # type: ignore[no-untyped-def]  # noqa: PLR0917
    indptr, w, seg, seg_u0, seg_iw0, seg_u1, seg_iw1, seg_len, th, node_s, nodes, n_nodes,
    tier, seg_sum, covered, smark, slist,
):  # fmt: skip
    """Refresh tiers and covered metres for the edges leaving ``nodes[:n_nodes]`` only."""
    n_t = th.size
    n_s = 0
    for i in range(n_nodes):
        v = nodes[i]
        start = node_s[v]
        for e in range(indptr[v], indptr[v + 1]):
            tier[e] = _tier(start + w[e], th)
            s = seg[e]
            if smark[s] == 0:
                smark[s] = 1
                slist[n_s] = s
                n_s += 1
    for i in range(n_s):
        s = slist[i]
        smark[s] = 0
        s0 = node_s[seg_u0[s]]
        u1 = seg_u1[s]
        s1 = node_s[u1] if u1 >= 0 else INF
        for t in range(n_t):
            old = seg_sum[s, t]
            acc = _seg_share(s0, seg_iw0[s], s1, seg_iw1[s], th[t])
            seg_sum[s, t] = acc
            covered[t] += (min(acc, 1.0) - min(old, 1.0)) * seg_len[s]


@njit(cache=True, nogil=True)
def move_unit(  # type: ignore[no-untyped-def]  # noqa: PLR0917
    indptr, adj, w, one_in, rindptr, radj, rw, seg, seg_u0, seg_iw0, seg_u1, seg_iw1, seg_len, th,
    delta, nb, cutoff, unit, new_node, off_s, unit_node, unit_off, uhead, unext, dist, owner, qflag, bq, bc,
    chg, chg_list, n_chg, buf, s_node, s_d, s_own, tier, seg_sum, covered, smark, slist,
):  # fmt: skip
    """Steps 1-4 of the one-unit update in one compiled call (no interpreter between them).

    Returns 0 when done, or, when a bucket filled up during the search, ``-1 - i`` as
    :func:`~xunfang.network.kernels.multi_source` with the seeds (sorted) left in
    ``s_node``/``s_d``/``s_own`` and their count in ``n_chg[1]``: the caller grows the buckets,
    resumes the search and finishes steps 4 itself.
    """
    old = unit_node[unit]
    n_cl = collect_owned(indptr, adj, old, unit, owner, dist, buf)
    unit_unlink(uhead, unext, old, unit)
    unit_node[unit] = new_node
    unit_off[unit] = off_s
    unit_link(uhead, unext, new_node, unit)
    n_s = reseed(
        rindptr, radj, rw, buf, n_cl, dist, owner, uhead, unext, unit_off, cutoff, s_node, s_d, s_own
    )
    s_node[n_s] = new_node
    s_d[n_s] = off_s
    s_own[n_s] = unit
    n_s += 1
    for i in range(n_cl):
        chg[buf[i]] = 1
        chg_list[i] = buf[i]
    n_chg[0] = n_cl
    order = np.argsort(s_d[:n_s], kind="mergesort")
    sn = s_node[:n_s][order]
    sd = s_d[:n_s][order]
    so = s_own[:n_s][order]
    s_node[:n_s] = sn
    s_d[:n_s] = sd
    s_own[:n_s] = so
    n_chg[1] = n_s
    rc = multi_source(
        indptr, adj, w, one_in, delta, nb, cutoff, sn, sd, so, dist, owner, qflag, bq, bc, True, chg,
        chg_list, n_chg,
    )  # fmt: skip
    if rc < 0:
        return rc
    n = n_chg[0]
    edge_stats_update(
        indptr, w, seg, seg_u0, seg_iw0, seg_u1, seg_iw1, seg_len, th, dist, chg_list, n, tier,
        seg_sum, covered, smark, slist,
    )  # fmt: skip
    for i in range(n):
        chg[chg_list[i]] = 0
    return 0
