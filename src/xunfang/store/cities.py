"""Which road network serves a jurisdiction (by its root code)."""

from __future__ import annotations

import importlib
from pathlib import Path

from xunfang.core.errors import Unavailable
from xunfang.jurisdiction.model import Jurisdiction, Level
from xunfang.network.graph import RoadGraph
from xunfang.network.loaders.gmns import load_gmns

ROOT_CITY = {"CHI": "chicago", "BJ": "beijing"}


def city_of(jur: Jurisdiction | None) -> str | None:
    """The demo-city key (``chicago``) of a loaded jurisdiction, if it is one."""
    if jur is None:
        return None
    roots = jur.of_level(Level.CITY)
    return ROOT_CITY.get(roots[0].code) if roots else None


def road_graph(city: str, data_dir: Path) -> RoadGraph:
    """The city's graph via ``xunfang.network.io.load_city`` (cached) where that loader exists;
    Chicago falls back to reading its GMNS folder directly."""
    try:
        io = importlib.import_module("xunfang.network.io")
        graph: RoadGraph = io.load_city(city)
        return graph
    except (ImportError, AttributeError):
        if city == "chicago":
            return load_gmns(data_dir / "chicago" / "osm_arterial_network_gmns", name="chicago")
        raise Unavailable(
            f"no road-network loader for {city!r} in this build (needs xunfang.network.io.load_city)"
        ) from None
