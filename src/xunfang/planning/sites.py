"""Candidate sites other than network nodes: police stations."""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from xunfang.core.errors import CorruptData, DataNotFound
from xunfang.core.settings import get_settings
from xunfang.network.graph import RoadGraph
from xunfang.network.snap import Snapper

STATIONS = {"chicago": "chicago/chicago_police_stations.csv"}


def station_nodes(graph: RoadGraph, city: str = "chicago") -> NDArray[np.int64]:
    """Network nodes nearest to the city's police stations (CSV with lat, lng columns)."""
    rel = STATIONS.get(city.lower())
    path = get_settings().data_dir / rel if rel else None
    if path is None or not path.is_file():
        raise DataNotFound(f"no police station list for city '{city}' (known: {', '.join(STATIONS)})")
    frame = pd.read_csv(path)
    if not {"lat", "lng"} <= set(frame.columns):
        raise CorruptData(f"{path}: expected columns lat, lng")
    nodes, _ = Snapper(graph).snap(frame["lng"].to_numpy(float), frame["lat"].to_numpy(float), name="station")
    return np.asarray(nodes, dtype=np.int64)
