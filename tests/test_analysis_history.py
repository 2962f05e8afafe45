from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis_fixtures import synthetic_history, write_csv
from xunfang.analysis.history import ColumnMap, normalise, parse_map
from xunfang.analysis.sources import PRESETS, load_incidents
from xunfang.core.errors import CRSError, DataNotFound, InvalidInput


def test_standard_csv_roundtrip(tmp_path: Path) -> None:
    frame = synthetic_history(days=20)
    path = tmp_path / "inc.csv"
    write_csv(frame, str(path))
    history, report, districts = load_incidents(str(path))
    assert districts is None
    assert report.rows_read == len(frame) == report.rows_kept == len(history)
    assert list(history.columns) == ["time", "lon", "lat", "category", "district", "id"]
    assert history["time"].dtype == "datetime64[ns]"
    assert set(history["district"]) == {"W", "E"}


def test_rejected_rows_are_counted_by_reason() -> None:
    raw = pd.DataFrame(
        {
            "time": ["2020-01-01T10:00", "not a time", "2020-01-02", "2020-01-03", "2020-01-04"],
            "lon": ["-87.6", "-87.6", "", "-87.6", "200"],
            "lat": ["41.8", "41.8", "41.8", "41.8", "41.8"],
            "category": ["a", "a", "a", "", "a"],
        }
    )
    frame, report = normalise(raw, ColumnMap(), source="t")
    assert len(frame) == 1
    assert report.rejected == {"bad time": 1, "missing field": 2, "bad coordinates": 1}
    assert report.rows_read == 5


def test_outside_area_is_counted() -> None:
    import shapely

    raw = pd.DataFrame(
        {"time": ["2020-01-01"] * 2, "lon": ["-87.6", "-80"], "lat": ["41.8", "41.8"], "category": "x"}
    )
    area = shapely.box(-88, 41, -87, 42)
    frame, report = normalise(raw, ColumnMap(), source="t", area=area)
    assert len(frame) == 1 and report.rejected == {"outside area": 1}


def test_utc_offsets_become_local_wall_clock() -> None:
    raw = pd.DataFrame(
        {"time": ["2020-07-01T12:00:00Z"], "lon": ["-87.6"], "lat": ["41.8"], "category": ["a"]}
    )
    frame, _ = normalise(raw, ColumnMap(tz="America/Chicago"), source="t")
    assert frame["time"].iloc[0] == pd.Timestamp("2020-07-01 07:00")


def test_projected_crs_mapping() -> None:
    raw = pd.DataFrame({"d": ["2016-01-01"], "x": ["7646893"], "y": ["698007"]})
    cmap = ColumnMap(time="d", x="x", y="y", crs="EPSG:2913", category=None, category_value="burglary")
    frame, _ = normalise(raw, cmap, source="t")
    assert -122.8 < frame["lon"].iloc[0] < -122.5 and 45.4 < frame["lat"].iloc[0] < 45.7


def test_unknown_column_names_the_column(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("when,lon,lat,category\n2020-01-01,-87.6,41.8,a\n")
    with pytest.raises(InvalidInput, match=r"unknown column.*time"):
        load_incidents(str(path))
    history, _, _ = load_incidents(str(path), mapping=parse_map(["time=when"]))
    assert len(history) == 1


def test_bad_crs_and_map_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("time,lon,lat,category\n2020-01-01,-87.6,41.8,a\n")
    with pytest.raises(CRSError, match="EPSG:99999"):
        load_incidents(str(path), mapping={"crs": "EPSG:99999"})
    with pytest.raises(InvalidInput, match="--map"):
        parse_map(["colour=red"])
    with pytest.raises(DataNotFound):
        load_incidents(str(tmp_path / "nope.csv"))


@pytest.mark.data
@pytest.mark.parametrize("name", list(PRESETS))
def test_real_presets_import(name: str, data_dir: Path) -> None:
    history, report, districts = load_incidents(name, data_dir=data_dir)
    assert report.rows_kept == len(history) > 1000
    assert report.rows_read == report.rows_kept + sum(report.rejected.values())
    assert history["lon"].between(-180, 180).all()
    assert history["time"].is_monotonic_increasing
    assert districts is not None and (history["district"] != "").mean() > 0.95


def test_unparsable_time_column_is_named(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("time,lon,lat,category\nyesterday,-87.6,41.8,a\nlater,-87.6,41.8,a\n")
    with pytest.raises(InvalidInput, match=r"column 'time'.*'yesterday'"):
        load_incidents(str(path))


def test_non_numeric_coordinates_and_bad_tz_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("time,lon,lat,category\n2020-01-01,west,north,a\n")
    with pytest.raises(InvalidInput, match="column 'lon'"):
        load_incidents(str(path))
    path.write_text("time,lon,lat,category\n2020-01-01,-87.6,41.8,a\n")
    with pytest.raises(InvalidInput, match="time zone"):
        load_incidents(str(path), mapping={"tz": "Mars/Olympus"})
