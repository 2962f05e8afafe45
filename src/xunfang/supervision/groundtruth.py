"""Reader for the map-matching ground-truth format (Kubička et al. 2015 test set).

Each folder holds ``N.nodes`` (lon lat), ``N.arcs`` (from to, directed), ``N.track`` (lon lat t)
and ``N.route`` (arc ids actually driven). The map becomes a :class:`RoadGraph` whose edges can be
traced back to arc ids, so coverage judged on the graph can be scored against the route.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from xunfang.core.errors import CorruptData, DataNotFound
from xunfang.network.graph import RoadClass, RoadGraph, build_graph
from xunfang.supervision.tracks import Tracks

I64 = NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class GroundTruth:
    graph: RoadGraph
    edge_arc: I64  # arc id of each graph edge
    tracks: Tracks
    route_arcs: I64


def _table(path: Path, cols: int) -> NDArray[np.float64]:
    if not path.is_file():
        raise DataNotFound(f"{path}: ground-truth file not found")
    try:
        data = np.loadtxt(path, ndmin=2)
    except ValueError as exc:
        raise CorruptData(f"{path}: expected {cols} numeric columns ({exc})") from None
    if data.shape[1] < cols:
        raise CorruptData(f"{path}: expected {cols} columns, found {data.shape[1]}")
    return data


def load_groundtruth(folder: Path) -> GroundTruth:
    stem = folder / folder.name
    nodes = _table(Path(f"{stem}.nodes"), 2)
    arcs = _table(Path(f"{stem}.arcs"), 2).astype(np.int64)
    track = _table(Path(f"{stem}.track"), 3)
    route = _table(Path(f"{stem}.route"), 1)[:, 0].astype(np.int64)
    m = arcs.shape[0]
    graph = build_graph(
        name=folder.name,
        node_lon=nodes[:, 0].copy(),
        node_lat=nodes[:, 1].copy(),
        node_ref=np.arange(nodes.shape[0], dtype=np.int64),
        u=arcs[:, 0],
        v=arcs[:, 1],
        oneway=np.ones(m, dtype=bool),
        road_class=np.full(m, RoadClass.RESIDENTIAL, dtype=np.int8),
    )
    n0 = nodes.shape[0]
    key = arcs[:, 0] * n0 + arcs[:, 1]
    order = np.argsort(key, kind="stable")
    gkey = graph.node_ref[graph.edge_u] * n0 + graph.node_ref[graph.edge_v]
    pos = np.clip(np.searchsorted(key[order], gkey), 0, m - 1)
    edge_arc = np.where(key[order][pos] == gkey, order[pos], -1).astype(np.int64)
    tracks = Tracks(
        (folder.name,),
        np.zeros(track.shape[0], dtype=np.int64),
        track[:, 2].copy(),
        track[:, 0].copy(),
        track[:, 1].copy(),
    )
    return GroundTruth(graph, edge_arc, tracks, route)
