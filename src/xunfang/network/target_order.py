"""Keeping a search's targets in order of (total, index): a small binary heap while the search
runs (the k best), or one sort at the end when every target is wanted (see
:func:`xunfang.network.kernels.search_targets`)."""

from __future__ import annotations

import numpy as np
from numba import njit

INF = np.inf


@njit(cache=True, inline="always")
def _heap_less(ka, ia, kb, ib):  # type: ignore[no-untyped-def]
    return ka < kb or (ka == kb and ia < ib)


@njit(cache=True, nogil=True)
def heap_push(hk, hi, size, key, idx):  # type: ignore[no-untyped-def]
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


@njit(cache=True, nogil=True)
def heap_pop(hk, hi, size):  # type: ignore[no-untyped-def]
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


@njit(cache=True, inline="always")
def _slot(t, lo, width, m):  # type: ignore[no-untyped-def]
    return min(np.int64((t - lo) / width), m)


@njit(cache=True, nogil=True)
def order_by_total(tot, n, out_idx, out_tot):  # type: ignore[no-untyped-def]
    """Indices ``0..n-1`` with a finite ``tot`` ordered by (total, index) into ``out_idx``/``out_tot``.

    A counting sort into about ``n`` slots of equal width, then an insertion sort that only has
    to mend the order inside a slot: a few microseconds for a thousand units, where numba's
    argsort takes about 65.
    """
    lo, hi, m = INF, -INF, 0
    for u in range(n):
        t = tot[u]
        if t < INF:
            lo = min(lo, t)
            hi = max(hi, t)
            m += 1
    if m == 0:
        return 0
    width = max((hi - lo) / m, 1e-300)
    start = np.zeros(m + 2, dtype=np.int64)
    for u in range(n):
        if tot[u] < INF:
            start[_slot(tot[u], lo, width, m) + 1] += 1
    for b in range(1, m + 2):
        start[b] += start[b - 1]
    for u in range(n):  # ascending index: equal totals stay in index order
        if tot[u] < INF:
            b = _slot(tot[u], lo, width, m)
            out_idx[start[b]] = u
            start[b] += 1
    for i in range(1, m):
        u = out_idx[i]
        t = tot[u]
        j = i - 1
        while j >= 0 and tot[out_idx[j]] > t:
            out_idx[j + 1] = out_idx[j]
            j -= 1
        out_idx[j + 1] = u
    for i in range(m):
        out_tot[i] = tot[out_idx[i]]
    return m
