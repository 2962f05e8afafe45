"""Point visits, line coverage, visible-police rate and compliance on a small synthetic grid."""

from __future__ import annotations

import numpy as np
import pytest

from _grid import grid_graph as _grid
from xunfang.core.errors import InvalidInput
from xunfang.supervision.plan import plan_from_dict
from xunfang.supervision.service import supervise
from xunfang.supervision.tracks import tracks_from_arrays
from xunfang.supervision.visits import point_visits

T0 = 1_714_593_600.0  # 2024-05-01T20:00:00Z


def _standing(unit: str, lon: float, lat: float, start: float, minutes: float, *, every_s: float = 60.0):
    t = start + np.arange(0, minutes * 60 + 1, every_s)
    return [unit] * t.size, t, np.full(t.size, lon), np.full(t.size, lat)


def _cat(*parts):
    return tracks_from_arrays(*(np.concatenate([p[i] for p in parts]) for i in range(4)))


def _plan(**extra):
    raw = {
        "points": [{"id": "P1", "lon": 116.302, "lat": 39.9, "radius_m": 40, "dwell_min": 10,
                    "windows": [[T0, T0 + 3 * 3600]], "required": 2, "units": ["u1"], "zone": "Z1"}],
        "units": {"u1": {"team": "T1", "force": "sworn", "station": "S1", "zone": "Z1", "persons": 2}},
    }  # fmt: skip
    raw.update(extra)
    return plan_from_dict(raw)


def test_two_stays_meet_two_required_visits_and_a_logging_gap_counts_as_presence() -> None:
    g = _grid()
    # visit 1: fixes every minute for 12 min; visit 2: two fixes 15 min apart (logger paused) near P1
    a = _standing("u1", 116.302, 39.9, T0 + 600, 12)
    b = (
        ["u1", "u1"],
        np.array([T0 + 5000, T0 + 5900]),
        np.array([116.3021, 116.3019]),
        np.array([39.9, 39.9001]),
    )
    away = (["u1"], np.array([T0 + 2000]), np.array([116.306]), np.array([39.9]))
    tracks = _cat(a, away, b)
    rows = point_visits(tracks, _plan().points, g.projection)
    assert rows[0]["visits"] == 2
    assert rows[0]["status"] == "ok"


def test_short_stay_is_missed_and_a_stay_after_the_window_is_late() -> None:
    g = _grid()
    short = _standing("u1", 116.302, 39.9, T0 + 600, 5)
    after = _standing("u1", 116.302, 39.9, T0 + 3 * 3600 + 600, 30)
    plan = _plan()
    rows = point_visits(_cat(short), plan.points, g.projection)
    assert rows[0]["status"] == "missed" and rows[0]["visits"] == 0
    single = plan_from_dict({"points": [{**_raw_point(), "required": 1}]})
    rows = point_visits(_cat(short, after), single.points, g.projection)
    assert rows[0]["status"] == "late"


def _raw_point():
    return {"id": "P1", "lon": 116.302, "lat": 39.9, "radius_m": 40, "dwell_min": 10,
            "windows": [[T0, T0 + 3 * 3600]], "units": ["u1"]}  # fmt: skip


def test_a_unit_not_assigned_does_not_count() -> None:
    g = _grid()
    other = _standing("u2", 116.302, 39.9, T0 + 600, 30)
    rows = point_visits(_cat(other), _plan().points, g.projection)
    assert rows[0]["visits"] == 0


def test_line_coverage_counts_length_driven_in_either_direction() -> None:
    g = _grid()
    # the line runs along the bottom street from node (0,0) to (0,4); the unit drives half of it westward
    line = {"id": "L1", "coordinates": [[116.300, 39.9], [116.308, 39.9]], "windows": [[T0, T0 + 3600]],
            "required_share": 0.8, "units": ["u1"], "zone": "Z1"}  # fmt: skip
    lon = np.linspace(116.304, 116.300, 6)
    drive = (["u1"] * 6, T0 + 60 + np.arange(6) * 10.0, lon, np.full(6, 39.9))
    report = supervise(g, _cat(drive), _plan(lines=[line]))
    row = report["lines"][0]
    assert row["share"] == pytest.approx(0.5, abs=0.05)
    assert row["status"] == "partial"
    assert report["compliance"]["unit"]["u1"]["required"] == 2


def test_visible_police_and_patrol_hours_per_force() -> None:
    g = _grid()
    stay = _standing("u1", 116.302, 39.9, T0, 90)
    zone = {"id": "R1", "lon": 116.302, "lat": 39.9, "radius_m": 200, "windows": [[T0, T0 + 3600]],
            "required_min": 120}  # fmt: skip
    report = supervise(g, _cat(stay), _plan(red_zones=[zone]))
    vis = report["visible_police"][0]
    assert vis["presence_min"] == pytest.approx(60.0)
    assert vis["rate"] == pytest.approx(0.5)
    sworn = report["patrol_by_force"]["sworn"]
    assert sworn["hours"] == pytest.approx(1.5)
    assert sworn["person_times"] == 2


def test_bad_plan_entries_are_named() -> None:
    with pytest.raises(InvalidInput, match=r"points\[0\].windows\[0\]: end is not after start"):
        plan_from_dict({"points": [{"id": "P", "lon": 1, "lat": 2, "windows": [[T0, T0 - 1]]}]})
    with pytest.raises(InvalidInput, match="at least one window"):
        plan_from_dict({"lines": [{"id": "L", "coordinates": [[1, 2], [3, 4]]}]})
    # found by the parser fuzzer (rel_fuzz_parsers, plan_geojson): a one-number position was an IndexError
    for bad in ([[1], [3, 4]], [[1, 2], 5]):
        with pytest.raises(InvalidInput, match=r"lines\[0\].coordinates\[\d\]: expected a \[lon, lat\] pair"):
            plan_from_dict({"lines": [{"id": "L", "coordinates": bad, "windows": [[T0, T0 + 60]]}]})


def test_plan_from_geojson(tmp_path) -> None:
    import json

    from xunfang.supervision.plan import read_plan

    w = [[T0, T0 + 3600]]
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [116.3, 39.9]},
         "properties": {"id": "P", "windows": w, "dwell_min": 12}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [116.3, 39.9]},
         "properties": {"id": "R", "kind": "red_zone", "windows": w, "radius_m": 300}},
        {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[116.3, 39.9], [116.31, 39.9]]},  # noqa: E501
         "properties": {"id": "L", "windows": w}},
    ]}  # fmt: skip
    path = tmp_path / "plan.geojson"
    path.write_text(json.dumps(fc))
    plan = read_plan(path)
    assert plan.points[0].dwell_s == 720 and plan.red_zones[0].radius_m == 300 and plan.lines[0].id == "L"
