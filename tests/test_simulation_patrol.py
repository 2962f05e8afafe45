"""Patrol loops, duty modes, shifts and coverage over the day, on a small synthetic street grid."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from _grid import grid_graph
from xunfang.core.errors import CorruptData, InvalidInput
from xunfang.forces.types import ForceType
from xunfang.network.engine import NetworkEngine
from xunfang.simulation.charts import write_charts
from xunfang.simulation.city import CitySimulator, SimConfig
from xunfang.simulation.compare import PlanScore, comparison
from xunfang.simulation.plan import Patrol, Plan, parse_shift
from xunfang.simulation.scenario import DayIncidents

K = 10


@pytest.fixture(scope="module")
def engine() -> NetworkEngine:
    return NetworkEngine(grid_graph(K))


def _corner(engine: NetworkEngine, far: bool) -> tuple[float, float]:
    g = engine.graph
    pick = np.argmax(g.node_lon + g.node_lat) if far else np.argmin(g.node_lon + g.node_lat)
    return float(g.node_lon[pick]), float(g.node_lat[pick])


def _day(points: list[tuple[float, float, float]]) -> DayIncidents:
    """Incidents at (seconds, lon, lat), each cleared almost at once."""
    n = len(points)
    return DayIncidents(
        day=date(2000, 1, 1), t_s=np.array([p[0] for p in points]), lon=np.array([p[1] for p in points]),
        lat=np.array([p[2] for p in points]), priority=np.ones(n, np.int8), criminal=np.zeros(n, bool),
        scene_mean_s=np.ones(n), category=np.full(n, "test", dtype=np.str_),
        district=np.full(n, "1", dtype=np.str_), simulated=np.ones(n, bool),
    )  # fmt: skip


def _far_patrol(engine: NetworkEngine, patrol_hours: np.ndarray | None) -> Plan:
    """One unit at the near corner whose route dwells an hour at the far corner."""
    (x0, y0), (x1, y1) = _corner(engine, False), _corner(engine, True)
    route = Patrol("R1", np.array([x1]), np.array([y1]), np.array([3600.0]))
    hours = None if patrol_hours is None else patrol_hours.reshape(1, 24)
    return Plan(
        "far", ["U1"], [ForceType.PATROL_POLICE], np.array([x0]), np.array([y0]),
        patrol_hours=hours, routes=[route],
    )  # fmt: skip


def test_a_patrolling_unit_is_dispatched_from_where_its_loop_took_it(engine: NetworkEngine) -> None:
    far = _corner(engine, True)
    day = _day([(1000.0, *far)])
    routed = CitySimulator(engine, _far_patrol(engine, None)).run(day, seed=1)
    (x0, y0) = _corner(engine, False)
    still = Plan("post", ["U1"], [ForceType.PATROL_POLICE], np.array([x0]), np.array([y0]))
    standing = CitySimulator(engine, still).run(day, seed=1)
    assert standing.travel_s[0] > 200.0  # across the grid from the post
    assert routed.travel_s[0] == pytest.approx(0.0, abs=1e-6)  # dwelling at the far corner


def test_loop_timeline_dwells_and_returns_to_the_post(engine: NetworkEngine) -> None:
    sim = CitySimulator(engine, _far_patrol(engine, None))
    loops = sim.loops
    assert sim.loop_of.tolist() == [0]
    nodes = loops.nodes_of(0)
    far_node = engine.snapper.nearest(*[np.array([c]) for c in _corner(engine, True)])[0][0]
    assert nodes[0] == nodes[-1] == sim.home_nodes[0]
    drive = loops.local_arrival(0, int(np.flatnonzero(nodes == far_node)[0]))
    assert drive > 200.0
    assert loops.period[0] == pytest.approx(2 * drive + 3600.0)  # there, an hour's dwell, back
    nxt, rem, _, _ = loops.at(np.zeros(1, np.int64), np.zeros(1), 1.0)
    assert rem[0] > 0.0  # driving away from the post
    nxt, rem, frac, _ = loops.at(np.zeros(1, np.int64), np.zeros(1), drive + 10.0)
    assert nxt[0] == far_node and rem[0] == 0.0 and frac[0] == 0.0  # dwelling
    nxt, _, _, _ = loops.at(np.zeros(1, np.int64), np.zeros(1), drive + 10.0 + loops.period[0])
    assert nxt[0] == far_node  # periodic


def test_duty_modes_guard_off_the_patrol_hours(engine: NetworkEngine) -> None:
    hours = np.zeros(24, bool)
    hours[1] = True  # patrol 01:00-02:00 only
    far = _corner(engine, True)
    day = _day([(1000.0, *far), (5000.0, *far), (10_000.0, *far)])
    res = CitySimulator(engine, _far_patrol(engine, hours)).run(day, seed=1)
    guard0, patrol1, guard2 = res.travel_s
    assert guard0 > 200.0  # still at the post at 00:16
    assert patrol1 == pytest.approx(0.0, abs=1e-6)  # at the far corner at 01:23
    assert guard2 > 200.0  # drove back to the post after 02:00


def test_units_off_shift_are_not_dispatched(engine: NetworkEngine) -> None:
    x, y = _corner(engine, False)
    plan = Plan(
        "shifts", ["day", "night"], [ForceType.PATROL_POLICE] * 2, np.array([x, x]), np.array([y, y]),
        shift=np.array([[480, 1200], [1200, 480]], np.int16),
    )  # fmt: skip
    far = _corner(engine, True)
    res = CitySimulator(engine, plan).run(_day([(3 * 3600.0, *far), (12 * 3600.0, *far)]), seed=1)
    assert res.unit_index.tolist() == [1, 0]


def test_coverage_over_the_day(engine: NetworkEngine) -> None:
    g = engine.graph
    pick = np.array([0, g.n_nodes // 2, g.n_nodes - 1])
    day = _day([(600.0, float(g.node_lon[5]), float(g.node_lat[5]))])
    one = CitySimulator(engine, Plan("1", ["a"], [ForceType.PATROL_POLICE], g.node_lon[:1], g.node_lat[:1]))
    three = CitySimulator(
        engine, Plan("3", ["a", "b", "c"], [ForceType.PATROL_POLICE] * 3, g.node_lon[pick], g.node_lat[pick])
    )
    a, b = one.run(day, seed=1), three.run(day, seed=1)
    for res in (a, b):
        assert res.coverage_road.shape == (24,) and not np.isnan(res.coverage_road).any()
        assert ((res.coverage_road >= 0) & (res.coverage_road <= 1)).all()
        assert ((res.coverage_demand >= 0) & (res.coverage_demand <= 1)).all()
    assert (b.coverage_road >= a.coverage_road - 1e-12).all()
    assert b.coverage_road.mean() > a.coverage_road.mean()
    off = CitySimulator(engine, one.plan, SimConfig(coverage_step_s=0)).run(day, seed=1)
    assert np.isnan(off.coverage_road).all()


def test_same_seed_same_run_with_patrols(engine: NetworkEngine) -> None:
    hours = np.zeros(24, bool)
    hours[::2] = True
    g = engine.graph
    rng = np.random.default_rng(0)
    times, where = np.sort(rng.uniform(0, 86400, 200)), rng.integers(0, g.n_nodes, 200)
    pts = [(float(t), float(g.node_lon[v]), float(g.node_lat[v])) for t, v in zip(times, where, strict=True)]
    sim = CitySimulator(engine, _far_patrol(engine, hours))
    a, b = sim.run(_day(pts), seed=4), sim.run(_day(pts), seed=4)
    assert np.array_equal(a.response_s, b.response_s, equal_nan=True)
    assert np.array_equal(a.coverage_demand, b.coverage_demand)


# -- plan files ------------------------------------------------------------------------------------
def _plan_json() -> dict:  # type: ignore[type-arg]
    return {
        "name": "m5",
        "posts": [{"id": "P1", "lon": 116.30, "lat": 39.90}],
        "routes": [{"id": "R1", "waypoints": [{"lon": 116.31, "lat": 39.91, "dwell_s": 300}]}],
        "units": [
            {"id": "U1", "post": "P1", "shift": "20:00-06:00", "route": "R1",
             "duty": ["patrol"] * 6 + ["guard"] * 18},
            {"id": "U2", "lon": 116.302, "lat": 39.901, "force_type": "k9_team"},
        ],
    }  # fmt: skip


def test_plan_json_with_posts_routes_shifts_and_duty_round_trips() -> None:
    plan = Plan.from_json(_plan_json())
    assert plan.shift is not None and plan.shift[0].tolist() == [1200, 360]
    assert plan.patrol_hours is not None and plan.patrol_hours[0, :6].all() and not plan.patrol_hours[1].any()
    again = Plan.from_json(json.loads(json.dumps(plan.to_json())))
    assert again.unit_ids == plan.unit_ids and np.array_equal(again.shift, plan.shift)  # type: ignore[arg-type]
    assert np.array_equal(again.patrol_hours, plan.patrol_hours)  # type: ignore[arg-type]
    assert again.routes is not None and again.routes[0] is not None and again.routes[0].dwell_s[0] == 300


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        (lambda d: d["units"][0].update(post="P9"), InvalidInput, "unknown post 'P9'"),
        (lambda d: d["units"][0].update(route="R9"), InvalidInput, "unknown route 'R9'"),
        (lambda d: d["units"][0].update(duty=["patrol"] * 23), InvalidInput, "24 hours"),
        (lambda d: d["units"][1].update(duty=["patrol"] * 24), InvalidInput, "U2 patrols at 00:00"),
        (lambda d: d["units"][0].update(shift="8-16"), InvalidInput, "HH:MM-HH:MM"),
        (lambda d: d["units"][0].update(shift="08:00-25:00"), InvalidInput, "outside"),
        (lambda d: d.update(units=[]), InvalidInput, "no units"),
        (lambda d: d["routes"][0].update(waypoints=[]), InvalidInput, "no waypoints"),
        (lambda d: d["units"][1].pop("lat"), CorruptData, "not a plan"),
    ],
)
def test_bad_plan_files_are_refused_with_the_unit_named(change, error, message) -> None:  # type: ignore[no-untyped-def]
    data = _plan_json()
    change(data)
    with pytest.raises(error, match=message):
        Plan.from_json(data)


def test_parse_shift_wraps_midnight() -> None:
    assert parse_shift("22:00-02:00", where="x") == (1320, 120)
    assert parse_shift("00:00-24:00", where="x") == (0, 1440)


# -- comparison output and charts --------------------------------------------------------------------
def _score(name: str, share: list[float], cover: float) -> PlanScore:
    return PlanScore(
        name, {1: share, 3: share, 5: share}, [100.0] * len(share), units=3,
        response_s=[np.array([30.0, 200.0, np.nan])] * len(share),
        coverage_road=[np.full(24, cover)] * len(share),
        coverage_demand=[np.full(24, cover + 0.1)] * len(share),
    )  # fmt: skip


def test_comparison_reports_intervals_and_paired_gains() -> None:
    out = comparison([_score("a", [0.2, 0.3, 0.25], 0.4), _score("b", [0.3, 0.4, 0.35], 0.5)])
    assert out["a"]["share_ci"]["3min"]["mean"] == pytest.approx(0.25)
    assert out["b"]["gain_vs_first"]["3min"]["gain"] == pytest.approx(0.1)
    assert out["b"]["gain_vs_first"]["coverage_demand_3min"]["gain"] == pytest.approx(0.1)
    assert out["b"]["coverage"]["road_3min_by_hour"] == [0.5] * 24
    assert "gain_vs_first" not in out["a"]


def test_charts_are_deterministic_svg(tmp_path: Path) -> None:
    scores = [_score("stations:3", [0.2, 0.3], 0.4), _score("optimised:3", [0.3, 0.4], 0.6)]
    first = write_charts(scores, tmp_path / "a")
    second = write_charts(scores, tmp_path / "b")
    assert [Path(p).name for p in first] == ["response_times.svg", "coverage_by_hour.svg"]
    for p, q in zip(first, second, strict=True):
        text = Path(p).read_text()
        assert text.startswith("<?xml") and "<svg" in text and "optimised:3" in text
        assert "http" not in text.replace("http://www.w3.org", "").replace("http://purl.org", "").replace(
            "http://creativecommons.org", ""
        ).replace("https://matplotlib.org", "")
        assert Path(p).read_bytes() == Path(q).read_bytes()
    (tmp_path / "file").write_text("x")
    with pytest.raises(InvalidInput, match="not a directory"):
        write_charts(scores, tmp_path / "file")
