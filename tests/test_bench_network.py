"""`xunfang bench network --quick --json` runs end to end, prints the documented keys and agrees."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from xunfang.cli import app

REQUIRED = [
    "chicago.rank_top10.p99_ms",
    "chicago.rank_top10.speedup_vs_networkx",
    "city1m.rank_top10.p99_ms",
    "city1m.rank_all.p50_ms",
    "city1m.coverage_full.p50_ms",
    "city1m.coverage_incremental.p99_ms",
    "city1m.rank_top10.speedup_vs_scipy",
    "agreement.max_abs_diff_s",
]


def _get(obj: dict[str, object], path: str) -> object:
    for part in path.split("."):
        assert isinstance(obj, dict) and part in obj, f"missing key {path}"
        obj = obj[part]
    return obj


@pytest.mark.data
def test_bench_network_quick(data_dir: Path) -> None:
    res = CliRunner().invoke(app, ["bench", "network", "--quick", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    for key in REQUIRED:
        assert isinstance(_get(out, key), int | float)
    agreement = out["agreement"]
    assert agreement["max_abs_diff_s"] <= 1e-6
    assert agreement["ranking_equal"] and agreement["matrix_equal"] and agreement["incremental_equals_full"]
    assert agreement["coverage_edges_differing_beyond_1s"] == 0
    docs = (Path(__file__).parents[1] / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    for key in REQUIRED:
        assert f"`{key.split('.', 1)[1]}`" in docs or f"`{key}`" in docs, f"{key} is not documented"
