"""Edge-list CSV: one row per road piece with WKT geometry and OSM tags, plus an optional node list.

This is what an OSMnx/Overpass export or a bureau's own GIS dump usually looks like
(``../shared/data/beijing/osm_roads_2024``): ``u``/``v`` node ids, ``highway``, ``oneway``
(yes/no/-1), ``maxspeed``, ``name`` (local, e.g. Chinese), ``name_en``, ``length_m`` and a WGS84
``LINESTRING``. Names are kept as written, so Chinese street names reach the dispatcher unchanged.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from xunfang.core.errors import CorruptData, CRSError
from xunfang.network.graph import RoadClass, RoadGraph, build_graph
from xunfang.network.loaders.common import numeric, read_csv, reverse_lines, text, wkt_lines
from xunfang.network.loaders.tags import maxspeeds, oneway_codes

U_COLS = ("u_osm_node", "u", "from_node_id", "source")
V_COLS = ("v_osm_node", "v", "to_node_id", "target")
WKT_COLS = ("wkt_wgs84", "wkt", "geometry", "geom")
NODE_ID_COLS = ("osm_node_id", "node_id", "id", "osmid")
LON_COLS = ("lon", "x", "longitude", "x_coord")
LAT_COLS = ("lat", "y", "latitude", "y_coord")


def _pick(frame: pd.DataFrame, names: tuple[str, ...], path: Path, what: str) -> str:
    for name in names:
        if name in frame.columns:
            return name
    raise CorruptData(f"{path}: no {what} column; expected one of {', '.join(names)}")


def edge_csv_files(source: Path) -> tuple[Path, Path | None]:
    """The edges file and its nodes file (``nodes.csv`` beside it, when there is one)."""
    edges = source / "edges.csv" if source.is_dir() else source
    nodes = edges.with_name("nodes.csv")
    return edges, (nodes if nodes.is_file() and nodes != edges else None)


def load_edge_csv(source: Path, *, name: str | None = None) -> RoadGraph:
    """Read ``edges.csv`` (a file, or a folder holding ``edges.csv`` and ``nodes.csv``)."""
    edges_path, nodes_path = edge_csv_files(source)
    edges = read_csv(edges_path, (), what="an edge-list CSV with u, v and WKT geometry columns")
    u_col = _pick(edges, U_COLS, edges_path, "from-node")
    v_col = _pick(edges, V_COLS, edges_path, "to-node")
    wkt_col = _pick(edges, WKT_COLS, edges_path, "WKT geometry")
    if len(edges) == 0:
        raise CorruptData(f"{edges_path}: the file has a header but no edges")
    ptr, lon, lat = wkt_lines(text(edges, wkt_col), path=edges_path, column=wkt_col)
    _check_wgs84(lon, lat, edges_path, wkt_col)
    u_ref = _ids(edges, u_col, edges_path)
    v_ref = _ids(edges, v_col, edges_path)

    highway = text(edges, "highway")
    junction = text(edges, "junction") if "junction" in edges else None
    direction = oneway_codes(text(edges, "oneway"), highway, junction)
    back = direction < 0
    lon, lat = reverse_lines(ptr, lon, lat, back)
    u_ref, v_ref = np.where(back, v_ref, u_ref), np.where(back, u_ref, v_ref)

    node_ref, node_lon, node_lat = _nodes(nodes_path, u_ref=u_ref, v_ref=v_ref, ptr=ptr, lon=lon, lat=lat)
    index = pd.Index(node_ref)
    u = index.get_indexer(u_ref)
    v = index.get_indexer(v_ref)
    if (u < 0).any() or (v < 0).any():
        row = int(np.flatnonzero((u < 0) | (v < 0))[0])
        raise CorruptData(f"{edges_path}: row {row + 2} refers to a node not listed in {nodes_path}")
    names = text(edges, "name")
    if "name_en" in edges:  # fall back to the English name where the local one is missing
        english = text(edges, "name_en")
        names = np.where(names == "", english, names)
    speed = maxspeeds(edges["maxspeed"]) if "maxspeed" in edges else None
    length_col = "length_m" if "length_m" in edges else "length"
    return build_graph(
        name=name or edges_path.parent.name,
        node_lon=node_lon,
        node_lat=node_lat,
        node_ref=node_ref,
        u=u.astype(np.int64),
        v=v.astype(np.int64),
        oneway=direction != 0,
        road_class=np.array([RoadClass.from_highway(h) for h in highway], dtype=np.int8),
        speed_kmh=speed,
        length_m=numeric(edges, length_col),
        edge_name=names,
        geometry=(ptr, lon, lat),
        meta={"source": str(source), "format": "edge-csv"},
    )


def _ids(frame: pd.DataFrame, column: str, path: Path) -> np.ndarray:
    values = numeric(frame, column)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        row = int(bad[0])
        raise CorruptData(f"{path}: row {row + 2}, column {column}: expected an integer node id")
    return values.astype(np.int64)


def _nodes(
    nodes_path: Path | None,
    *,
    u_ref: np.ndarray,
    v_ref: np.ndarray,
    ptr: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Node ids and coordinates: from nodes.csv, else from the geometry's end points."""
    if nodes_path is None:
        refs = np.concatenate([u_ref, v_ref])
        at = np.concatenate([ptr[:-1], ptr[1:] - 1])
        node_ref, first = np.unique(refs, return_index=True)
        return node_ref, lon[at[first]], lat[at[first]]
    nodes = read_csv(nodes_path, (), what="the node list of an edge-list CSV")
    id_col = _pick(nodes, NODE_ID_COLS, nodes_path, "node id")
    lon_col = _pick(nodes, LON_COLS, nodes_path, "longitude")
    lat_col = _pick(nodes, LAT_COLS, nodes_path, "latitude")
    node_lon, node_lat = numeric(nodes, lon_col), numeric(nodes, lat_col)
    if not (np.isfinite(node_lon).all() and np.isfinite(node_lat).all()):
        row = int(np.flatnonzero(~(np.isfinite(node_lon) & np.isfinite(node_lat)))[0])
        raise CorruptData(f"{nodes_path}: row {row + 2}: {lon_col}/{lat_col} must be WGS84 numbers")
    _check_wgs84(node_lon, node_lat, nodes_path, f"{lon_col}/{lat_col}")
    return _ids(nodes, id_col, nodes_path), node_lon, node_lat


def _check_wgs84(lon: np.ndarray, lat: np.ndarray, path: Path, column: str) -> None:
    """Refuse projected coordinates passed off as lon/lat (the usual sign of a CRS mix-up)."""
    outside = np.flatnonzero((np.abs(lon) > 180.0) | (np.abs(lat) > 90.0))
    if outside.size:
        i = int(outside[0])
        raise CRSError(
            f"{path}: column {column} has ({lon[i]:.1f}, {lat[i]:.1f}), not a WGS84 lon/lat; "
            "expected longitude in [-180, 180] and latitude in [-90, 90] (reproject to EPSG:4326 first)"
        )
