from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from analysis_fixtures import CENTRE, synthetic_history, write_csv
from xunfang.analysis.backtest import BacktestConfig, parse_horizon, parse_period, run_backtest
from xunfang.analysis.forecast.network import NetworkProspective
from xunfang.analysis.grid import Events, Grid
from xunfang.cli import app
from xunfang.core.errors import InvalidInput
from xunfang.network.graph import build_graph

runner = CliRunner()
FAST = "naive,kde,prospective,ensemble"


@pytest.fixture(scope="module")
def csv_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bt") / "incidents.csv"
    write_csv(synthetic_history(days=400), str(path))
    return path


def _run(*args: str) -> tuple[int, str]:
    res = runner.invoke(app, ["analyze", *args])
    return res.exit_code, res.output


def test_backtest_json_shape_and_files(csv_path: Path, tmp_path: Path) -> None:
    code, out = _run(
        "backtest", "--incidents", str(csv_path), "--train", "2020-01-01:2020-11-30",
        "--test", "2020-12-01:2021-01-31", "--horizon", "7d", "--cell", "250",
        "--methods", FAST, "--json", "--out", str(tmp_path),
    )  # fmt: skip
    assert code == 0, out
    result = json.loads(out)
    assert set(result["methods"]) == set(FAST.split(","))
    for m in result["methods"].values():
        for key in ("hit_rate", "pai", "pei"):
            assert set(m[key]) == {"1", "5", "10"}
        assert 0 <= m["hit_rate"]["1"] <= m["hit_rate"]["5"] <= m["hit_rate"]["10"] <= 1
        assert m["pai"]["5"] == pytest.approx(m["hit_rate"]["5"] / 0.05, rel=1e-2)
        assert 0 <= m["pei"]["5"] <= 1 and m["runtime_s"] >= 0
    assert result["best"] in result["methods"]
    # synthetic hotspots hold ~55 % of incidents in a few cells: every method must see them
    assert result["methods"]["naive"]["hit_rate"]["5"] > 0.4
    assert {p.name for p in tmp_path.iterdir()} >= {"backtest.json", "backtest.txt", "hit_rate.png"}


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (
            ["--train", "2020-01-01:2020-11-30", "--test", "2020-06-01:2020-12-31"],
            "before the training period",
        ),
        (
            ["--train", "2020-01-01:2020-11-30", "--test", "2020-12-01:2020-12-02"],
            "shorter than one --horizon",
        ),
        (
            ["--train", "2019-01-01:2019-11-30", "--test", "2019-12-01:2019-12-31"],
            "no incidents in the training",
        ),
        (["--train", "2020-01-01:2020-11-30", "--test", "2022-01-01:2022-02-28"], "no incidents in the test"),
        (["--train", "yesterday", "--test", "2020-12-01:2020-12-31"], "--train"),
        (
            ["--train", "2020-01-01:2020-11-30", "--test", "2020-12-01:2020-12-31", "--horizon", "soon"],
            "--horizon",
        ),
        (
            ["--train", "2020-01-01:2020-11-30", "--test", "2020-12-01:2020-12-31", "--methods", "magic"],
            "magic",
        ),
        (["--train", "2020-01-01:2020-11-30", "--test", "2020-12-01:2020-12-31", "--cell", "-5"], "--cell"),
    ],
)
def test_backtest_bad_input(csv_path: Path, args: list[str], needle: str) -> None:
    from xunfang.core.errors import XunfangError

    res = runner.invoke(
        app, ["analyze", "backtest", "--incidents", str(csv_path), "--methods", "naive", *args]
    )
    if "--methods" in args[-2:]:
        res = runner.invoke(app, ["analyze", "backtest", "--incidents", str(csv_path), *args])
    assert res.exit_code != 0
    assert isinstance(res.exception, XunfangError)
    assert needle in str(res.exception)


