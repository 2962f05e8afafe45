from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from typer.testing import CliRunner

from analysis_fixtures import CENTRE, synthetic_history, write_csv
from xunfang.analysis.alerts import crowd_warnings, surge_warnings
from xunfang.analysis.profiles import patrol_window, profile
from xunfang.analysis.risk import RiskClass, Thresholds, cell_classes, classify, forecast, polygon_classes
from xunfang.analysis.sources import Districts
from xunfang.analysis.stats import period_stats
from xunfang.cli import app
from xunfang.core.errors import InvalidInput

runner = CliRunner()


def test_patrol_window_wraps_midnight() -> None:
    hours = np.zeros(24)
    hours[[20, 21, 22, 23, 0, 1, 2]] = 10
    hours[12] = 1
    w = patrol_window(hours, 0.9)
    assert (w["start"], w["end"], w["hours"]) == ("20:00", "03:00", 7)
    assert w["share"] >= 0.9
    with pytest.raises(InvalidInput):
        patrol_window(hours, 1.5)


def test_profile_matrix_counts_every_incident() -> None:
    h = synthetic_history(days=60)
    p = profile(h, zone="W")
    assert np.array(p["matrix"]).shape == (7, 24)
    assert sum(p["by_hour"]) == p["incidents"] == int((h["district"] == "W").sum())
    with pytest.raises(InvalidInput, match="nowhere"):
        profile(h, zone="nowhere")


def test_period_stats_mom_and_yoy() -> None:
    times = ["2021-03-03", "2021-03-04", "2021-02-10", "2020-03-05", "2020-03-06", "2020-03-07", "2020-03-08"]
    h = pd.DataFrame(
        {"time": pd.to_datetime(times), "category": "a", "district": "1", "lon": 0.0, "lat": 0.0}
    )
    s = period_stats(h, period="month", date=pd.Timestamp("2021-03-15"))
    t = s["total"]
    assert (t["count"], t["previous"], t["last_year"]) == (2, 1, 4)
    assert t["mom"] == pytest.approx(1.0) and t["yoy"] == pytest.approx(-0.5)
    assert s["by_district"]["1"]["count"] == 2
    with pytest.raises(InvalidInput, match="--period"):
        period_stats(h, period="fortnight", date=pd.Timestamp("2021-03-15"))
    with pytest.raises(InvalidInput, match="after the end"):
        period_stats(h, period="week", date=pd.Timestamp("2030-01-01"))


def test_surge_rules_flag_only_the_surging_zone() -> None:
    rng = np.random.default_rng(1)
    rows = []
    for week in range(16):
        for zone, n in (("calm", 10), ("surge", 10 if week < 15 else 40)):
            k = rng.poisson(n) if week < 15 else n
            rows += [
                (pd.Timestamp("2021-01-04") + pd.Timedelta(days=7 * week + i % 7), zone) for i in range(k)
            ]
    h = pd.DataFrame(rows, columns=["time", "district"])
    out = surge_warnings(h, at=pd.Timestamp("2021-01-04") + pd.Timedelta(days=7 * 16))
    by = {w["zone"]: w for w in out["zones"]}
    assert by["surge"]["level"] == "red" and "poisson_99" in by["surge"]["rules"]
    assert "poisson_95" not in by["calm"]["rules"] and "poisson_99" not in by["calm"]["rules"]


def test_crowd_warnings_threshold_and_rise() -> None:
    feed = pd.DataFrame(
        {
            "zone": ["plaza", "plaza", "gate", "gate", "park"],
            "time": [
                "2021-01-01T10:00",
                "2021-01-01T10:30",
                "2021-01-01T10:00",
                "2021-01-01T10:15",
                "2021-01-01T10:00",
            ],
            "count": [800, 1200, 300, 600, 100],
        }
    )
    out = {w["zone"]: w for w in crowd_warnings(feed, threshold=1000, rise_per_hour=800)}
    assert out["plaza"]["level"] == "red"
    assert out["gate"]["level"] == "orange" and out["gate"]["rise_per_hour"] == 1200
    assert "level" not in out["park"]
    with pytest.raises(InvalidInput, match="count"):
        crowd_warnings(feed.drop(columns="count"), threshold=1, rise_per_hour=1)


def test_classify_quantiles_and_absolute() -> None:
    d = np.arange(100, dtype=float)
    classes = classify(d, Thresholds())
    assert sum(c is RiskClass.RED for c in classes) == 5
    assert sum(c is RiskClass.YELLOW for c in classes) == 15
    assert classify(np.array([5.0, 2.0, 0.0]), Thresholds(red=4, yellow=1, mode="absolute")) == [
        RiskClass.RED,
        RiskClass.YELLOW,
        RiskClass.BLUE,
    ]
    with pytest.raises(InvalidInput):
        Thresholds(red=0.5, yellow=0.9).check()


def test_risk_geojson_cells_and_polygons() -> None:
    h = synthetic_history(days=120)
    west = shapely.box(CENTRE[0] - 0.05, CENTRE[1] - 0.05, CENTRE[0], CENTRE[1] + 0.05)
    east = shapely.box(CENTRE[0], CENTRE[1] - 0.05, CENTRE[0] + 0.05, CENTRE[1] + 0.05)
    districts = Districts(["W", "E"], [west, east])
    grid, pred = forecast(h, at=pd.Timestamp("2020-04-20"), method="naive", districts=districts)
    cells = cell_classes(grid, pred, Thresholds())
    assert cells["features"] and all(f["properties"]["risk"] in ("red", "yellow") for f in cells["features"])
    ring = cells["features"][0]["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 5
    polys = polygon_classes(grid, pred, districts, Thresholds(red=0.5, yellow=0.0))
    assert {f["properties"]["name"] for f in polys["features"]} == {"W", "E"}
    # the west hotspot holds more incidents, so west is red
    red = [f["properties"]["name"] for f in polys["features"] if f["properties"]["risk"] == "red"]
    assert red == ["W"]
    with pytest.raises(InvalidInput, match="no incidents before"):
        forecast(h, at=pd.Timestamp("2010-01-01"), method="naive")


def test_cli_tools(tmp_path: Path) -> None:
    path = tmp_path / "inc.csv"
    write_csv(synthetic_history(days=150), str(path))
    for args in (
        ["profile", "--incidents", str(path), "--json"],
        ["stats", "--incidents", str(path), "--date", "2020-04-15", "--period", "week", "--json"],
        ["warnings", "--incidents", str(path), "--json"],
        ["risk", "--incidents", str(path), "--method", "naive", "--json"],
        ["import", "--incidents", str(path), "--json"],
    ):
        res = runner.invoke(app, ["analyze", *args])
        assert res.exit_code == 0, (args, res.output)
        assert isinstance(json.loads(res.output), dict)
    res = runner.invoke(app, ["analyze", "stats", "--incidents", str(path), "--date", "someday"])
    assert res.exit_code != 0 and "--date" in str(res.exception)
