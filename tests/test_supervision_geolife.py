"""Supervision on real GeoLife tracks (Beijing) against the Beijing OSM network."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from xunfang.network.io import load_city
from xunfang.supervision.mapmatch import MapMatcher
from xunfang.supervision.plan import plan_from_dict
from xunfang.supervision.scoring import thin
from xunfang.supervision.tracks import clean_tracks, read_tracks_csv, tracks_from_arrays
from xunfang.supervision.visits import point_visits


@pytest.fixture(scope="module")
def geolife(data_dir: Path) -> pd.DataFrame:
    return pd.read_csv(
        data_dir / "beijing/geolife_tracks/points.csv.gz", dtype={"user_id": str, "traj_id": str}
    )


def _track(frame: pd.DataFrame, user: str, traj: str):
    sel = frame[(frame.user_id == user) & (frame.traj_id == traj)]
    t = (pd.to_datetime(sel.ts_utc) - pd.Timestamp(0, tz="UTC")).dt.total_seconds().to_numpy()
    return tracks_from_arrays(np.full(len(sel), user), t, sel.lon.to_numpy(), sel.lat.to_numpy())


def test_cleaning_all_geolife_points_never_crashes(data_dir: Path) -> None:
    tracks = read_tracks_csv(data_dir / "beijing/geolife_tracks/points.csv.gz")
    clean, rep = clean_tracks(tracks, max_speed_mps=70)
    assert rep.fixes_in == len(tracks) > 400_000
    assert rep.fixes_out == len(clean) == rep.fixes_in - rep.invalid - rep.duplicates - rep.impossible
    assert rep.impossible > 0  # real GPS has spikes
    same = clean.unit[1:] == clean.unit[:-1]
    assert np.all(np.diff(clean.t)[same] > 0)


def test_a_logging_gap_near_a_point_counts_as_a_visit(geolife: pd.DataFrame) -> None:
    g = load_city("beijing")
    tracks, _ = clean_tracks(_track(geolife, "000", "20081103232153"))
    x, y = g.projection.to_xy(tracks.lon, tracks.lat)
    gap = np.diff(tracks.t)
    near = np.hypot(np.diff(x), np.diff(y)) < 30
    i = int(np.argmax(np.where(near, gap, 0)))
    assert gap[i] >= 600  # the logger paused >= 10 min while the person stayed put
    lon, lat = float(tracks.lon[i]), float(tracks.lat[i])
    w = [[float(tracks.t[0]), float(tracks.t[-1])]]
    plan = plan_from_dict({
        "points": [
            {"id": "here", "lon": lon, "lat": lat, "radius_m": 50, "dwell_min": 10, "windows": w},
            {"id": "far", "lon": lon + 0.05, "lat": lat, "radius_m": 50, "dwell_min": 10, "windows": w},
        ]
    })  # fmt: skip
    rows = point_visits(tracks, plan.points, g.projection)
    assert rows[0]["status"] == "ok"
    assert rows[1]["status"] == "missed"


def test_thinned_taxi_track_covers_the_same_streets(geolife: pd.DataFrame) -> None:
    g = load_city("beijing")
    tracks, _ = clean_tracks(_track(geolife, "081", "20080605042055"))
    matcher = MapMatcher(g)
    full, matched = matcher.match(tracks)
    assert (matched >= 0).mean() > 0.9
    sparse, _ = matcher.match(thin(tracks, 30.0))
    a = full.edge_fraction(g.n_edges) >= 0.5
    b = sparse.edge_fraction(g.n_edges) >= 0.5
    overlap = (a & b).sum()
    f1 = 2 * overlap / (a.sum() + b.sum())
    assert a.sum() > 20
    assert f1 >= 0.85
