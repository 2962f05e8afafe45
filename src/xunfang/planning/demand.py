"""Incident weights for planning, per network node.

Planning wants "how much trouble is expected near each node". Until forecasts are wired in, the
weight of a node is the number of historical incidents in a training window snapped to it; this
function is the single place to swap in a forecast later (same output: one float per node).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from xunfang.core.errors import CorruptData, DataNotFound, InvalidInput
from xunfang.network.graph import RoadGraph
from xunfang.network.snap import Snapper

F64 = NDArray[np.float64]

CHICAGO_ASSAULTS = "chicago/chicago_aggravated_assaults_2010_2019.csv.gz"


def read_incidents(path: Path, start: date, end: date) -> pd.DataFrame:
    """Incidents (columns date, longitude, latitude) with ``start <= date < end``."""
    if not path.is_file():
        raise DataNotFound(f"{path}: incident file not found")
    try:
        frame = pd.read_csv(path, usecols=["date", "longitude", "latitude"])
    except ValueError as exc:
        raise CorruptData(f"{path}: expected columns date, longitude, latitude ({exc})") from None
    when = pd.to_datetime(frame["date"], errors="coerce")
    keep = (when >= pd.Timestamp(start)) & (when < pd.Timestamp(end))
    keep &= frame["longitude"].notna() & frame["latitude"].notna()
    return frame.loc[keep].assign(date=when[keep]).reset_index(drop=True)


def demand_weights(
    graph: RoadGraph,
    incidents: Path,
    *,
    start: date = date(2018, 1, 1),
    end: date = date(2019, 1, 1),
    hours: tuple[int, ...] | None = None,
    max_offset_m: float = 1000.0,
) -> F64:
    """Incident count per node in ``[start, end)`` (optionally only the given hours of day).

    Incidents farther than ``max_offset_m`` from the network are dropped (outside the area served).
    """
    if end <= start:
        raise InvalidInput(f"training window is empty: start {start} is not before end {end}", field="start")
    frame = read_incidents(incidents, start, end)
    if hours is not None:
        frame = frame[frame["date"].dt.hour.isin(hours)]
    weights = np.zeros(graph.n_nodes)
    if frame.empty:
        return weights
    snapper = Snapper(graph, max_offset_m=1e12)
    nodes, offs = snapper.snap(frame["longitude"].to_numpy(), frame["latitude"].to_numpy(), name="incident")
    near = offs <= max_offset_m
    weights += np.bincount(nodes[near], minlength=graph.n_nodes)
    return weights


def zone_hour_demand(incidents: Path, *, start: date, end: date) -> tuple[list[str], F64]:
    """Expected incidents per zone (the file's ``district`` column) and hour of day, per day."""
    if not incidents.is_file():
        raise DataNotFound(f"{incidents}: incident file not found")
    frame = pd.read_csv(incidents, usecols=["date", "district"])
    when = pd.to_datetime(frame["date"], errors="coerce")
    keep = (when >= pd.Timestamp(start)) & (when < pd.Timestamp(end)) & frame["district"].notna()
    if not keep.any():
        raise InvalidInput(f"{incidents}: no incidents between {start} and {end}", field="start")
    zone = frame.loc[keep, "district"].astype(int).astype(str).to_numpy()
    hour = when[keep].dt.hour.to_numpy()
    names, code = np.unique(zone, return_inverse=True)
    counts = np.zeros((names.size, 24))
    np.add.at(counts, (code, hour), 1.0)
    days = max((end - start).days, 1)
    return [f"D{n}" for n in names], counts / days


def node_zones(graph: RoadGraph, incidents: Path, *, start: date, end: date) -> NDArray[np.str_]:
    """A zone per node: the district of the nearest incident (the data carry no zone polygons)."""
    frame = pd.read_csv(incidents, usecols=["date", "longitude", "latitude", "district"]).dropna()
    frame = frame[
        (pd.to_datetime(frame["date"]) >= pd.Timestamp(start))
        & (pd.to_datetime(frame["date"]) < pd.Timestamp(end))
    ]
    from scipy.spatial import cKDTree

    x, y = graph.projection.to_xy(frame["longitude"].to_numpy(), frame["latitude"].to_numpy())
    _, idx = cKDTree(np.column_stack([x, y])).query(np.column_stack([graph.node_x, graph.node_y]))
    names = np.array([f"D{int(d)}" for d in frame["district"].to_numpy()])
    out: NDArray[np.str_] = names[idx]
    return out
