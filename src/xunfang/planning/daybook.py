"""Where units stand or drive in a day plan: top-risk posts and street lines per zone."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from xunfang.network.graph import RoadGraph
from xunfang.planning.demand import demand_weights, node_zones


def assignments(
    graph: RoadGraph, incidents: Path, *, start: date, end: date, per_zone: int = 12
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, list[dict[str, Any]]]]:
    """Per zone, the highest-weight nodes (posts) and road edges (lines), best first."""
    w = demand_weights(graph, incidents, start=start, end=end)
    zone = node_zones(graph, incidents, start=start, end=end)
    edge_w = w[graph.edge_u] + w[graph.edge_v]
    posts: dict[str, list[dict[str, Any]]] = {}
    lines: dict[str, list[dict[str, Any]]] = {}
    for name in np.unique(zone):
        nodes = np.flatnonzero((zone == name) & (w > 0))
        top = nodes[np.argsort(-w[nodes], kind="stable")[:per_zone]]
        posts[str(name)] = [
            {
                "node": int(v),
                "lon": round(float(graph.node_lon[v]), 6),
                "lat": round(float(graph.node_lat[v]), 6),
                "weight": float(w[v]),
            }
            for v in top
        ]
        edges = np.flatnonzero((zone[graph.edge_u] == name) & (edge_w > 0))
        top_e = edges[np.argsort(-edge_w[edges], kind="stable")[:per_zone]]
        lines[str(name)] = [
            {
                "edge": int(e),
                "name": str(graph.edge_name[e]),
                "weight": float(edge_w[e]),
                "coordinates": [
                    [
                        round(float(graph.node_lon[graph.edge_u[e]]), 6),
                        round(float(graph.node_lat[graph.edge_u[e]]), 6),
                    ],
                    [
                        round(float(graph.node_lon[graph.edge_v[e]]), 6),
                        round(float(graph.node_lat[graph.edge_v[e]]), 6),
                    ],
                ],
            }
            for e in top_e
        ]
    return posts, lines
