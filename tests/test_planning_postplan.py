"""The stored posts plan: maximal-covering posts plus must-patrol points and lines, drawn as features."""

from __future__ import annotations

import numpy as np
import pytest

from svc_world import grid_graph
from xunfang.core.errors import CorruptData
from xunfang.planning.postplan import plan_features, post_plan


def test_post_plan_on_a_grid_city() -> None:
    g = grid_graph()
    edge_s = np.full(g.n_edges, 40.0)  # 40 s a block
    w = np.zeros(g.n_nodes)
    w[[10, 11, 70, 71, 40]] = [5, 4, 6, 3, 1]
    body = post_plan(g, edge_s, w, posts=2, standard_s=60.0, points=3, lines=2, time_limit_s=5.0)
    # each post covers at least its own node
    assert len(body["posts"]) == 2 and body["covered_share"] >= 11 / 19
    assert [p["weight"] for p in body["points"]] == [6, 5, 4]
    assert len(body["lines"]) == 2 and all(len(line["coordinates"]) >= 2 for line in body["lines"])
    feats = plan_features(body)
    assert [f["properties"]["kind"] for f in feats].count("post") == 2
    assert {f["geometry"]["type"] for f in feats} == {"Point", "LineString"}


def test_cli_output_sites_are_posts_and_bad_lines_are_named() -> None:
    feats = plan_features({"sites": [{"node": 7, "lon": -87.6, "lat": 41.8}]})
    assert feats[0]["properties"] == {"kind": "post", "id": "7", "source": "plan"}
    with pytest.raises(CorruptData, match=r"lines\[0\]"):
        plan_features({"lines": [{"id": "L1", "coordinates": [[-87.6, 41.8]]}]})
