"""The city simulator on real Chicago roads and records: determinism, plan effects, validation."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from xunfang.cli import app
from xunfang.core.errors import CorruptData, InvalidInput
from xunfang.forces.types import ForceType
from xunfang.simulation import runner
from xunfang.simulation.city import CitySimulator
from xunfang.simulation.compare import paired_gain
from xunfang.simulation.scenario import DayIncidents, Plan
from xunfang.simulation.validate import hypercube_check

DAY = date(2019, 7, 4)


@pytest.fixture(scope="module")
def chicago(data_dir: Path) -> tuple:  # type: ignore[type-arg]
    return runner.city("chicago")


def test_real_day_is_the_history_of_that_day(chicago: tuple) -> None:  # type: ignore[type-arg]
    _, history = chicago
    day = DayIncidents.real(history, DAY)
    t = history["time"]
    assert len(day) == int(((t >= "2019-07-04") & (t < "2019-07-05")).sum()) > 0
    assert not day.simulated.any() and np.all(np.diff(day.t_s) >= 0)


def test_same_seed_same_run_and_every_incident_served(chicago: tuple) -> None:  # type: ignore[type-arg]
    engine, history = chicago
    lon, lat = runner.stations("chicago")
    sim = CitySimulator(engine, Plan.at_points("st", lon, lat, 40))
    day = DayIncidents.sampled(history.tail(20000), DAY, 600, seed=3)
    a, b = sim.run(day, seed=5), sim.run(day, seed=5)
    assert np.array_equal(a.response_s, b.response_s, equal_nan=True)
    assert np.array_equal(a.unit_index, b.unit_index)
    served = ~np.isnan(a.response_s)
    assert served.sum() == len(day) - a.outside
    assert (a.response_s[served] >= a.travel_s[served]).all()
    assert (a.utilisation <= 1.0 + 1e-9).all()


def test_more_units_never_respond_slower_on_average(chicago: tuple) -> None:  # type: ignore[type-arg]
    engine, history = chicago
    lon, lat = runner.stations("chicago")
    day = DayIncidents.sampled(history.tail(20000), DAY, 800, seed=1)
    few = CitySimulator(engine, Plan.at_points("few", lon, lat, 23)).run(day, seed=1)
    many = CitySimulator(engine, Plan.at_points("many", lon, lat, 230)).run(day, seed=1)
    assert np.nanmean(many.response_s) < np.nanmean(few.response_s)
    assert few.wait_s[~np.isnan(few.wait_s)].max() > 0  # 23 units queue calls at that volume


def test_volunteers_alone_never_take_criminal_incidents(chicago: tuple) -> None:  # type: ignore[type-arg]
    engine, history = chicago
    lon, lat = runner.stations("chicago")
    plan = Plan(
        "mixed", ["P0", "V0"], [ForceType.PATROL_POLICE, ForceType.VOLUNTEER_POLICE], lon[:2], lat[:2]
    )
    res = CitySimulator(engine, plan).run(DayIncidents.real(history, DAY), seed=1)
    assert set(res.unit_index[res.unit_index >= 0].tolist()) == {0}  # every record is an assault


def test_simulator_agrees_with_the_hypercube_model(chicago: tuple) -> None:  # type: ignore[type-arg]
    engine, history = chicago
    check = hypercube_check(engine.graph, history, district="12", units=6, calls=8000)
    assert check.max_util_diff <= 0.05
    assert abs(sum(check.sim_utilisation) - sum(check.model_utilisation)) < 0.3


def test_paired_gain_interval() -> None:
    g = paired_gain([0.1, 0.2, 0.15], [0.3, 0.4, 0.35])
    assert g["gain"] == pytest.approx(0.2) and g["ci_low"] == pytest.approx(0.2)
    with pytest.raises(InvalidInput, match="two days"):
        paired_gain([0.1], [0.2])


def test_bad_plans_and_dates_are_refused(tmp_path: Path, chicago: tuple) -> None:  # type: ignore[type-arg]
    _, history = chicago
    with pytest.raises(InvalidInput, match="no units"):
        Plan("empty", [], [], np.array([]), np.array([]))
    bad = tmp_path / "p.json"
    bad.write_text(json.dumps({"units": [{"id": "a", "force_type": "ninja", "lon": 1, "lat": 2}]}))
    with pytest.raises(CorruptData, match="unknown force type"):
        Plan.read(bad)
    bad.write_text("{not json")
    with pytest.raises(CorruptData):
        Plan.read(bad)
    with pytest.raises(InvalidInput, match="outside the incident history"):
        DayIncidents.real(history, date(2030, 1, 1))
    result = CliRunner().invoke(app, ["simulate", "--plan", "stations:0"])
    assert result.exit_code != 0 and "zero units" in str(result.exception)


def test_plan_json_round_trip() -> None:
    plan = Plan.at_points("p", np.array([-87.6, -87.7]), np.array([41.8, 41.9]), 3)
    again = Plan.from_json(plan.to_json())
    assert again.unit_ids == plan.unit_ids and np.allclose(again.lon, plan.lon)


def test_simulate_cli_json(chicago: tuple) -> None:  # type: ignore[type-arg]
    result = CliRunner().invoke(
        app, ["simulate", "--plan", "stations:50", "--date", "2019-07-04", "--replications", "2", "--json"]
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["units"] == 50 and out["replications"] == 2
    assert 0.0 <= out["share_within"]["3min"]["mean"] <= out["share_within"]["5min"]["mean"] <= 1.0
    assert len(out["coverage"]["demand_3min_by_hour"]) == 24
    assert 0.0 < out["coverage"]["road_3min"]["mean"] < out["coverage"]["demand_3min"]["mean"] <= 1.0


def test_route_plan_follows_duty_modes_from_the_planning_package(chicago: tuple) -> None:  # type: ignore[type-arg]
    plan = runner.resolve_plan("routes:12", "chicago", DAY)
    assert len(plan) == 12 and plan.routes is not None and plan.patrol_hours is not None
    routed = [r for r in plan.routes if r is not None]
    assert routed and all(r.lon.size >= 1 for r in routed)
    # guard at each zone's peak hours, patrol off-peak: nobody patrols all day, everybody some hours
    hours = plan.patrol_hours[[r is not None for r in plan.routes]].sum(axis=1)
    assert (hours > 0).all() and (hours < 24).all()
    again = runner.resolve_plan("routes:12", "chicago", DAY)
    assert again.to_json() == plan.to_json()  # no timed search: the same plan every time


def test_staffing_plan_follows_the_demand_with_equal_unit_hours(chicago: tuple) -> None:  # type: ignore[type-arg]
    plan = runner.resolve_plan("staffing:40", "chicago", DAY)
    assert plan.shift is not None
    assert len(plan) == 120  # 40 units' hours as 8-hour shifts
    starts, counts = np.unique(plan.shift[:, 0], return_counts=True)
    assert starts.tolist() == [0, 480, 960]
    assert counts[2] > counts[0]  # more officers in the evening shift, when assaults peak
    engine, history = chicago
    res = CitySimulator(engine, plan).run(DayIncidents.real(history, DAY), seed=1)
    served = res.unit_index[res.unit_index >= 0]
    hour = (DayIncidents.real(history, DAY).t_s[res.unit_index >= 0] // 3600).astype(int)
    shift_of = plan.shift[served, 0] // 480
    assert (shift_of == hour // 8).all()  # only units on shift were dispatched


def test_staffing_with_too_few_units_says_why() -> None:
    result = CliRunner().invoke(app, ["simulate", "--plan", "staffing:5", "--replications", "1"])
    assert result.exit_code != 0 and "staffing:5" in str(result.exception)


def test_bad_plan_specs_and_files_fail_with_one_line(tmp_path: Path, data_dir: Path) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"name": "x", "units": [{"id": "U1", "post": "P7"}]}))
    for args, words in (
        (["simulate", "--plan", str(plan)], "unknown post 'P7'"),
        (["simulate", "--plan", "patrols:5"], "unknown plan kind 'patrols'"),
        (["simulate", "--date", "2031-01-01"], "outside the incident history"),
        (["simulate", "compare", "stations:5", "stations:6", "--days", "1"], "at least two days"),
    ):
        result = CliRunner().invoke(app, args)
        assert result.exit_code != 0 and words in str(result.exception), (args, result.output)


def test_compare_cli_with_routes_staffing_coverage_and_charts(chicago: tuple, tmp_path: Path) -> None:  # type: ignore[type-arg]
    plans = ["stations:40", "optimised:40", "routes:40", "staffing:40"]
    charts = str(tmp_path / "c")
    args = ["simulate", "compare", *plans, "--date", "2019-07-01", "--days", "2", "--json"]
    args += ["--charts", charts]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert list(out["plans"]) == ["stations:40", "optimised:40", "routes:40", "staffing:40"]
    for name, entry in out["plans"].items():
        cov = entry["coverage"]
        assert len(cov["road_3min_by_hour"]) == 24 and len(cov["demand_3min_by_hour"]) == 24
        assert 0.0 <= cov["road_3min"]["mean"] <= 1.0
        ci = entry["share_ci"]["3min"]
        assert ci["ci_low"] <= ci["mean"] <= ci["ci_high"]
        if name != "stations:40":
            assert {"1min", "3min", "5min", "coverage_road_3min", "coverage_demand_3min"} <= set(
                entry["gain_vs_first"]
            )
    # posts placed to cover incidents cover more of them than the stations do, every hour
    opt, st = out["plans"]["optimised:40"]["coverage"], out["plans"]["stations:40"]["coverage"]
    assert all(a > b for a, b in zip(opt["demand_3min_by_hour"], st["demand_3min_by_hour"], strict=True))
    assert sorted(Path(p).name for p in out["charts"]) == ["coverage_by_hour.svg", "response_times.svg"]
    assert all(Path(p).stat().st_size > 1000 for p in out["charts"])
