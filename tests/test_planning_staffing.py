"""Staffing follows the demand under the force rules; duty modes; the day plan."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from xunfang.core.errors import Infeasible, InvalidInput
from xunfang.planning.duty import day_plan, duty_modes
from xunfang.planning.staffing import ForceRules, apportion, staff


def _demand(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    hours = np.arange(24)
    shape = 1.0 + np.cos((hours - 22) / 24 * 2 * np.pi)  # busiest late evening
    return rng.uniform(0.5, 2.0, (5, 1)) * shape[None, :]


@given(total=st.integers(5, 500), seed=st.integers(0, 1000))
def test_apportion_sums_and_respects_minimum(total: int, seed: int) -> None:
    w = np.random.default_rng(seed).uniform(0, 1, 5)
    out = apportion(total, w, minimum=1)
    assert out.sum() == total and out.min() >= 1


def test_staffing_follows_demand_and_rules() -> None:
    d = _demand()
    rules = ForceRules(headcount={"sworn": 60, "volunteer": 30, "k9": 2})
    units = staff(d, rules)
    sworn, vol, k9 = units["sworn"], units["volunteer"], units["k9"]
    assert (sworn >= 1).all()
    assert sworn[:, 0].sum() + sworn[:, 8].sum() + sworn[:, 16].sum() == 60  # three 8 h shifts
    assert np.all(vol <= sworn * rules.volunteers_per_sworn)  # never without a sworn officer
    assert k9[:, ~rules.night_hours()].sum() == 0 and k9[:, rules.night_hours()].sum() > 0
    busiest = int(np.argmax(d.sum(axis=1)))
    assert sworn[busiest].sum() >= sworn.sum(axis=1).min()


def test_infeasible_requests_say_what_cannot_be_met() -> None:
    with pytest.raises(Infeasible, match="volunteer teams must patrol with a sworn officer"):
        staff(_demand(), ForceRules(headcount={"sworn": 0, "volunteer": 5}))
    with pytest.raises(Infeasible, match="cannot give each of 5 zones"):
        staff(_demand(), ForceRules(headcount={"sworn": 6}))
    with pytest.raises(InvalidInput, match="8 or 12"):
        staff(_demand(), ForceRules(shift_hours=6))


def test_duty_modes_guard_at_peak_and_day_plan_rows() -> None:
    d = _demand()
    modes = duty_modes(d)
    assert (modes[:, 22] == "guard").all() and (modes[:, 10] == "patrol").all()
    rows = day_plan(
        d,
        [f"Z{i}" for i in range(5)],
        ForceRules(headcount={"sworn": 60, "volunteer": 10, "k9": 1}),
        posts={"Z0": [{"node": 1}]},
        lines={"Z0": [{"edge": 2}]},
    )
    assert len(rows) == 24 * 5
    z0 = [r for r in rows if r["zone"] == "Z0"]
    assert z0[22]["mode"] == "guard" and z0[22]["assignments"] == [{"node": 1}]
    assert z0[10]["mode"] == "patrol" and z0[10]["assignments"] == [{"edge": 2}]
    assert z0[23]["night"] and not z0[12]["night"]
