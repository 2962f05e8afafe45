"""Patrol routing: feasible within the shift, at least as good as brute force on tiny cases."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from _grid import grid_graph
from xunfang.core.errors import Infeasible
from xunfang.network.travel import TravelModel
from xunfang.planning.routes import PatrolRouter, Target
from xunfang.planning.targets import line_target


def _router(shift_s: float, dwell_s: float = 300.0) -> PatrolRouter:
    g = grid_graph()
    es = TravelModel().edge_seconds(g, "foot", 12)
    rng = np.random.default_rng(1)
    nodes = rng.choice(g.n_nodes, 6, replace=False)
    targets = [Target(f"P{v}", "point", int(v), int(v), dwell_s, float(rng.uniform(1, 5))) for v in nodes[1:]]
    targets.append(line_target(g, es, "L", [0, 1], 3.0))
    return PatrolRouter(g, es, int(nodes[0]), targets, shift_s)


def _brute(r: PatrolRouter) -> float:
    best = 0.0
    n = len(r.targets)
    for k in range(1, n + 1):
        for combo in itertools.permutations(range(1, n + 1), k):
            if r.duration(list(combo)) <= r.shift_s:
                best = max(best, float(r.prize[list(combo)].sum()))
    return best


@pytest.mark.parametrize("shift_min", [20, 35, 60])
def test_heuristic_matches_brute_force_on_small_cases(shift_min: int) -> None:
    r = _router(shift_min * 60.0)
    route = r.solve(time_limit_s=0.5)
    assert route.seconds <= r.shift_s + 1e-6
    assert route.prize == pytest.approx(_brute(r))
    assert [s["target"] for s in route.stops] == [r.targets[i - 1].id for i in route.order]
    times = [s["arrive_s"] for s in route.stops]
    assert times == sorted(times)
    assert route.edges.size > 0


def test_shift_shorter_than_a_dwell_is_infeasible() -> None:
    with pytest.raises(Infeasible, match="shortest required dwell"):
        _router(shift_s=240.0, dwell_s=300.0)


def test_pyvrp_reference_gives_a_feasible_route() -> None:
    pytest.importorskip("pyvrp")
    r = _router(35 * 60.0)
    ref = r.solve_pyvrp(time_limit_s=1.0)
    assert r.duration(ref.order) <= r.shift_s + len(ref.order) + 1  # PyVRP rounds times up to seconds
    assert ref.prize <= _brute(r) + 1e-9
