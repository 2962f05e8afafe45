"""The plan and supervise commands on the real data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from xunfang.cli import app

runner = CliRunner()


def test_plan_posts_json(data_dir: Path) -> None:
    res = runner.invoke(
        app,
        [
            "plan",
            "posts",
            "--city",
            "chicago",
            "--posts",
            "10",
            "--standard",
            "1",
            "--json",
            "--time-limit",
            "20",
        ],
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert len(out["sites"]) == 10
    assert 0 < out["covered_share"] < 1
    assert out["gap"] <= 0.01


def test_plan_posts_too_many_is_one_clear_error(data_dir: Path) -> None:
    res = runner.invoke(app, ["plan", "posts", "--posts", "100000", "--json"])
    assert res.exit_code != 0
    assert "cannot place 100000 posts" in str(res.exception)


def test_plan_staffing_and_routes(data_dir: Path) -> None:
    res = runner.invoke(app, ["plan", "staffing", "--json"])
    assert res.exit_code == 0, res.output
    assert len(json.loads(res.output)["sworn"]) == 22
    res = runner.invoke(app, ["plan", "routes", "--shift-h", "2", "--time-limit", "1", "--json"])
    assert res.exit_code == 0, res.output
    route = json.loads(res.output)
    assert route["duration_min"] <= 120 and route["stops"]


def test_supervise_cli(tmp_path: Path, data_dir: Path) -> None:
    tracks = tmp_path / "t.csv"
    rows = ["unit_id,ts,lon,lat"] + [f"u1,{1_700_000_000 + 60 * i},116.3975,39.9087" for i in range(15)]
    rows.append("u1,1700000000,116.3975,39.9087")  # a duplicate
    tracks.write_text("\n".join(rows) + "\n")
    plan = tmp_path / "plan.json"
    plan.write_text(
        json.dumps(
            {
                "points": [
                    {
                        "id": "P",
                        "lon": 116.3975,
                        "lat": 39.9087,
                        "dwell_min": 10,
                        "windows": [[1_700_000_000, 1_700_003_600]],
                        "units": ["u1"],
                    }
                ]
            }
        )
    )
    res = runner.invoke(app, ["supervise", "--tracks", str(tracks), "--plan", str(plan), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["cleaning"]["duplicates"] == 1
    assert out["points"][0]["status"] == "ok"
    assert out["compliance"]["unit"]["u1"]["compliance"] == pytest.approx(1.0)
