from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from xunfang.cli import app
from xunfang.core import geo
from xunfang.core.errors import CRSError, InvalidInput


@pytest.fixture(scope="module")
def pairs(data_dir: Path) -> pd.DataFrame:
    return pd.read_csv(data_dir / "beijing/subdistricts/gcj02_pairs.csv")


def test_forward_matches_real_pairs(pairs: pd.DataFrame) -> None:
    lon, lat = geo.wgs84_to_gcj02(pairs.wgs84_lon, pairs.wgs84_lat)
    err = geo.haversine_m(lon, lat, pairs.gcj02_lon, pairs.gcj02_lat)
    assert len(pairs) == 1986
    assert err.max() <= 0.05


def test_inverse_matches_real_pairs(pairs: pd.DataFrame) -> None:
    lon, lat = geo.gcj02_to_wgs84(pairs.gcj02_lon, pairs.gcj02_lat)
    err = geo.haversine_m(lon, lat, pairs.wgs84_lon, pairs.wgs84_lat)
    assert err.max() <= 0.5


def test_identity_outside_china() -> None:
    lon, lat = geo.wgs84_to_gcj02([-87.63, 2.35], [41.88, 48.85])
    assert np.allclose(lon, [-87.63, 2.35]) and np.allclose(lat, [41.88, 48.85])
    back = geo.gcj02_to_wgs84(-87.63, 41.88)
    assert float(back[0]) == -87.63


@given(st.floats(73.0, 135.0), st.floats(18.0, 53.0))
def test_round_trip_inside_china(lon: float, lat: float) -> None:
    g = geo.wgs84_to_gcj02(lon, lat)
    w = geo.gcj02_to_wgs84(*g)
    assert float(geo.haversine_m(w[0], w[1], lon, lat)) < 0.01


def test_metric_projection_round_trip() -> None:
    proj = geo.MetricProjection.for_point(-87.63, 41.88)
    assert proj.name == "EPSG:32616"
    x, y = proj.to_xy([-87.63, -87.62], [41.88, 41.88])
    assert math.isclose(float(x[1] - x[0]), 829.0, rel_tol=0.01)
    lon, lat = proj.to_lonlat(x, y)
    assert np.allclose(lon, [-87.63, -87.62]) and np.allclose(lat, [41.88, 41.88])


@pytest.mark.parametrize("text", ["1", "a,b", "1,2,3", "nan,1", "inf,2", "200,1", "1,95", ""])
def test_parse_lonlat_refuses(text: str) -> None:
    with pytest.raises(InvalidInput):
        geo.parse_lonlat(text)


def test_parse_crs_refuses_unknown() -> None:
    with pytest.raises(CRSError, match="EPSG:99999"):
        geo.parse_crs("EPSG:99999")


def test_cli_coords_json() -> None:
    result = CliRunner().invoke(
        app, ["coords", "116.4554974,39.9025625", "--from", "wgs84", "--to", "gcj02", "--json"]
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert set(out) == {"lon", "lat"}
    assert abs(out["lon"] - 116.4616591) < 1e-6 and abs(out["lat"] - 39.9039050) < 1e-6


def test_cli_coords_negative_longitude_and_bad_datum() -> None:
    ok = CliRunner().invoke(app, ["coords", "-87.6,41.8", "--json"])
    assert ok.exit_code == 0 and json.loads(ok.stdout)["lon"] == -87.6
    bad = CliRunner().invoke(app, ["coords", "1,2", "--from", "foo"])
    assert bad.exit_code != 0
    assert isinstance(bad.exception, CRSError)
