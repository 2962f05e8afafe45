"""Which road network serves a jurisdiction (by its root code)."""

from __future__ import annotations

import importlib
from pathlib import Path

from xunfang.core.errors import Unavailable
from xunfang.network.graph import RoadGraph
from xunfang.network.loaders.gmns import load_gmns

ROOT_CITY = {"CHI": "chicago", "BJ": "beijing"}


def road_graph(city: str, data_dir: Path) -> RoadGraph:
    if city == "chicago":
        return load_gmns(data_dir / "chicago" / "osm_arterial_network_gmns", name="chicago")
    try:
        io = importlib.import_module("xunfang.network.io")
        load_city = io.load_city
    except (ImportError, AttributeError):
        raise Unavailable(
            f"no road-network loader for {city!r} in this build (needs xunfang.network.io.load_city)"
        ) from None
    graph: RoadGraph = load_city(city)
    return graph
