"""Exact reductions of a maximal-covering instance before it is handed to the solver.

Three standard reductions, each of which keeps the optimum of the maximal covering model:

* **row merge** — demand rows with zero weight or that no candidate covers are dropped, and rows
  with the same coverage set are merged into one row carrying the summed weight (any selection
  covers either all of them or none);
* **column dominance** — a candidate whose coverage set is contained in another's can always be
  swapped for that one without losing weight, so it is dropped (equal sets: the lowest index is
  kept, so exactly one survives);
* **merge again** — once dominated columns are gone, rows that differed only in those columns
  have the same coverage set and are merged too. Dropping columns never creates new dominance
  (containment between the kept columns does not change), so the fixpoint is reached here.

On Chicago at 3 minutes (3,540 demand nodes × 9,967 candidates) this leaves a model a small
fraction of the size. Dominance is checked in a compiled kernel: a dominator of column j must
cover j's rarest row, so only that row's columns are tested, each by a merge-walk of two sorted
row lists that stops at the first row missing — far cheaper than the all-pairs overlap product.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit
from numpy.typing import NDArray
from scipy.sparse import csc_matrix, csr_matrix

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@dataclass(frozen=True)
class Reduced:
    """The reduced model: ``A`` (rows × ``cols``), row weights ``w``; ``cols`` index the original columns."""

    A: csr_matrix
    w: F64
    cols: I64


def merge_rows(A: csr_matrix, w: F64) -> tuple[csr_matrix, F64]:
    """Drop demand rows nobody covers or with zero weight; merge rows with identical coverage sets."""
    A = csr_matrix(A, dtype=np.float64)
    keep = (w > 0) & (np.diff(A.indptr) > 0)
    A, w = A[keep], np.asarray(w, dtype=np.float64)[keep]
    if A.shape[0] == 0:
        return A, w
    A.sum_duplicates()
    A.sort_indices()
    keys = np.empty(A.shape[0], dtype=object)
    for i in range(A.shape[0]):
        keys[i] = A.indices[A.indptr[i] : A.indptr[i + 1]].tobytes()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    merged = np.bincount(inverse.ravel(), weights=w, minlength=first.size).astype(np.float64)
    order = np.argsort(first, kind="stable")  # keep the rows in their original order
    return csr_matrix(A[first[order]]), merged[order]


def undominated(A: csr_matrix) -> I64:
    """Columns whose coverage set is not contained in another column's (ties: lowest index kept)."""
    A = csr_matrix(A, dtype=np.float64)
    A.sum_duplicates()
    A.sort_indices()
    C = csc_matrix(A)
    C.sort_indices()
    keep = _undominated_kernel(
        A.indptr.astype(np.int64), A.indices.astype(np.int64),
        C.indptr.astype(np.int64), C.indices.astype(np.int64),
    )  # fmt: skip
    return np.flatnonzero(keep)


def reduce_mclp(A: csr_matrix, w: F64) -> Reduced:
    """Merge rows, drop dominated columns, merge rows again (the fixpoint of the three reductions)."""
    A1, w1 = merge_rows(A, w)
    if A1.shape[0] == 0:
        return Reduced(A1, w1, np.zeros(0, dtype=np.int64))
    cols = undominated(A1)
    A2, w2 = merge_rows(csr_matrix(A1[:, cols]), w1)
    return Reduced(A2, w2, cols.astype(np.int64))


@njit(cache=True)
def _contains(rows_k, rows_j):  # type: ignore[no-untyped-def]
    """Whether the sorted list ``rows_j`` is a subset of the sorted list ``rows_k``."""
    a = 0
    na = rows_k.size
    for r in rows_j:
        while a < na and rows_k[a] < r:
            a += 1
        if a == na or rows_k[a] != r:
            return False
        a += 1
    return True


@njit(cache=True)
def _undominated_kernel(rptr, rcol, cptr, crow):  # type: ignore[no-untyped-def]
    n_cols = cptr.size - 1
    keep = np.zeros(n_cols, dtype=np.bool_)
    for j in range(n_cols):
        lo, hi = cptr[j], cptr[j + 1]
        size_j = hi - lo
        if size_j == 0:
            continue
        rare = crow[lo]
        for t in range(lo + 1, hi):  # the row of j covered by the fewest columns
            r = crow[t]
            if rptr[r + 1] - rptr[r] < rptr[rare + 1] - rptr[rare]:
                rare = r
        dominated = False
        for t in range(rptr[rare], rptr[rare + 1]):
            k = rcol[t]
            if k == j:
                continue
            size_k = cptr[k + 1] - cptr[k]
            if size_k < size_j or (size_k == size_j and k > j):
                continue
            if _contains(crow[cptr[k] : cptr[k + 1]], crow[lo:hi]):
                dominated = True
                break
        keep[j] = not dominated
    return keep
