"""Coverage-guided fuzzing (atheris) of the outside-input parsers, short and seeded so it repeats:
the incident CSV import, the position body and the GeoJSON plan import refuse bad input only with
a clear error. The bench (`--only fuzz_parsers`) runs the same harness longer. The three bugs it
found are pinned below as plain regression tests."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest

from xunfang.analysis.history import ColumnMap, normalise
from xunfang.bench.rel_fuzz_parsers import TARGETS, run_target
from xunfang.core.errors import InvalidInput
from xunfang.supervision.plan import from_geojson, plan_from_dict, read_plan


@pytest.mark.parametrize("target", TARGETS)
def test_short_seeded_fuzz_run_finds_no_crash(target: str, tmp_path: Path) -> None:
    got = run_target(target, runs=2000, seed=1, work=tmp_path)
    assert got["cases"] == 2000
    assert got["found"] == []


def test_csv_row_with_a_year_beyond_pandas_range_is_rejected_not_fatal() -> None:
    text = "time,lon,lat,category\n9999-12-31,-87.6,41.8,theft\n2020-01-01T10:00,-87.6,41.8,theft\n"
    raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    frame, report = normalise(raw, ColumnMap(), source="t.csv")
    assert len(frame) == 1
    assert report.rejected == {"bad time": 1}


def test_geojson_point_without_two_coordinates_is_invalid_input() -> None:
    fc = {"type": "FeatureCollection", "features": [{"geometry": {"type": "Point", "coordinates": [1]}}]}
    with pytest.raises(InvalidInput, match="feature 0"):
        from_geojson(fc)
    with pytest.raises(InvalidInput, match="feature 0"):
        from_geojson({"features": ["not a feature"]})


@pytest.mark.parametrize("raw", [{"units": []}, {"red_zones": [3]}, {"points": "p"}])
def test_plan_with_a_list_where_an_object_belongs_is_invalid_input(
    raw: dict[str, object], tmp_path: Path
) -> None:
    with pytest.raises(InvalidInput, match="malformed entry"):
        plan_from_dict(raw)
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(raw))
    with pytest.raises(InvalidInput):
        read_plan(path)
