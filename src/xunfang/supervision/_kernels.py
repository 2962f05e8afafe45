# ruff: noqa: PLR0917
"""Numba kernels of the map matcher: Viterbi over candidate edges and path expansion.

Kept apart from the Python driver so the driver stays readable; every function here works on
plain arrays. Distances between nodes come from a sparse bounded table (sorted keys ``a*n+b``
with the distance and the predecessor of b on the shortest path from a).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

INF = np.inf


@njit(cache=True)
def _lookup(keys, key):  # type: ignore[no-untyped-def]
    i = np.searchsorted(keys, key)
    if i < keys.size and keys[i] == key:
        return i
    return -1


@njit(cache=True)
def _row_lookup(rptr, keys, a, key):  # type: ignore[no-untyped-def]
    """Position of ``key`` among the entries of source ``a`` (a short, cache-local search)."""
    lo, hi = rptr[a], rptr[a + 1]
    i = lo + np.searchsorted(keys[lo:hi], key)
    if i < hi and keys[i] == key:
        return i
    return -1


@njit(cache=True)
def _route_m(p, q, cedge, cfrac, edge_u, edge_v, elen, n, rptr, keys, tdist, back_tol):  # type: ignore[no-untyped-def]
    ep, eq = cedge[p], cedge[q]
    fp, fq = cfrac[p], cfrac[q]
    if ep == eq and (fq - fp) * elen[ep] >= -back_tol:
        return abs(fq - fp) * elen[ep]
    a, b = edge_v[ep], edge_u[eq]
    mid = 0.0
    if a != b:
        k = _row_lookup(rptr, keys, a, np.int64(a) * n + b)
        if k < 0:
            return INF
        mid = tdist[k]
    return (1.0 - fp) * elen[ep] + mid + fq * elen[eq]


@njit(cache=True, parallel=True)
def viterbi(  # type: ignore[no-untyped-def]
    tptr, x, y, t, cptr, cedge, cfrac, cdist, edge_u, edge_v, elen, n, rptr, keys, tdist,
    sigma, beta, vmax, back_tol,
):  # fmt: skip
    """Best candidate per fix (-1: none) and a chain id per fix (its first fix; chains break where no
    route fits). Tracks are independent and run in parallel."""
    nfix = x.size
    chosen = np.full(nfix, -1, np.int64)
    chain = np.full(nfix, -1, np.int64)
    score = np.full(cedge.size, INF)
    back = np.full(cedge.size, -1, np.int64)
    for tr in prange(tptr.size - 1):
        start = tptr[tr]
        prev = -1  # previous fix with candidates in the current chain
        for i in range(tptr[tr], tptr[tr + 1] + 1):
            live = False
            if i < tptr[tr + 1] and cptr[i + 1] > cptr[i]:
                if prev >= 0:
                    straight = np.hypot(x[i] - x[prev], y[i] - y[prev])
                    limit = max(vmax * (t[i] - t[prev]), straight + 100.0)
                    for q in range(cptr[i], cptr[i + 1]):
                        emit = 0.5 * (cdist[q] / sigma) ** 2
                        for p in range(cptr[prev], cptr[prev + 1]):
                            if score[p] == INF:
                                continue
                            r = _route_m(
                                p, q, cedge, cfrac, edge_u, edge_v, elen, n, rptr, keys, tdist, back_tol
                            )
                            if r > limit:
                                continue
                            s = score[p] + abs(r - straight) / beta + emit
                            if s < score[q]:
                                score[q] = s
                                back[q] = p
                        live = live or score[q] < INF
                if prev < 0 or not live:
                    # close the chain that ends at prev, then start a new one at i
                    if prev >= 0:
                        _backtrack(prev, start, cptr, score, back, chosen, chain, start)
                    start = i
                    for q in range(cptr[i], cptr[i + 1]):
                        score[q] = 0.5 * (cdist[q] / sigma) ** 2
                        back[q] = -1
                prev = i
            elif prev >= 0:
                # end of the track, or a fix with no road nearby (off the network): close the chain
                _backtrack(prev, start, cptr, score, back, chosen, chain, start)
                prev = -1
    return chosen, chain


@njit(cache=True)
def _backtrack(last, first, cptr, score, back, chosen, chain, cid):  # type: ignore[no-untyped-def]
    best, q = INF, -1
    for c in range(cptr[last], cptr[last + 1]):
        if score[c] < best:
            best, q = score[c], c
    i = last
    while q >= 0 and i >= first:
        while i >= first and not (cptr[i] <= q < cptr[i + 1]):
            i -= 1
        if i < first:
            break
        chosen[i] = q
        chain[i] = cid
        q = back[q]


@njit(cache=True)
def expand(  # type: ignore[no-untyped-def]
    order, chosen, chain, cedge, cfrac, edge_u, edge_v, elen, n, rptr, keys, tpred, ekeys, eids, back_tol
):  # fmt: skip
    """Travelled pieces (fix, edge, from_frac, to_frac) along roads between consecutive matched fixes.

    ``fix`` is the index of the fix that ends the piece (its unit and time come from there).
    """
    cap = max(16, order.size * 4)
    out_u = np.empty(cap, np.int64)
    out_e = np.empty(cap, np.int64)
    out_a = np.empty(cap)
    out_b = np.empty(cap)
    k = 0
    path = np.empty(4096, np.int64)
    for j in range(1, order.size):
        i0, i1 = order[j - 1], order[j]
        if chain[i0] < 0 or chain[i0] != chain[i1]:
            continue
        p, q = chosen[i0], chosen[i1]
        ep, eq, fp, fq = cedge[p], cedge[q], cfrac[p], cfrac[q]
        if k + 4100 >= cap:
            cap *= 2
            out_u = _grow_i(out_u, cap)
            out_e = _grow_i(out_e, cap)
            out_a = _grow_f(out_a, cap)
            out_b = _grow_f(out_b, cap)
        if ep == eq and (fq - fp) * elen[ep] >= -back_tol:
            out_u[k], out_e[k], out_a[k], out_b[k] = i1, ep, min(fp, fq), max(fp, fq)
            k += 1
            continue
        out_u[k], out_e[k], out_a[k], out_b[k] = i1, ep, fp, 1.0
        k += 1
        a, b = edge_v[ep], edge_u[eq]
        m = 0
        node = b
        while node != a and m < path.size:
            kk = _row_lookup(rptr, keys, a, np.int64(a) * n + node)
            if kk < 0:
                break
            pr = tpred[kk]
            e = eids[_lookup(ekeys, np.int64(pr) * n + node)]
            path[m] = e
            m += 1
            node = pr
        for r in range(m - 1, -1, -1):
            out_u[k], out_e[k], out_a[k], out_b[k] = i1, path[r], 0.0, 1.0
            k += 1
        out_u[k], out_e[k], out_a[k], out_b[k] = i1, eq, 0.0, fq
        k += 1
    return out_u[:k], out_e[:k], out_a[:k], out_b[:k]


@njit(cache=True)
def _grow_i(a, cap):  # type: ignore[no-untyped-def]
    out = np.empty(cap, np.int64)
    out[: a.size] = a
    return out


@njit(cache=True)
def _grow_f(a, cap):  # type: ignore[no-untyped-def]
    out = np.empty(cap)
    out[: a.size] = a
    return out
