from __future__ import annotations

import numpy as np
import pytest

from xunfang.core.errors import InvalidInput
from xunfang.simulation.engine import EventQueue
from xunfang.simulation.hypercube import approximate_hypercube, correction_q, erlang_c
from xunfang.simulation.queue_model import run_engine, run_simpy


def test_simultaneous_events_run_by_priority_then_sequence() -> None:
    q = EventQueue()
    seen: list[tuple[float, int]] = []
    q.schedule(5.0, 0, 1)
    q.schedule(5.0, 0, 2, priority=0)
    q.schedule(5.0, 0, 3)
    q.schedule(1.0, 0, 4)
    q.run([lambda t, a: seen.append((t, a))])
    assert seen == [(1.0, 4), (5.0, 2), (5.0, 1), (5.0, 3)]


def test_cannot_schedule_into_the_past() -> None:
    q = EventQueue()
    q.schedule(2.0, 0)
    q.run([lambda t, a: None])
    with pytest.raises(ValueError, match="past"):
        q.schedule(1.0, 0)


def test_run_until_stops_and_resumes() -> None:
    q = EventQueue()
    for t in (1.0, 2.0, 3.0):
        q.schedule(t, 0)
    assert q.run([lambda t, a: None], until=2.0) == 2
    assert q.now == 2.0 and len(q) == 1
    assert q.run([lambda t, a: None]) == 1


def test_queue_model_matches_simpy_exactly() -> None:
    ours = run_engine(n_calls=3000, units=5, rate_per_s=1 / 60, mean_service_s=250, seed=3)
    theirs = run_simpy(n_calls=3000, units=5, rate_per_s=1 / 60, mean_service_s=250, seed=3)
    assert ours.events == 6000
    assert ours.mean_wait_s == pytest.approx(theirs.mean_wait_s, rel=1e-12)
    assert ours == run_engine(n_calls=3000, units=5, rate_per_s=1 / 60, mean_service_s=250, seed=3)


def test_queue_model_mean_wait_matches_erlang_c() -> None:
    n, lam, mean_s = 4, 1 / 100, 300.0
    rho = lam * mean_s / n
    theory = erlang_c(n, rho) * mean_s / (n * (1 - rho))
    sim = run_engine(n_calls=200_000, units=n, rate_per_s=lam, mean_service_s=mean_s, seed=7)
    assert sim.mean_wait_s == pytest.approx(theory, rel=0.1)


def test_correction_factor_matches_larson_odoni_example() -> None:
    assert [round(correction_q(3, 0.5, j), 5) for j in range(3)] == [1.0, 0.73684, 0.63158]


def test_hypercube_symmetric_case_gives_mmn_utilisation() -> None:
    travel = np.array([[1.0, 2.0], [2.0, 1.0]])
    res = approximate_hypercube(np.array([0.3, 0.3]), 1.0, travel)
    assert np.allclose(res.utilisation, 0.3)
    assert res.dispatch_fraction.sum() == pytest.approx(1.0)


def test_hypercube_refuses_overload() -> None:
    with pytest.raises(InvalidInput, match="utilisation"):
        approximate_hypercube(np.array([3.0]), 1.0, np.array([[1.0], [2.0]]))
