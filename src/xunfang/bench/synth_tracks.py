"""Synthetic patrol fleet on a real road network, for timing supervision at scale.

Real fleets' tracks are not public; the workload (1,000 units × 8 h at one fix per 10 s) is
therefore generated: each unit drives a random walk without U-turns along real streets at its own
speed, positions are sampled every ``every_s`` seconds along the roads, and 5 m GPS noise is added.
Used only for the timing figure, never for accuracy figures (those use real tracks).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from xunfang.network.graph import RoadGraph
from xunfang.supervision.tracks import Tracks

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


def random_walks(graph: RoadGraph, starts: I64, steps: int, rng: np.random.Generator) -> I64:
    """Edge sequences (units × steps): each next edge leaves the previous head, avoiding U-turns."""
    walks = np.empty((starts.size, steps), dtype=np.int64)
    node = starts.copy()
    prev_tail = np.full(starts.size, -1)
    for s in range(steps):
        lo, hi = graph.indptr[node], graph.indptr[node + 1]
        pick = lo + (rng.random(node.size) * (hi - lo)).astype(np.int64)
        uturn = (graph.edge_v[pick] == prev_tail) & (hi - lo > 1)
        pick = np.where(uturn, lo + (pick - lo + 1) % np.maximum(hi - lo, 1), pick)
        walks[:, s] = pick
        prev_tail = node
        node = graph.edge_v[pick].astype(np.int64)
    return walks


def synth_fleet(
    graph: RoadGraph, *, units: int = 1000, hours: float = 8.0, every_s: float = 10.0, seed: int = 7
) -> Tracks:
    rng = np.random.default_rng(seed)
    n_fix = int(hours * 3600 / every_s)
    speed = rng.uniform(4.0, 12.0, units)  # m/s: foot-speed stops averaged with driving
    mean_len = float(graph.edge_length_m.mean())
    steps = int(speed.max() * hours * 3600 / mean_len * 1.5) + 10
    walks = random_walks(graph, rng.integers(0, graph.n_nodes, units), steps, rng)
    length = graph.edge_length_m[walks]
    cum = np.cumsum(length, axis=1)
    t = np.arange(n_fix) * every_s
    along = np.minimum(speed[:, None] * t[None, :], cum[:, -1:] - 1e-6)
    k = np.stack([np.searchsorted(cum[i], along[i], side="right") for i in range(units)])
    e = np.take_along_axis(walks, k, axis=1)
    before = np.where(k > 0, np.take_along_axis(cum, np.maximum(k - 1, 0), axis=1), 0.0)
    frac = (along - before) / graph.edge_length_m[e]
    x = graph.node_x[graph.edge_u[e]] + frac * (graph.node_x[graph.edge_v[e]] - graph.node_x[graph.edge_u[e]])
    y = graph.node_y[graph.edge_u[e]] + frac * (graph.node_y[graph.edge_v[e]] - graph.node_y[graph.edge_u[e]])
    x += rng.normal(0, 5.0, x.shape)
    y += rng.normal(0, 5.0, y.shape)
    lon, lat = graph.projection.to_lonlat(x.ravel(), y.ravel())
    unit = np.repeat(np.arange(units), n_fix)
    ids = tuple(f"u{i:04d}" for i in range(units))
    t0 = 1_714_550_400.0  # 2024-05-01T08:00:00Z
    return Tracks(ids, unit, np.tile(t + t0, units), np.asarray(lon), np.asarray(lat))
