"""Must-patrol targets derived from the demand: top-risk places as points, top-risk streets as lines."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.sparse.csgraph import dijkstra

from xunfang.network.graph import RoadGraph
from xunfang.planning.routes import Target

F64 = NDArray[np.float64]


def line_target(graph: RoadGraph, edge_s: F64, tid: str, edges: list[int], prize: float) -> Target:
    e = np.asarray(edges, dtype=np.int64)
    entry, leave = int(graph.edge_u[e[0]]), int(graph.edge_v[e[-1]])
    return Target(tid, "line", entry, leave, float(edge_s[e].sum()), prize, tuple(int(x) for x in e))


def targets_from_demand(
    graph: RoadGraph,
    edge_s: F64,
    weights: F64,
    base: int,
    *,
    reach_s: float = 900.0,
    points: int = 30,
    lines: int = 10,
    dwell_s: float = 600.0,
    line_edges: int = 6,
) -> list[Target]:
    """The ``points`` highest-weight nodes within ``reach_s`` of the base as points (dwell each),
    and ``lines`` street runs (greedy walks along the heaviest next node) from the next-heaviest nodes."""
    t = dijkstra(graph.to_csr_matrix(edge_s), indices=base, limit=reach_s)
    near = np.flatnonzero(np.isfinite(t) & (weights > 0))
    ranked = near[np.argsort(-weights[near], kind="stable")]
    out = [Target(f"P{v}", "point", int(v), int(v), dwell_s, float(weights[v])) for v in ranked[:points]]
    for v in ranked[points : points + lines]:
        node, path, seen = int(v), [], {int(v)}
        for _ in range(line_edges):
            lo, hi = graph.indptr[node], graph.indptr[node + 1]
            nxt = [e for e in range(lo, hi) if int(graph.edge_v[e]) not in seen]
            if not nxt:
                break
            e = max(nxt, key=lambda x: weights[graph.edge_v[x]])
            path.append(e)
            node = int(graph.edge_v[e])
            seen.add(node)
        if path:
            prize = float(weights[list(seen)].sum())
            out.append(line_target(graph, edge_s, f"L{v}", path, prize))
    return out
