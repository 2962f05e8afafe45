"""OpenStreetMap PBF (or .osm XML) through pyosmium: the driveable road network.

One streaming pass reads nodes (locations only) and the ways a car may use (see
:func:`~xunfang.network.loaders.tags.is_driveable`). A way is cut into edges at every node it
shares with another driveable way (a junction) and at its ends, so that routing can turn there;
shape points in between stay in the edge geometry. Direction follows ``oneway`` (``-1`` turns the
way round; roundabouts and motorways are one-way by default), speed follows ``maxspeed``, and the
name is ``name`` (else ``name:zh``, ``name:en``, ``ref``). Ways that leave the extract are cut
where their nodes have no location.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from xunfang.core.errors import CorruptData, DataNotFound
from xunfang.network.graph import RoadClass, RoadGraph, build_graph
from xunfang.network.loaders.tags import is_driveable, maxspeed_kmh, oneway_code, road_name

I64 = NDArray[np.int64]


@dataclass
class _Ways:
    """Driveable ways as flat arrays (one run of located nodes per entry)."""

    refs: array[int] = field(default_factory=lambda: array("q"))
    lon: array[float] = field(default_factory=lambda: array("d"))
    lat: array[float] = field(default_factory=lambda: array("d"))
    run: array[int] = field(default_factory=lambda: array("q"))  # which entry each node belongs to
    highway: list[str] = field(default_factory=list)
    oneway: list[int] = field(default_factory=list)
    speed: list[float] = field(default_factory=list)
    name: list[str] = field(default_factory=list)
    n_ways: int = 0

    def add(self, refs: list[int], lons: list[float], lats: list[float], tags: dict[str, str]) -> None:
        if len(refs) < 2:
            return
        entry = len(self.highway)
        self.refs.extend(refs)
        self.lon.extend(lons)
        self.lat.extend(lats)
        self.run.extend([entry] * len(refs))
        highway = tags.get("highway", "")
        self.highway.append(highway)
        self.oneway.append(
            oneway_code(tags.get("oneway"), highway=highway, junction=tags.get("junction", ""))
        )
        self.speed.append(maxspeed_kmh(tags.get("maxspeed", "")))
        self.name.append(road_name(tags))


def _read(path: Path) -> _Ways:
    import osmium

    ways = _Ways()
    try:
        processor = (
            osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
            .with_locations()
            .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
            .with_filter(osmium.filter.KeyFilter("highway"))
        )
        for way in processor:
            assert isinstance(way, osmium.osm.Way)  # the entity filter lets only ways through
            tags = {t.k: t.v for t in way.tags}
            if not is_driveable(tags):
                continue
            ways.n_ways += 1
            refs: list[int] = []
            lons: list[float] = []
            lats: list[float] = []
            for nd in way.nodes:
                if nd.location.valid():
                    refs.append(nd.ref)
                    lons.append(nd.location.lon)
                    lats.append(nd.location.lat)
                else:  # the way leaves the extract: close this run, start another
                    ways.add(refs, lons, lats, tags)
                    refs, lons, lats = [], [], []
            ways.add(refs, lons, lats, tags)
    except RuntimeError as exc:
        raise CorruptData(f"{path}: not a readable OSM file ({str(exc).splitlines()[0]})") from None
    return ways


def load_osm_pbf(path: Path, *, name: str | None = None) -> RoadGraph:
    """Read the driveable network of an OSM PBF/XML extract."""
    if not path.is_file():
        raise DataNotFound(f"{path}: file not found (expected an OpenStreetMap .osm.pbf extract)")
    ways = _read(path)
    if not ways.highway:
        raise CorruptData(f"{path}: no driveable highway ways found (is this an OSM extract of a city?)")
    refs = np.frombuffer(ways.refs, dtype=np.int64)
    lon = np.frombuffer(ways.lon, dtype=np.float64)
    lat = np.frombuffer(ways.lat, dtype=np.float64)
    run = np.frombuffer(ways.run, dtype=np.int64)
    cut = _cut_points(refs, run)
    start, stop = cut[:-1], cut[1:]
    same = run[start] == run[stop]  # consecutive cut points on one run bound an edge
    start, stop = start[same], stop[same]
    entry = run[start]
    lens = stop - start + 1
    ptr = np.zeros(start.size + 1, dtype=np.int64)
    np.cumsum(lens, out=ptr[1:])
    src = np.repeat(start, lens) + (np.arange(ptr[-1]) - np.repeat(ptr[:-1], lens))
    g_lon, g_lat = lon[src], lat[src]
    direction = np.asarray(ways.oneway, dtype=np.int8)[entry]
    u_ref, v_ref = refs[start], refs[stop]
    back = direction < 0
    if back.any():
        from xunfang.network.loaders.common import reverse_lines

        g_lon, g_lat = reverse_lines(ptr, g_lon, g_lat, back)
        u_ref, v_ref = np.where(back, v_ref, u_ref), np.where(back, u_ref, v_ref)
    node_ref, inverse = np.unique(np.concatenate([u_ref, v_ref]), return_inverse=True)
    at = np.concatenate([start, stop])
    first = np.full(node_ref.size, -1, dtype=np.int64)
    first[inverse[::-1]] = at[::-1]
    return build_graph(
        name=name or path.name.split(".")[0],
        node_lon=lon[first],
        node_lat=lat[first],
        node_ref=node_ref,
        u=inverse[: start.size].astype(np.int64),
        v=inverse[start.size :].astype(np.int64),
        oneway=direction != 0,
        road_class=np.array([RoadClass.from_highway(h) for h in ways.highway], dtype=np.int8)[entry],
        speed_kmh=np.asarray(ways.speed, dtype=np.float32)[entry],
        edge_name=np.asarray(ways.name, dtype=np.str_)[entry],
        geometry=(ptr, g_lon, g_lat),
        meta={"source": str(path), "format": "osm-pbf", "osm_ways": ways.n_ways},
    )


def _cut_points(refs: I64, run: I64) -> I64:
    """Indices (into the flat node arrays) where ways are cut: run ends and shared nodes."""
    _, inverse, counts = np.unique(refs, return_inverse=True, return_counts=True)
    shared = counts[inverse] > 1  # a node used twice (two ways, or a loop closing on itself)
    ends = np.zeros(refs.size, dtype=bool)
    ends[0] = ends[-1] = True
    boundary = np.flatnonzero(run[1:] != run[:-1])
    ends[boundary] = ends[boundary + 1] = True
    return np.flatnonzero(shared | ends).astype(np.int64)
