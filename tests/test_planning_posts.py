"""Post placement: exact and heuristic models agree with brute force on small instances."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xunfang.core.errors import Infeasible, InvalidInput
from xunfang.planning.posts import MaximalCovering, PMedian, SetCovering


def _brute_mclp(cost: np.ndarray, w: np.ndarray, p: int, r: float) -> float:
    best = 0.0
    for combo in itertools.combinations(range(cost.shape[1]), p):
        best = max(best, float(w @ (cost[:, combo] <= r).any(axis=1)))
    return best


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), p=st.integers(1, 3))
def test_mclp_exact_matches_brute_force(seed: int, p: int) -> None:
    rng = np.random.default_rng(seed)
    cost = rng.uniform(0, 10, size=(12, 6))
    w = rng.integers(0, 5, size=12).astype(float)
    model = MaximalCovering.from_cost_matrix(cost, w, p, 4.0).solve(time_limit_s=10)
    assert model.covered_weight == pytest.approx(_brute_mclp(cost, w, p, 4.0))
    assert model.selected.size == p
    assert model.gap <= 1e-6


def test_mclp_heuristic_never_beats_the_optimum() -> None:
    rng = np.random.default_rng(3)
    cost = rng.uniform(0, 10, size=(30, 10))
    w = rng.uniform(0, 3, size=30)
    exact = MaximalCovering.from_cost_matrix(cost, w, 3, 3.0).solve()
    heur = MaximalCovering.from_cost_matrix(cost, w, 3, 3.0).solve(method="heuristic")
    assert heur.covered_weight <= exact.covered_weight + 1e-9
    assert 0 <= heur.covered_share <= 1


def test_more_posts_than_candidates_is_infeasible() -> None:
    with pytest.raises(Infeasible, match="cannot place 5 posts among only 3"):
        MaximalCovering.from_cost_matrix(np.zeros((4, 3)), np.ones(4), 5, 1.0)
    with pytest.raises(InvalidInput, match="at least 1"):
        MaximalCovering.from_cost_matrix(np.zeros((4, 3)), np.ones(4), 0, 1.0)
    with pytest.raises(InvalidInput, match="weights"):
        MaximalCovering.from_cost_matrix(np.zeros((4, 3)), -np.ones(4), 1, 1.0)


def test_pmedian_matches_brute_force() -> None:
    rng = np.random.default_rng(7)
    cost = rng.uniform(1, 10, size=(10, 6))
    w = rng.uniform(0, 2, size=10)
    best = min(float(w @ cost[:, list(c)].min(axis=1)) for c in itertools.combinations(range(6), 2))
    model = PMedian.from_cost_matrix(cost, w, 2).solve()
    assert model.result.objective == pytest.approx(best)
    heur = PMedian.from_cost_matrix(cost, w, 2).solve(method="heuristic")
    assert heur.result.objective >= best - 1e-9


def test_set_covering_is_minimal_and_reports_uncoverable_demand() -> None:
    cost = np.array([[1, 9, 9], [9, 1, 9], [1, 1, 9], [9, 9, 1]], dtype=float)
    model = SetCovering.from_cost_matrix(cost, 2.0).solve()
    assert sorted(model.selected.tolist()) == [0, 1, 2]
    bad = np.array([[9.0, 9.0], [1.0, 9.0]])
    with pytest.raises(Infeasible, match="1 demand point"):
        SetCovering.from_cost_matrix(bad, 2.0)


def test_loose_tolerance_stops_at_the_lp_bound_with_a_proven_gap() -> None:
    rng = np.random.default_rng(11)
    cost = rng.uniform(0, 10, size=(60, 25))
    w = rng.uniform(0, 3, size=60)
    loose = MaximalCovering.from_cost_matrix(cost, w, 4, 3.0).solve(mip_gap=0.5)
    exact = MaximalCovering.from_cost_matrix(cost, w, 4, 3.0).solve()
    assert loose.gap <= 0.5
    assert loose.result.bound >= exact.covered_weight - 1e-6  # the LP bound is a true upper bound
    assert loose.covered_weight <= exact.covered_weight + 1e-9
