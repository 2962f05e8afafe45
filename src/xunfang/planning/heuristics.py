"""Greedy construction plus swap (vertex-substitution) local search for the location models.

Used when an instance is too large to prove optimal in the time limit, and as the fall-back
incumbent of the exact solver. Every step is a sparse or dense matrix-vector product over all
candidates at once, so a 10,000-candidate instance takes milliseconds per move.
"""

from __future__ import annotations

import time

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csc_matrix, csr_matrix

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


def greedy_mclp(A: csr_matrix, w: F64, p: int) -> I64:
    """Add, p times, the candidate that covers the most still-uncovered weight."""
    At = csr_matrix(A.T, dtype=np.float64)
    count = np.zeros(A.shape[0])
    chosen: list[int] = []
    taken = np.zeros(A.shape[1], dtype=bool)
    for _ in range(p):
        gain = At @ (w * (count == 0))
        gain[taken] = -1.0
        j = int(np.argmax(gain))
        chosen.append(j)
        taken[j] = True
        count += A[:, [j]].toarray().ravel()
    return np.asarray(chosen, dtype=np.int64)


def swap_mclp(A: csr_matrix, w: F64, selected: I64, *, time_limit_s: float = 10.0) -> I64:
    """Replace one post at a time by the best outside candidate while the covered weight grows.

    Coverage counts are updated from the CSC row lists of the two columns involved, so a move costs
    one sparse product (the gains of all candidates) and no matrix slicing.
    """
    Ac = csc_matrix(A, dtype=np.float64)
    At = csr_matrix(A.T, dtype=np.float64)
    cptr, crow = Ac.indptr, Ac.indices
    sel = [int(j) for j in selected]
    count = np.zeros(A.shape[0])
    for j in sel:
        count[crow[cptr[j] : cptr[j + 1]]] += 1.0
    best = float(w @ (count > 0))
    deadline = time.perf_counter() + time_limit_s
    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        for pos in range(len(sel)):
            old = crow[cptr[sel[pos]] : cptr[sel[pos] + 1]]
            count[old] -= 1.0
            base = float(w @ (count > 0))
            gain = At @ (w * (count == 0))
            gain[sel] = -1.0
            j = int(np.argmax(gain))
            if base + gain[j] > best + 1e-9:
                sel[pos] = j
                count[crow[cptr[j] : cptr[j + 1]]] += 1.0
                best = base + float(gain[j])
                improved = True
            else:
                count[old] += 1.0
    return np.asarray(sel, dtype=np.int64)


def greedy_pmedian(cost: F64, w: F64, p: int) -> I64:
    """Add, p times, the candidate that lowers the weighted assignment cost most."""
    cur = np.full(cost.shape[0], np.inf)
    chosen: list[int] = []
    for _ in range(p):
        new = np.minimum(cur[:, None], cost)
        total = np.where(np.isfinite(new), new, 1e12).T @ w
        total[chosen] = np.inf
        j = int(np.argmin(total))
        chosen.append(j)
        cur = np.minimum(cur, cost[:, j])
    return np.asarray(chosen, dtype=np.int64)


def pmedian_cost(cost: F64, w: F64, sel: I64) -> float:
    best = cost[:, sel].min(axis=1)
    return float(np.where(np.isfinite(best), best, 1e12) @ w)


def swap_pmedian(cost: F64, w: F64, selected: I64, *, time_limit_s: float = 10.0) -> I64:
    """Vertex substitution (Teitz-Bart): swap a median for the outside candidate that helps most."""
    sel = [int(j) for j in selected]
    best = pmedian_cost(cost, w, np.asarray(sel))
    deadline = time.perf_counter() + time_limit_s
    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        for pos in range(len(sel)):
            others = sel[:pos] + sel[pos + 1 :]
            rest = cost[:, others].min(axis=1) if others else np.full(cost.shape[0], np.inf)
            new = np.minimum(rest[:, None], cost)
            total = np.where(np.isfinite(new), new, 1e12).T @ w
            total[sel] = np.inf
            j = int(np.argmin(total))
            if total[j] < best - 1e-9:
                sel[pos], best, improved = j, float(total[j]), True
    return np.asarray(sel, dtype=np.int64)


def greedy_setcover(A: csr_matrix) -> I64:
    """Chvátal's greedy: repeatedly take the candidate covering most uncovered rows."""
    At = csr_matrix(A.T, dtype=np.float64)
    Ac = csc_matrix(A)
    open_rows = np.ones(A.shape[0])
    chosen: list[int] = []
    while open_rows.any():
        gain = At @ open_rows
        j = int(np.argmax(gain))
        if gain[j] <= 0:
            break
        chosen.append(j)
        open_rows[Ac[:, [j]].toarray().ravel() > 0] = 0.0
    return np.asarray(chosen, dtype=np.int64)
