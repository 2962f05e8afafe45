"""Exact MCLP reductions and the Lagrangian bound, checked against brute force on small instances."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import csr_matrix

from xunfang.planning import heuristics as hx
from xunfang.planning.lagrange import lagrangian_mclp, lagrangian_value
from xunfang.planning.posts import MaximalCovering
from xunfang.planning.reduce import merge_rows, reduce_mclp, undominated


def _instance(
    seed: int, rows: int = 14, cols: int = 8, density: float = 0.3
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    A = rng.random((rows, cols)) < density
    A[:, rng.integers(cols)] = A[:, rng.integers(cols)]  # duplicate columns (equal sets)
    A[rng.integers(rows)] = A[rng.integers(rows)]  # duplicate rows
    w = rng.integers(0, 5, size=rows).astype(float)
    return A, w


def _best(A: np.ndarray, w: np.ndarray, p: int) -> float:
    p = min(p, A.shape[1])
    return max(float(w @ A[:, list(c)].any(axis=1)) for c in itertools.combinations(range(A.shape[1]), p))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 100_000), p=st.integers(1, 4))
def test_reduced_model_has_the_same_optimum(seed: int, p: int) -> None:
    A, w = _instance(seed)
    red = reduce_mclp(csr_matrix(A), w)
    full = _best(A, w, p)
    if red.cols.size == 0:
        assert full == 0.0
        return
    assert red.A.shape[1] == red.cols.size <= A.shape[1]
    assert _best(red.A.toarray() > 0, red.w, p) == pytest.approx(full)
    # every merged row keeps its weight: what the kept columns can cover is all that can be covered
    assert red.w.sum() == pytest.approx(float(w @ A.any(axis=1)))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 100_000))
def test_undominated_matches_the_definition(seed: int) -> None:
    A, _ = _instance(seed, rows=10, cols=9, density=0.4)
    sets = [frozenset(np.flatnonzero(A[:, j]).tolist()) for j in range(A.shape[1])]
    expect = [
        j
        for j in range(len(sets))
        if sets[j]
        and not any(
            k != j and sets[j] <= sets[k] and (len(sets[k]) > len(sets[j]) or k < j) for k in range(len(sets))
        )
    ]
    assert undominated(csr_matrix(A)).tolist() == expect


def test_merge_rows_sums_weights_of_identical_rows_and_drops_empty_ones() -> None:
    A = csr_matrix(np.array([[1, 0, 1], [0, 0, 0], [1, 0, 1], [0, 1, 0], [0, 1, 0]], dtype=bool))
    B, w = merge_rows(A, np.array([1.0, 5.0, 2.0, 0.0, 4.0]))
    assert B.toarray().tolist() == [[1, 0, 1], [0, 1, 0]]
    assert w.tolist() == [3.0, 4.0]


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 100_000), p=st.integers(1, 3))
def test_lagrangian_values_bound_the_optimum(seed: int, p: int) -> None:
    A, w = _instance(seed)
    if not A.any(axis=1).any():
        return
    full = _best(A, w, p)
    At = csr_matrix(A.T, dtype=float)
    rng = np.random.default_rng(seed)
    for _ in range(5):  # any multipliers in [0, w] give an upper bound
        assert lagrangian_value(At, w, rng.random(w.size) * w, p) >= full - 1e-9
    red = reduce_mclp(csr_matrix(A), w)
    start = hx.greedy_mclp(red.A, red.w, min(p, red.cols.size))
    lag = lagrangian_mclp(red.A, red.w, min(p, red.cols.size), start, gap=0.0, max_iter=200)
    assert lag.bound >= full - 1e-9
    assert lag.objective <= full + 1e-9
    sel = red.cols[lag.selected]
    assert float(w @ A[:, sel].any(axis=1)) == pytest.approx(lag.objective)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 100_000), p=st.integers(1, 4))
def test_solve_at_a_tolerance_proves_its_gap(seed: int, p: int) -> None:
    A, w = _instance(seed, rows=20, cols=9)
    model = MaximalCovering.from_coverage(csr_matrix(A), w, p).solve(mip_gap=0.05)
    full = _best(A, w, p)
    assert model.selected.size == p == np.unique(model.selected).size
    assert model.covered_weight == pytest.approx(float(w @ A[:, model.selected].any(axis=1)))
    assert model.covered_weight <= full + 1e-9 <= model.result.bound + 2e-9
    assert model.gap <= 0.05 + 1e-12


def test_more_posts_than_useful_sites_covers_everything_with_p_distinct_sites() -> None:
    A = np.zeros((4, 6), dtype=bool)
    A[:, 2] = True  # one site covers all demand; the others cover nothing
    model = MaximalCovering.from_coverage(csr_matrix(A), np.ones(4), 3).solve()
    assert model.covered_weight == 4.0 and model.gap == 0.0
    assert 2 in model.selected.tolist() and np.unique(model.selected).size == 3


def test_swap_never_loses_weight() -> None:
    A, w = _instance(5, rows=40, cols=15)
    B = csr_matrix(A)
    for start in ([0, 1, 2], [14, 3, 7]):
        before = float(w @ A[:, start].any(axis=1))
        after = hx.swap_mclp(B, w, np.asarray(start))
        assert float(w @ A[:, after].any(axis=1)) >= before
