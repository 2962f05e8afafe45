"""A small synthetic street grid for supervision and routing tests."""

from __future__ import annotations

import numpy as np

from xunfang.network.graph import RoadClass, RoadGraph, build_graph


def grid_graph(k: int = 5, step_deg: float = 0.002) -> RoadGraph:
    """A k×k two-way street grid (~170 m blocks) near Beijing."""
    ii, jj = np.meshgrid(np.arange(k), np.arange(k), indexing="ij")
    lon = 116.3 + jj.ravel() * step_deg
    lat = 39.9 + ii.ravel() * step_deg * 0.77
    u, v = [], []
    for i in range(k):
        for j in range(k):
            if j + 1 < k:
                u.append(i * k + j), v.append(i * k + j + 1)
            if i + 1 < k:
                u.append(i * k + j), v.append((i + 1) * k + j)
    m = len(u)
    return build_graph(
        name="grid", node_lon=lon, node_lat=lat, node_ref=np.arange(k * k), u=np.array(u), v=np.array(v),
        oneway=np.zeros(m, bool), road_class=np.full(m, RoadClass.RESIDENTIAL, np.int8),
    )  # fmt: skip
