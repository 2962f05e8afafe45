"""Line coverage (必巡线): the share of each must-patrol line's road length actually travelled.

Travel comes from map matching (so sparse fixes are interpolated along the roads driven). A
street counts once whichever direction it was driven in: pieces on the reverse edge of a two-way
street are mirrored onto one canonical direction before the overlapping passes are merged.
"""

from __future__ import annotations

import itertools

import numpy as np
from numpy.typing import NDArray
from scipy.sparse.csgraph import dijkstra

from xunfang.core.errors import InvalidInput
from xunfang.network.graph import RoadGraph
from xunfang.network.snap import Snapper
from xunfang.supervision.mapmatch import Pieces, union_fraction
from xunfang.supervision.plan import PatrolLine, allowed

I64 = NDArray[np.int64]


def line_edges(graph: RoadGraph, line: PatrolLine, snapper: Snapper | None = None) -> I64:
    """Graph edges of a line: given directly, or the shortest road path through its coordinates."""
    if line.edges:
        edges = np.asarray(line.edges, dtype=np.int64)
        if edges.min() < 0 or edges.max() >= graph.n_edges:
            raise InvalidInput(f"line {line.id}: edge id out of range 0..{graph.n_edges - 1}", field="lines")
        return edges
    snap = snapper or Snapper(graph, max_offset_m=500.0)
    lon, lat = zip(*line.coordinates, strict=True)
    nodes, _ = snap.snap(lon, lat, name=f"line {line.id}")
    mat = graph.to_csr_matrix(graph.edge_length_m)
    _, pred = dijkstra(mat, indices=nodes[:-1], return_predecessors=True)
    out: list[int] = []
    key = graph.edge_u.astype(np.int64) * graph.n_nodes + graph.edge_v
    lookup = {int(k): i for i, k in enumerate(key)}
    for row, (a, b) in enumerate(itertools.pairwise(nodes)):
        chain, node = [], int(b)
        while node != a:
            prev = int(pred[row, node])
            if prev < 0:
                raise InvalidInput(f"line {line.id}: no road path between its vertices {row} and {row + 1}")
            chain.append(lookup[prev * graph.n_nodes + node])
            node = prev
        out.extend(reversed(chain))
    return np.asarray(out, dtype=np.int64)


def _canonical(graph: RoadGraph) -> I64:
    canon = np.full(int(graph.edge_segment.max()) + 1, graph.n_edges, dtype=np.int64)
    np.minimum.at(canon, graph.edge_segment, np.arange(graph.n_edges))
    return canon


def line_coverage(
    graph: RoadGraph,
    pieces: Pieces,
    lines: tuple[PatrolLine, ...],
    unit_ids: tuple[str, ...],
    *,
    edges: list[I64] | None = None,
) -> list[dict[str, object]]:
    """One row per line and window: share of length travelled by allowed units, and the status."""
    if not lines:
        return []
    snapper = Snapper(graph, max_offset_m=500.0)
    line_e = edges if edges is not None else [line_edges(graph, ln, snapper) for ln in lines]
    seg_len = np.zeros(int(graph.edge_segment.max()) + 1)
    seg_len[graph.edge_segment] = graph.edge_length_m
    canon = _canonical(graph)
    pseg = graph.edge_segment[pieces.edge].astype(np.int64)
    flip = pieces.edge != canon[pseg]
    pa = np.where(flip, 1.0 - pieces.b, pieces.a)
    pb = np.where(flip, 1.0 - pieces.a, pieces.b)
    # requirement id (line, window) for every segment of every line
    req_line, req_win, req_seg = [], [], []
    for li, ln in enumerate(lines):
        segs = np.unique(graph.edge_segment[line_e[li]])
        for wi in range(len(ln.windows)):
            req_line.append(np.full(segs.size, li))
            req_win.append(np.full(segs.size, wi))
            req_seg.append(segs)
    rl, rw, rs = np.concatenate(req_line), np.concatenate(req_win), np.concatenate(req_seg)
    by_seg = np.argsort(rs, kind="stable")
    lo = np.searchsorted(rs[by_seg], pseg, side="left")
    hi = np.searchsorted(rs[by_seg], pseg, side="right")
    count = hi - lo
    piece = np.repeat(np.arange(pseg.size), count)
    req = by_seg[np.repeat(lo, count) + (np.arange(piece.size) - np.repeat(np.cumsum(count) - count, count))]
    w0 = np.array([lines[li].windows[wi][0] for li, wi in zip(rl, rw, strict=True)])
    w1 = np.array([lines[li].windows[wi][1] for li, wi in zip(rl, rw, strict=True)])
    ok_unit = np.stack([allowed(ln.units, unit_ids) for ln in lines])
    t = pieces.t[piece]
    keep = (t >= w0[req]) & (t <= w1[req]) & ok_unit[rl[req], pieces.unit[piece]]
    piece, req = piece[keep], req[keep]
    covered = union_fraction(req, pa[piece], pb[piece], rs.size) * seg_len[rs]
    total = seg_len[rs]
    key = rl * 10_000 + rw
    rows: list[dict[str, object]] = []
    for li, ln in enumerate(lines):
        for wi, (a, b) in enumerate(ln.windows):
            sel = key == li * 10_000 + wi
            length = float(total[sel].sum())
            share = float(covered[sel].sum()) / length if length > 0 else 0.0
            status = "ok" if share >= ln.required_share else ("partial" if share > 0 else "missed")
            rows.append({
                "line": ln.id, "zone": ln.zone, "window": [a, b], "length_m": round(length, 1),
                "share": round(share, 4), "required_share": ln.required_share, "status": status,
                "assigned": list(ln.units),
            })  # fmt: skip
    return rows
