"""Which candidate sites reach which demand nodes within a response standard.

The coverage matrix ``A[i, j] = 1`` when candidate j reaches demand i within ``standard_s`` by
road. It is built with bounded Dijkstra searches on the *reversed* graph from the demand nodes
(one search per demand node, stopped at the standard), in chunks so memory stays bounded.
Road networks are sparse, so a 3-minute search touches ~100 nodes and A stays small.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix, vstack
from scipy.sparse.csgraph import dijkstra

from xunfang.core.errors import InvalidInput
from xunfang.network.graph import RoadGraph

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

CHUNK = 512


def coverage_matrix(
    graph: RoadGraph, edge_s: F64, demand: I64, candidates: I64, standard_s: float
) -> csr_matrix:
    """Sparse boolean matrix (demand × candidates): candidate reaches demand node within the standard."""
    if standard_s <= 0:
        raise InvalidInput(f"standard must be positive seconds, got {standard_s}", field="standard")
    col_of = np.full(graph.n_nodes, -1, dtype=np.int64)
    col_of[candidates] = np.arange(candidates.size)
    rev = graph.to_csr_matrix(edge_s).T.tocsr()
    blocks = []
    for lo in range(0, demand.size, CHUNK):
        rows = demand[lo : lo + CHUNK]
        t = dijkstra(rev, indices=rows, limit=standard_s)
        r, node = np.nonzero(np.isfinite(t[:, : graph.n_nodes]) & (t <= standard_s))
        col = col_of[node]
        keep = col >= 0
        data = np.ones(int(keep.sum()), dtype=np.bool_)
        blocks.append(csr_matrix((data, (r[keep], col[keep])), shape=(rows.size, candidates.size)))
    if not blocks:
        return csr_matrix((0, candidates.size), dtype=np.bool_)
    return vstack(blocks, format="csr")


def cost_matrix(graph: RoadGraph, edge_s: F64, demand: I64, candidates: I64) -> F64:
    """Dense seconds matrix (demand × candidates) — for p-median on moderate instances only."""
    rev = graph.to_csr_matrix(edge_s).T.tocsr()
    out = np.empty((demand.size, candidates.size))
    for lo in range(0, demand.size, CHUNK):
        out[lo : lo + CHUNK] = dijkstra(rev, indices=demand[lo : lo + CHUNK])[:, candidates]
    return out
