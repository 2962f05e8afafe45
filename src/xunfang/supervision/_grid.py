# ruff: noqa: PLR0917
"""Uniform-grid index of road geometry segments, and the exact nearest-point search over it.

Each polyline piece of every edge is filed under every grid cell its bounding box, grown by the
search radius, touches; so the candidates of a fix are found by scanning the one cell it falls in
and projecting the fix onto each piece there: exact distances and positions along the edge.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True)
def build_grid(sx0, sy0, sx1, sy1, x0, y0, cell, nx, ny, pad):  # type: ignore[no-untyped-def]
    """CSR (cell -> segment ids) of segments by the cells their bounding boxes, grown by ``pad``, touch."""
    n = sx0.size
    counts = np.zeros(nx * ny + 1, np.int64)
    for s in range(n):
        i0 = int((min(sx0[s], sx1[s]) - pad - x0) // cell)
        i1 = int((max(sx0[s], sx1[s]) + pad - x0) // cell)
        j0 = int((min(sy0[s], sy1[s]) - pad - y0) // cell)
        j1 = int((max(sy0[s], sy1[s]) + pad - y0) // cell)
        for i in range(max(i0, 0), min(i1, nx - 1) + 1):
            for j in range(max(j0, 0), min(j1, ny - 1) + 1):
                counts[j * nx + i + 1] += 1
    ptr = np.cumsum(counts)
    fill = ptr[:-1].copy()
    items = np.empty(ptr[-1], np.int64)
    for s in range(n):
        i0 = int((min(sx0[s], sx1[s]) - pad - x0) // cell)
        i1 = int((max(sx0[s], sx1[s]) + pad - x0) // cell)
        j0 = int((min(sy0[s], sy1[s]) - pad - y0) // cell)
        j1 = int((max(sy0[s], sy1[s]) + pad - y0) // cell)
        for i in range(max(i0, 0), min(i1, nx - 1) + 1):
            for j in range(max(j0, 0), min(j1, ny - 1) + 1):
                c = j * nx + i
                items[fill[c]] = s
                fill[c] += 1
    return ptr, items


@njit(cache=True, parallel=True)
def query(  # type: ignore[no-untyped-def]
    px, py, ptr, items, sx0, sy0, sx1, sy1, sedge, soff, slen, elen, x0, y0, cell, nx, ny, radius, cap
):  # fmt: skip
    """Per fix up to ``cap`` nearest edges within ``radius``: count, edge, fraction, distance."""
    n = px.size
    cnt = np.zeros(n, np.int64)
    out_e = np.full((n, cap), -1, np.int64)
    out_f = np.zeros((n, cap))
    out_d = np.full((n, cap), np.inf)
    for k in prange(n):
        i = int((px[k] - x0) // cell)
        j = int((py[k] - y0) // cell)
        if not (0 <= i < nx and 0 <= j < ny):
            continue
        c = j * nx + i
        for q in range(ptr[c], ptr[c + 1]):
            s = items[q]
            dx, dy = sx1[s] - sx0[s], sy1[s] - sy0[s]
            L2 = dx * dx + dy * dy
            t = 0.0
            if L2 > 0:
                t = min(1.0, max(0.0, ((px[k] - sx0[s]) * dx + (py[k] - sy0[s]) * dy) / L2))
            ex, ey = sx0[s] + t * dx - px[k], sy0[s] + t * dy - py[k]
            d = np.sqrt(ex * ex + ey * ey)
            if d > radius:
                continue
            e = sedge[s]
            frac = min(1.0, (soff[s] + t * slen[s]) / max(elen[e], 1e-9))
            _insert(k, e, frac, d, cnt, out_e, out_f, out_d, cap)
    return cnt, out_e, out_f, out_d


@njit(cache=True)
def _insert(k, e, frac, d, cnt, out_e, out_f, out_d, cap):  # type: ignore[no-untyped-def]
    for m in range(cnt[k]):
        if out_e[k, m] == e:
            if d < out_d[k, m]:
                out_d[k, m], out_f[k, m] = d, frac
            return
    if cnt[k] < cap:
        m = cnt[k]
        cnt[k] += 1
    else:
        m = 0
        for r in range(1, cap):
            if out_d[k, r] > out_d[k, m]:
                m = r
        if d >= out_d[k, m]:
            return
    out_e[k, m], out_f[k, m], out_d[k, m] = e, frac, d
