"""Map matching follows the roads between sparse fixes; scored on real ground-truth tracks."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from _grid import grid_graph as _grid
from xunfang.supervision.groundtruth import load_groundtruth
from xunfang.supervision.mapmatch import MapMatcher
from xunfang.supervision.scoring import score_groundtruth
from xunfang.supervision.tracks import tracks_from_arrays


def test_sparse_fixes_are_interpolated_along_the_street_not_across_the_block() -> None:
    g = _grid()
    # drive east along the bottom row then north along the east column: an L, fixes every ~120 m
    lon = np.r_[np.linspace(116.3, 116.308, 7), np.full(6, 116.308)]
    lat = np.r_[np.full(7, 39.9), np.linspace(39.9, 39.9 + 0.008 * 0.77, 7)[1:]]
    tr = tracks_from_arrays(["a"] * lon.size, np.arange(lon.size) * 10.0, lon, lat)
    pieces, matched = MapMatcher(g).match(tr)
    frac = pieces.edge_fraction(g.n_edges)
    done = frac > 0.99
    # eight block faces driven, nothing else (in particular no diagonal shortcut through the grid)
    assert done.sum() == 8
    x, y = g.node_lon, g.node_lat
    mid_x = (x[g.edge_u[done]] + x[g.edge_v[done]]) / 2
    mid_y = (y[g.edge_u[done]] + y[g.edge_v[done]]) / 2
    on_l = (np.abs(mid_y - y.min()) < 1e-7) | (np.abs(mid_x - x.max()) < 1e-7)
    assert on_l.all()
    assert (matched >= 0).all()


def test_a_fix_far_from_any_road_breaks_the_chain() -> None:
    g = _grid()
    lon = np.array([116.300, 116.302, 116.303, 116.304])
    lat = np.array([39.9, 39.9, 39.9 + 0.0008, 39.9])  # third fix ~90 m off the road
    tr = tracks_from_arrays(["a"] * 4, np.arange(4) * 10.0, lon, lat)
    pieces, matched = MapMatcher(g).match(tr)
    assert matched[2] == -1
    assert pieces.edge_fraction(g.n_edges).max() > 0


def test_groundtruth_tracks_thinned_to_10s_reach_f1(data_dir: Path) -> None:
    root = data_dir / "mapmatch_groundtruth"
    for name in ("00000002", "00000008", "00000041"):
        gt = load_groundtruth(root / name)
        score = score_groundtruth(gt, every_s=10.0)
        assert score.fixes < len(gt.tracks) / 5
        assert score.f1 >= 0.95, (name, score)
