"""Lagrangian bound and heuristic for maximal covering (after Galvão & ReVelle, 1996).

Relaxing the linking constraints ``y_i <= sum_j a_ij x_j`` with multipliers ``0 <= lam_i <= w_i``
gives, for *every* such ``lam``, a proven upper bound on the covered weight::

    L(lam) = sum_i (w_i - lam_i) + sum of the p largest values of (A^T lam)_j

(the relaxed problem takes ``y_i = 1`` everywhere and the p columns with the largest multiplier
sum). Its minimum over ``lam`` equals the LP-relaxation bound, so a few hundred subgradient steps
— each one sparse product — prove what the LP would, without building or factorising the LP.
The p columns of each relaxed solution are also a good start for the swap search, which gives the
incumbent. The loop stops as soon as the incumbent is within the requested gap of the bound;
otherwise the caller falls back to the LP and the MIP.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csc_matrix, csr_matrix

from xunfang.planning import heuristics as hx

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@dataclass(frozen=True)
class LagrangianResult:
    bound: float
    selected: I64
    objective: float
    iterations: int


def lagrangian_value(At: csr_matrix, w: F64, lam: F64, p: int) -> float:
    """``L(lam)`` for multipliers clipped to ``[0, w]`` — an upper bound on the optimum, always."""
    lam = np.clip(lam, 0.0, w)
    s = At @ lam
    top = np.partition(s, s.size - p)[s.size - p :] if p < s.size else s
    return float((w - lam).sum() + top.sum())


def lagrangian_mclp(
    A: csr_matrix,
    w: F64,
    p: int,
    incumbent: I64,
    *,
    gap: float,
    max_iter: int = 500,
    time_limit_s: float = 5.0,
    swap_every: int = 50,
    stall: int = 20,
) -> LagrangianResult:
    """Subgradient descent on ``L`` (Polyak steps towards the incumbent, step halved on stalls)."""
    Ac = csc_matrix(A, dtype=np.float64)
    At = csr_matrix(A.T, dtype=np.float64)
    n_cols = A.shape[1]
    sel = np.asarray(incumbent, dtype=np.int64)
    inc = _covered(Ac, w, sel)
    if p >= n_cols:
        everything = float(w.sum())
        return LagrangianResult(everything, np.arange(n_cols, dtype=np.int64), everything, 0)
    deg = np.maximum(np.diff(csr_matrix(A).indptr), 1)
    lam = w / deg
    cptr, crow = Ac.indptr, Ac.indices
    tried: set[bytes] = set()
    best, theta, since = np.inf, 2.0, 0
    total = float(w.sum())  # L(0): covering everything is also a bound
    deadline = time.perf_counter() + time_limit_s
    it = 0
    for it in range(1, max_iter + 1):
        s = At @ lam
        top = np.argpartition(-s, p)[:p]
        value = float((w - lam).sum() + s[top].sum())
        if value < best - 1e-9:
            best, since = value, 0
        else:
            since += 1
            if since >= stall:
                theta, since = theta / 2, 0
        key = np.sort(top).tobytes()
        if it % swap_every == 0 and key not in tried:
            tried.add(key)
            cand = hx.swap_mclp(A, w, top.astype(np.int64), time_limit_s=1.0)
            obj = _covered(Ac, w, cand)
            if obj > inc:
                sel, inc = cand, obj
        bound = min(best, total)
        if bound - inc <= gap * bound or time.perf_counter() > deadline:
            break
        hit = np.concatenate([crow[cptr[j] : cptr[j + 1]] for j in top])
        g = np.bincount(hit, minlength=lam.size) - 1.0  # d L / d lam (y_i = 1 while lam_i < w_i)
        g[lam >= w] = np.maximum(g[lam >= w], 0.0)
        norm = float(g @ g)
        if norm == 0.0:  # the relaxed solution is feasible: L equals its covered weight
            break
        lam = np.clip(lam - theta * (value - inc) / norm * g, 0.0, w)
    return LagrangianResult(min(best, total), sel, inc, it)


def _covered(Ac: csc_matrix, w: F64, sel: I64) -> float:
    return float(w @ (np.asarray(Ac[:, sel].sum(axis=1)).ravel() > 0))