def test_main_turns_errors_into_one_line(csv_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import sys

    from xunfang.cli import main

    argv = sys.argv
    sys.argv = ["xunfang", "analyze", "backtest", "--incidents", str(csv_path), "--train",
                "2020-01-01:2020-11-30", "--test", "2020-01-01:2020-12-31"]  # fmt: skip
    try:
        with pytest.raises(SystemExit) as exc:
            main()
    finally:
        sys.argv = argv
    assert exc.value.code == 2
    assert "before the training period" in capsys.readouterr().err


def test_parsers() -> None:
    assert parse_horizon("2w") == 14 and parse_horizon("7") == 7
    start, end = parse_period("2020-01-01:2020-01-31", "--test")
    assert (end - start).days == 31
    with pytest.raises(InvalidInput, match="ends before"):
        parse_period("2020-02-01:2020-01-01", "--test")


def _street_grid() -> object:
    """A 6 x 6 lattice of two-way streets 200 m apart around the synthetic centre."""
    n = 6
    dlon, dlat = 200 / 83000, 200 / 111000
    ii, jj = np.meshgrid(np.arange(n), np.arange(n))
    lon = CENTRE[0] - 0.006 + ii.ravel() * dlon
    lat = CENTRE[1] - 0.005 + jj.ravel() * dlat
    idx = np.arange(n * n).reshape(n, n)
    u = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    v = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    return build_graph(
        name="lattice",
        node_lon=lon,
        node_lat=lat,
        node_ref=np.arange(n * n),
        u=u.astype(np.int64),
        v=v.astype(np.int64),
        oneway=np.zeros(u.size, bool),
        road_class=np.full(u.size, 4, np.int8),
    )


def test_network_method_ranks_the_busy_street_first() -> None:
    graph = _street_grid()
    rng = np.random.default_rng(3)
    # incidents along one street (the segment between two lattice nodes) plus scattered ones
    a, b = 14, 15
    f = rng.random(300)
    lon = graph.node_lon[a] + f * (graph.node_lon[b] - graph.node_lon[a])  # type: ignore[attr-defined]
    lat = graph.node_lat[a] + f * (graph.node_lat[b] - graph.node_lat[a]) + rng.normal(0, 2e-5, 300)  # type: ignore[attr-defined]
    lon = np.concatenate([lon, rng.uniform(lon.min() - 0.004, lon.max() + 0.004, 60)])
    lat = np.concatenate([lat, rng.uniform(lat.min() - 0.004, lat.max() + 0.004, 60)])
    t = pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 120, lon.size), unit="D")
    h = pd.DataFrame({"time": t, "lon": lon, "lat": lat}).sort_values("time")
    grid = Grid.build(h["lon"].to_numpy(), h["lat"].to_numpy(), cell=100.0)
    events, _ = Events.from_history(h, grid, pd.Timestamp("2021-01-01"))
    method = NetworkProspective(graph, tune=False)
    events = method.attach(events)
    method.fit(events.upto(100), 100, 7)
    risk = method.predict(events.upto(100), 100, 7)
    assert method.segments is not None and risk.shape == (method.segments.n,)
    busy = np.bincount(events.segment[events.segment >= 0]).argmax()  # type: ignore[index]
    assert int(np.argmax(risk / method.segments.length)) == busy


def test_run_backtest_includes_network_and_exposure() -> None:
    import shapely

    from xunfang.analysis.sources import Districts

    h = synthetic_history(days=200)
    west = shapely.box(CENTRE[0] - 0.05, CENTRE[1] - 0.05, CENTRE[0], CENTRE[1] + 0.05)
    east = shapely.box(CENTRE[0], CENTRE[1] - 0.05, CENTRE[0] + 0.05, CENTRE[1] + 0.05)
    cfg = BacktestConfig(
        parse_period("2020-01-01:2020-05-31", "--train"),
        parse_period("2020-06-01:2020-07-15", "--test"),
        methods=("naive", "network"),
        network=_street_grid(),
    )
    out = run_backtest(h, cfg, districts=Districts(["W", "E"], [west, east]), source="synthetic")
    assert out["methods"]["network"]["unit"] == "segment"
    assert out["best"] == "naive"  # best is chosen among grid methods only
    shares = out["exposure"]["districts"]
    assert set(shares) == {"W", "E"}
    assert sum(d["flagged_share"] for d in shares.values()) == pytest.approx(1.0, abs=1e-3)


def test_network_is_skipped_without_a_network() -> None:
    cfg = BacktestConfig(
        parse_period("2020-01-01:2020-05-31", "--train"),
        parse_period("2020-06-01:2020-06-30", "--test"),
        methods=("naive", "network"),
    )
    out = run_backtest(synthetic_history(days=200), cfg)
    assert set(out["methods"]) == {"naive"} and "network" in out["skipped"]
    assert "exposure" not in out
