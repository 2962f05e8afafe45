"""The planning benchmark runs end to end on a small workload (figures come from the real command)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from xunfang.bench.planning import bench_supervision, synth_plan
from xunfang.bench.synth_tracks import synth_fleet
from xunfang.network.io import load_city
from xunfang.planning.sites import station_nodes


def test_synthetic_fleet_stays_on_the_streets(data_dir: Path) -> None:
    g = load_city("chicago")
    tracks = synth_fleet(g, units=3, hours=0.5)
    assert len(tracks) == 3 * 180
    x, y = g.projection.to_xy(tracks.lon, tracks.lat)
    step = np.hypot(np.diff(x), np.diff(y))[np.diff(tracks.unit) == 0]
    assert step.max() < 200  # ≤ 12 m/s for 10 s plus noise
    plan = synth_plan(g, tracks.unit_ids, points=10, lines=4, t0=float(tracks.t.min()), hours=0.5)
    assert len(plan.points) == 10 and len(plan.lines) == 4


def test_bench_supervision_small(data_dir: Path) -> None:
    out = bench_supervision(units=5, hours=1.0, points=20, lines=5)
    assert out["fixes"] == 5 * 360
    assert out["groundtruth_f1"] >= 0.95
    assert set(out["groundtruth"]) == {"00000002", "00000008", "00000041"}


def test_station_nodes(data_dir: Path) -> None:
    g = load_city("chicago")
    nodes = station_nodes(g)
    assert nodes.size == 23 and nodes.max() < g.n_nodes
