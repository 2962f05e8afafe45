"""The demo's replay day and trips: real records kept as they are, simulated calls labelled."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xunfang.core.errors import InvalidInput
from xunfang.demo.movement import trip
from xunfang.demo.replay import day_calls, parse_day


def _history() -> pd.DataFrame:
    times = pd.to_datetime(["2019-07-03 23:59", "2019-07-04 00:10", "2019-07-04 13:30", "2019-07-05 00:00"])
    return pd.DataFrame(
        {
            "time": times,
            "lon": [-87.6, -87.61, -87.62, -87.63],
            "lat": [41.8, 41.81, 41.82, 41.83],
            "category": "aggravated assault",
            "district": ["1", "2", "3", "4"],
        }
    )


def test_day_calls_keep_the_real_records_of_that_day_only() -> None:
    calls = day_calls(_history(), parse_day("2019-07-04"), city="chicago")
    assert [c.at_s for c in calls] == [600.0, 13.5 * 3600]
    assert all(c.real and c.description.startswith("REAL RECORD") for c in calls)
    assert "2019-07-04 13:30" in calls[1].description and (calls[1].lon, calls[1].lat) == (-87.62, 41.82)


def test_simulated_calls_are_labelled_and_drawn_near_history() -> None:
    calls = day_calls(_history(), parse_day("2019-07-04"), city="chicago", extra_per_hour=5, seed=1)
    sim = [c for c in calls if not c.real]
    assert len(calls) - len(sim) == 2 and len(sim) > 50
    assert all(c.description.startswith("SIMULATED") for c in sim)
    assert all(-87.7 < c.lon < -87.5 and 41.7 < c.lat < 41.9 for c in sim)
    assert [c.at_s for c in calls] == sorted(c.at_s for c in calls)


def test_a_day_outside_the_history_names_the_range() -> None:
    with pytest.raises(InvalidInput, match="2019-07-03 to 2019-07-05"):
        day_calls(_history(), parse_day("2020-01-01"), city="chicago")


def test_trip_moves_from_start_to_end_at_constant_speed() -> None:
    t = trip(None, (-87.6, 41.8), (-87.6, 41.81), "car", start_s=100.0)
    assert t.seconds == pytest.approx(float(t.cum_m[-1]) / 8.0)
    assert t.at(100.0) == (-87.6, 41.8)
    _, lat = t.at(100.0 + t.seconds / 2)
    assert lat == pytest.approx(41.805) and not t.done(100.0 + t.seconds / 2)
    assert t.at(1e9) == (-87.6, 41.81) and t.done(1e9)
    assert np.all(np.diff(t.cum_m) >= 0)
