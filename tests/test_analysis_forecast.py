from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis_fixtures import CENTRE, synthetic_history
from xunfang.analysis.backtest import GRID_METHODS
from xunfang.analysis.forecast.naive import Naive
from xunfang.analysis.grid import Events, Grid
from xunfang.analysis.scoring import flagged_hits, min_size_for, poisson_loglik


@pytest.fixture(scope="module")
def events() -> Events:
    h = synthetic_history(days=300)
    grid = Grid.build(h["lon"].to_numpy(), h["lat"].to_numpy(), cell=250.0)
    ev, outside = Events.from_history(h, grid, pd.Timestamp("2020-01-01"))
    assert outside == 0
    return ev


def test_flagged_hits_takes_ties_fractionally() -> None:
    size = np.ones(4)
    actual = np.array([4.0, 0.0, 2.0, 0.0])
    hits, taken = flagged_hits(np.array([1.0, 1.0, 0.0, 0.0]), size, actual, 0.25)
    assert taken == pytest.approx(1.0)
    assert hits == pytest.approx(2.0)  # half of the tie group's 4 hits
    assert min_size_for(4.0, size, actual) == pytest.approx(1.0)
    assert min_size_for(5.0, size, actual) == pytest.approx(1.5)


def test_poisson_loglik_prefers_the_truth() -> None:
    actual = np.array([3.0, 0.0, 1.0])
    assert poisson_loglik(actual, actual) > poisson_loglik(np.array([1.0, 1.0, 1.0]), actual)


def test_upto_hides_the_future(events: Events) -> None:
    past = events.upto(100)
    assert past.size > 0 and int(past.day.max()) < 100


def test_naive_counts_match_bincount(events: Events) -> None:
    m = Naive(days=28, tune=False)
    pred = m.predict(events.upto(200), 200, 7)
    lo, hi = events.between(172, 200)
    expected = np.bincount(events.cell[lo:hi], minlength=events.grid.n_cells) * 7 / 28
    assert np.allclose(pred, expected)


def test_naive_tuning_picks_a_listed_window(events: Events) -> None:
    m = Naive().fit(events.upto(280), 280, 7)
    assert m.params["days"] in (28, 90, 365, "all")


@pytest.mark.parametrize("name", list(GRID_METHODS))
def test_every_grid_method_finds_the_hotspots(events: Events, name: str) -> None:
    grid = events.grid
    method = GRID_METHODS[name]()
    if name == "sepp":
        method.iterations = 5  # type: ignore[attr-defined]
    method.fit(events.upto(280), 280, 7)
    pred = method.predict(events.upto(280), 280, 7)
    assert pred.shape == (grid.n_cells,)
    assert np.all(pred >= 0) and np.all(pred[~grid.mask] == 0)
    hot = grid.cell_of(np.array([CENTRE[0] - 0.02]), np.array([CENTRE[1] + 0.01]))[0]
    assert pred[hot] >= np.quantile(pred[grid.mask], 0.98)
    if method.intensity:
        # expected counts on the scale of a week of incidents (6 a day)
        assert 20 < pred.sum() < 80


def test_sepp_recovers_no_excitation_on_poisson_data(events: Events) -> None:
    from xunfang.analysis.forecast.sepp import SEPP

    m = SEPP(iterations=15).fit(events.upto(280), 280, 7)
    assert m.params["branching_ratio"] < 0.2


def test_ensemble_fit_predict_never_look_ahead(events: Events) -> None:
    from xunfang.analysis.forecast.ensemble import Ensemble

    grid = events.grid
    m = Ensemble(windows=8, iterations=50).fit(events.upto(250), 250, 7)
    assert m.params["fit_on"] in m.params["training_hit_rate_5"]
    assert m.weights.shape == (len(m._names()),) and np.all(m.weights >= 0)
    # Handing the whole history (incidents after the origin included) changes nothing.
    same = Ensemble(windows=8, iterations=50).fit(events, 250, 7)
    assert np.array_equal(same.weights, m.weights)
    pred = m.predict(events.upto(250), 250, 7)
    assert np.array_equal(m.predict(events, 250, 7), pred)
    assert pred.shape == (grid.n_cells,) and np.all(pred[~grid.mask] == 0)
    # The forecast is expected counts for the window: about a week of incidents (6 a day).
    assert 20 < pred.sum() < 80
