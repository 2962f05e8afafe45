"""GMNS (General Modeling Network Specification) node.csv + link.csv.

GMNS lists each direction of a two-way road as its own directed link (``directed=1``); the two
links of one road are paired here (same OSM way, opposite end nodes) and given one segment id so
that the road's length counts once in coverage shares and in ``network info``. A link with
``directed=0`` is a two-way road given once. ``dir_flag=-1`` means the WKT is drawn from the
link's to-node to its from-node; it is turned round so that geometry always runs tail to head.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from xunfang.core.errors import CorruptData, CRSError
from xunfang.network.graph import RoadClass, RoadGraph, build_graph
from xunfang.network.loaders.common import numeric, read_csv, reverse_lines, text, wkt_lines
from xunfang.network.loaders.tags import maxspeeds

NODE_COLS = ("node_id", "x_coord", "y_coord")
LINK_COLS = ("from_node_id", "to_node_id")


def gmns_files(folder: Path) -> tuple[Path, Path]:
    return folder / "node.csv", folder / "link.csv"


def load_gmns(folder: Path, *, name: str | None = None) -> RoadGraph:
    """Read a GMNS folder (``node.csv`` and ``link.csv``, WGS84 ``x_coord``/``y_coord``)."""
    node_path, link_path = gmns_files(folder)
    what = "a GMNS network needs node.csv and link.csv"
    nodes = read_csv(node_path, NODE_COLS, what=what)
    links = read_csv(link_path, LINK_COLS, what=what)
    if len(links) == 0:
        raise CorruptData(f"{link_path}: the file has a header but no links")
    index = pd.Index(nodes["node_id"])
    u = index.get_indexer(links["from_node_id"])
    v = index.get_indexer(links["to_node_id"])
    if (u < 0).any() or (v < 0).any():
        bad = int(np.flatnonzero((u < 0) | (v < 0))[0])
        raise CorruptData(f"{link_path}: row {bad + 2} refers to a node not in node.csv")
    lon, lat = numeric(nodes, "x_coord"), numeric(nodes, "y_coord")
    if not (np.isfinite(lon).all() and np.isfinite(lat).all()):
        row = int(np.flatnonzero(~(np.isfinite(lon) & np.isfinite(lat)))[0])
        raise CorruptData(f"{node_path}: row {row + 2}: x_coord/y_coord must be numbers (WGS84 lon/lat)")
    if (np.abs(lon) > 180).any() or (np.abs(lat) > 90).any():
        raise CRSError(
            f"{node_path}: x_coord/y_coord are not WGS84 lon/lat (values beyond ±180/±90); "
            "GMNS networks must be in EPSG:4326"
        )
    directed = numeric(links, "directed")
    oneway = np.where(np.isfinite(directed), directed != 0, True)
    geometry = None
    if "geometry" in links and links["geometry"].notna().all():
        ptr, glon, glat = wkt_lines(text(links, "geometry"), path=link_path, column="geometry")
        flip = numeric(links, "dir_flag") == -1
        glon, glat = reverse_lines(ptr, glon, glat, flip)
        geometry = (ptr, glon, glat)
    names = text(links, "name") if "name" in links else None
    return build_graph(
        name=name or folder.name,
        node_lon=lon,
        node_lat=lat,
        node_ref=np.nan_to_num(numeric(nodes, "node_id"), nan=-1).astype(np.int64),
        u=u.astype(np.int64),
        v=v.astype(np.int64),
        oneway=oneway,
        road_class=np.array([RoadClass.from_highway(k) for k in text(links, "facility_type")], dtype=np.int8),
        speed_kmh=_free_speed(links),
        length_m=numeric(links, "length"),
        edge_name=names,
        geometry=geometry,
        meta={"source": str(folder), "format": "gmns"},
        segment=pair_opposite(u, v, _way_ids(links)),
    )


def _free_speed(links: pd.DataFrame) -> np.ndarray:
    """Free speed in km/h: the OSM ``maxspeed`` tag kept in ``free_speed_raw`` where it parses,
    else ``free_speed``.

    The raw tag comes first because some osm2gmns versions copy "35 mph" into ``free_speed`` as
    35 (the Tempe network does: 35 mph roads at 35 km/h), while the tag carries its unit.
    """
    speed = numeric(links, "free_speed").astype(np.float32)
    if "free_speed_raw" in links:
        raw = maxspeeds(links["free_speed_raw"])
        speed = np.where(np.isfinite(raw), raw, speed).astype(np.float32)
    return speed


def _way_ids(links: pd.DataFrame) -> np.ndarray:
    """The OSM way of each link (-1 when unknown: then only the end nodes pair links)."""
    if "osm_way_id" not in links:
        return np.full(len(links), -1, dtype=np.int64)
    return np.nan_to_num(numeric(links, "osm_way_id"), nan=-1).astype(np.int64)


def pair_opposite(u: np.ndarray, v: np.ndarray, way: np.ndarray) -> np.ndarray:
    """Segment labels: the links u→v and v→u of the same way share one label, others their own.

    Only clean pairs (exactly one link each way between the two nodes on that way) are merged, so
    parallel carriageways drawn as separate links stay separate roads.
    """
    m = u.size
    lo, hi = np.minimum(u, v).astype(np.int64), np.maximum(u, v).astype(np.int64)
    keys = np.stack([lo, hi, way.astype(np.int64)], axis=1)
    _, group, count = np.unique(keys, axis=0, return_inverse=True, return_counts=True)
    group = group.ravel()
    forward = (u < v).astype(np.int64)
    n_forward = np.bincount(group, weights=forward, minlength=count.size)
    clean = (count == 2) & (n_forward == 1)
    return np.where(clean[group], m + group, np.arange(m)).astype(np.int64)
