"""GMNS (General Modeling Network Specification) node.csv + link.csv."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from xunfang.core.errors import CorruptData, DataNotFound
from xunfang.network.graph import RoadClass, RoadGraph, build_graph

NODE_COLS = ("node_id", "x_coord", "y_coord")
LINK_COLS = ("from_node_id", "to_node_id")


def _read(path: Path, required: tuple[str, ...]) -> pd.DataFrame:
    if not path.is_file():
        raise DataNotFound(f"{path}: file not found (a GMNS network needs node.csv and link.csv)")
    try:
        frame = pd.read_csv(path, low_memory=False)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise CorruptData(f"{path}: not a readable CSV ({exc})") from None
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise CorruptData(
            f"{path}: missing column(s) {', '.join(missing)}; expected GMNS columns {', '.join(required)}"
        )
    return frame


def _numeric(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A numeric column as float64 (NaN where empty or missing: the builder fills it in)."""
    if column not in frame:
        return np.full(len(frame), np.nan)
    return np.asarray(pd.to_numeric(frame[column], errors="coerce"), dtype=np.float64)


def load_gmns(folder: Path, *, name: str | None = None) -> RoadGraph:
    """Read a GMNS folder. Links are directed as given (GMNS lists each direction as its own link)."""
    nodes = _read(folder / "node.csv", NODE_COLS)
    links = _read(folder / "link.csv", LINK_COLS)
    index = pd.Index(nodes["node_id"])
    u = index.get_indexer(links["from_node_id"])
    v = index.get_indexer(links["to_node_id"])
    if (u < 0).any() or (v < 0).any():
        bad = int(np.flatnonzero((u < 0) | (v < 0))[0])
        raise CorruptData(f"{folder / 'link.csv'}: row {bad + 2} refers to a node not in node.csv")
    lon = pd.to_numeric(nodes["x_coord"], errors="coerce").to_numpy(np.float64)
    lat = pd.to_numeric(nodes["y_coord"], errors="coerce").to_numpy(np.float64)
    if not (np.isfinite(lon).all() and np.isfinite(lat).all()):
        raise CorruptData(f"{folder / 'node.csv'}: x_coord/y_coord must be numbers (WGS84 lon/lat)")
    directed = (
        links["directed"].fillna(1).astype(int).to_numpy()
        if "directed" in links
        else np.ones(len(links), int)
    )
    kind = links["facility_type"] if "facility_type" in links else pd.Series([""] * len(links))
    road_class = np.array([RoadClass.from_highway(k) for k in kind], dtype=np.int8)
    speed = _numeric(links, "free_speed")
    length = _numeric(links, "length")
    geometry = None
    if "geometry" in links:
        geoms = shapely.from_wkt(links["geometry"].fillna("").to_numpy(str), on_invalid="ignore")
        if not shapely.is_missing(geoms).any():
            coords, which = shapely.get_coordinates(geoms, return_index=True)
            ptr = np.zeros(len(links) + 1, dtype=np.int64)
            np.cumsum(np.bincount(which, minlength=len(links)), out=ptr[1:])
            geometry = (ptr, coords[:, 0].copy(), coords[:, 1].copy())
    names = links["name"].fillna("").astype(str).to_numpy(np.str_) if "name" in links else None
    return build_graph(
        name=name or folder.name,
        node_lon=lon,
        node_lat=lat,
        node_ref=pd.to_numeric(nodes["node_id"], errors="coerce").fillna(-1).to_numpy(np.int64),
        u=u.astype(np.int64),
        v=v.astype(np.int64),
        oneway=directed.astype(bool),
        road_class=road_class,
        speed_kmh=speed.astype(np.float32),
        length_m=length,
        edge_name=names,
        geometry=geometry,
        meta={"source": str(folder), "format": "gmns"},
    )
