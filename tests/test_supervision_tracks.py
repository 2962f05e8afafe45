"""Track import and cleaning: messy fixes are repaired or dropped and counted, never raised on."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from xunfang.core.errors import CorruptData, DataNotFound
from xunfang.supervision.tracks import clean_tracks, read_gpx, read_tracks_csv, tracks_from_arrays


def _walk(n: int = 20) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    t = np.arange(n) * 10.0
    lon = 116.30 + np.arange(n) * 0.0001  # ~8.5 m per fix
    lat = np.full(n, 39.99)
    return t, lon, lat


def test_clean_reports_out_of_order_duplicates_and_spikes() -> None:
    t, lon, lat = _walk()
    lon[7] += 0.05  # a 4 km spike for one fix
    order = np.r_[0:5, 6, 5, 7:20, 3]  # one swap and a duplicate of fix 3
    tr = tracks_from_arrays(["a"] * order.size, t[order], lon[order], lat[order])
    clean, rep = clean_tracks(tr, max_speed_mps=30)
    assert rep.duplicates == 1
    assert rep.out_of_order == 2
    assert rep.impossible == 1
    assert rep.fixes_out == 19
    assert np.all(np.diff(clean.t) > 0)


def test_clean_drops_invalid_coordinates_without_raising() -> None:
    t, lon, lat = _walk(5)
    lon[2] = np.nan
    lat[3] = 95.0
    clean, rep = clean_tracks(tracks_from_arrays(["a"] * 5, t, lon, lat))
    assert rep.invalid == 2
    assert len(clean) == 3


def test_units_are_kept_apart() -> None:
    t, lon, lat = _walk(6)
    tr = tracks_from_arrays(["b"] * 3 + ["a"] * 3, t, lon, lat)
    clean, _ = clean_tracks(tr)
    assert clean.unit_ids == ("a", "b")
    assert clean.starts.tolist() == [0, 3, 6]


def test_read_csv_and_gpx(tmp_path: Path) -> None:
    csv = tmp_path / "t.csv"
    csv.write_text(
        "unit_id,ts,lon,lat\nu1,2024-01-01T00:00:10Z,116.3,39.9\nu1,2024-01-01T00:00:00Z,116.3,39.9\n"
    )
    tr = read_tracks_csv(csv)
    assert len(tr) == 2 and tr.t[0] - tr.t[1] == 10
    gpx = tmp_path / "u2.gpx"
    gpx.write_text(
        '<gpx xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>'
        '<trkpt lat="39.9" lon="116.3"><time>2024-01-01T00:00:00Z</time></trkpt>'
        '<trkpt lat="39.9001" lon="116.3"><time>2024-01-01T00:00:05Z</time></trkpt>'
        "</trkseg></trk></gpx>"
    )
    g = read_gpx(gpx)
    assert g.unit_ids == ("u2",) and len(g) == 2
    with pytest.raises(DataNotFound):
        read_tracks_csv(tmp_path / "missing.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(CorruptData, match="no unit column"):
        read_tracks_csv(bad)
