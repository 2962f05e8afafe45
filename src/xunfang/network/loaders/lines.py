"""Line layers (shapefile, GeoPackage, GeoJSON, FlatGeobuf …) read with pyogrio.

Bureaus keep streets as GIS line layers in a local projected CRS (Tempe's streets are in Arizona
State Plane feet). The layer's CRS is read from the file and the lines are transformed to WGS84;
a layer without a CRS is refused unless the caller names one, since guessing a CRS silently moves
every road. Line layers carry no topology: nodes are made from line end points that lie within
``tolerance_m`` of each other, and a line is also cut where one of its inner vertices meets
another line's end point (a T-junction drawn without splitting the through street).
Lines are two-way unless a ``oneway`` attribute says otherwise (see
:func:`~xunfang.network.loaders.tags.oneway_code`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from pyproj import CRS, Transformer
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from xunfang.core.errors import CorruptData, CRSError, DataNotFound
from xunfang.core.geo import MetricProjection, parse_crs
from xunfang.network.graph import RoadClass, RoadGraph, build_graph
from xunfang.network.loaders.common import lines_to_arrays, reverse_lines
from xunfang.network.loaders.tags import maxspeeds, oneway_codes

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]
LINE_SUFFIXES = (".shp", ".gpkg", ".geojson", ".json", ".fgb", ".gml", ".kml", ".sqlite")
_FIELDS = {
    "oneway": ("oneway", "one_way", "oneway_code"),
    "highway": ("highway", "fclass", "road_class", "class", "type"),
    "name": ("name", "street", "st_name", "fullname", "name_zh"),
    "maxspeed": ("maxspeed", "max_speed", "speed", "speed_kmh"),
}


def load_lines(
    path: Path,
    *,
    crs: str | None = None,
    layer: str | None = None,
    name: str | None = None,
    tolerance_m: float = 1.0,
) -> RoadGraph:
    """Read a line layer as a road network (``crs`` overrides or supplies the layer's CRS)."""
    if not path.exists():
        raise DataNotFound(f"{path}: file not found (expected a line layer: {', '.join(LINE_SUFFIXES)})")
    meta, geoms, fields = _read(path, layer)
    src_crs = _source_crs(path, meta.get("crs"), crs)
    parts, which = shapely.get_parts(geoms, return_index=True)
    parts = np.asarray(parts)
    keep = (shapely.get_type_id(parts) == shapely.GeometryType.LINESTRING) & (
        shapely.get_num_coordinates(parts) >= 2
    )
    parts, which = parts[keep], which[keep]
    if parts.size == 0:
        raise CorruptData(f"{path}: the layer has no line features (found {meta.get('geometry_type')})")
    ptr, x, y = lines_to_arrays(parts)
    lon, lat = _to_wgs84(path, src_crs, x, y)
    attrs = {key: _field(fields, meta, names, which) for key, names in _FIELDS.items()}
    direction = oneway_codes(attrs["oneway"], attrs["highway"])
    lon, lat = reverse_lines(ptr, lon, lat, direction < 0)
    proj = MetricProjection.for_points(lon, lat)
    mx, my = proj.to_xy(lon, lat)
    cut, label = _junctions(ptr, mx, my, tolerance_m)
    start, stop = cut[:-1], cut[1:]
    line_of = np.repeat(np.arange(ptr.size - 1), np.diff(ptr))
    same = line_of[start] == line_of[stop]
    start, stop = start[same], stop[same]
    line = line_of[start]
    lens = stop - start + 1
    gptr = np.zeros(start.size + 1, dtype=np.int64)
    np.cumsum(lens, out=gptr[1:])
    src = np.repeat(start, lens) + (np.arange(gptr[-1]) - np.repeat(gptr[:-1], lens))
    node_of_vertex = np.full(lon.size, -1, dtype=np.int64)
    node_of_vertex[cut] = label
    first = np.full(int(label.max()) + 1, -1, dtype=np.int64)
    first[label[::-1]] = cut[::-1]
    highway = attrs["highway"][line]
    road_class = (
        np.array([RoadClass.from_highway(h) for h in highway], dtype=np.int8)
        if (highway != "").any()
        else np.full(line.size, RoadClass.RESIDENTIAL, dtype=np.int8)
    )
    return build_graph(
        name=name or path.stem,
        node_lon=lon[first],
        node_lat=lat[first],
        node_ref=np.arange(first.size, dtype=np.int64),
        u=node_of_vertex[start],
        v=node_of_vertex[stop],
        oneway=direction[line] != 0,
        road_class=road_class,
        speed_kmh=maxspeeds(attrs["maxspeed"][line]),
        edge_name=attrs["name"][line],
        geometry=(gptr, lon[src], lat[src]),
        meta={
            "source": str(path),
            "format": "lines",
            "source_crs": src_crs.to_string(),
            "features": int(geoms.size),
        },
    )


def _read(path: Path, layer: str | None) -> tuple[dict[str, Any], NDArray[np.object_], list[Any]]:
    import pyogrio
    from pyogrio.errors import DataLayerError, DataSourceError

    try:
        if layer is None:
            layers = pyogrio.list_layers(str(path))
            lines = [str(n) for n, kind in layers if kind and "LineString" in str(kind)]
            layer = lines[0] if lines else (str(layers[0][0]) if len(layers) else None)
        meta, _, wkb, fields = pyogrio.raw.read(str(path), layer=layer, force_2d=True)
    except (DataSourceError, DataLayerError) as exc:
        raise CorruptData(f"{path}: not a readable line layer ({str(exc).splitlines()[0]})") from None
    if wkb is None:
        raise CorruptData(f"{path}: the layer has no geometry column")
    geoms = shapely.from_wkb(wkb, on_invalid="ignore")
    return dict(meta), np.asarray(geoms), list(fields)


def _source_crs(path: Path, layer_crs: object, override: str | None) -> CRS:
    if override:
        return parse_crs(override)
    if not layer_crs:
        raise CRSError(
            f"{path}: the layer has no CRS (no .prj or CRS metadata); pass --crs, e.g. --crs EPSG:2913"
        )
    try:
        return CRS.from_user_input(layer_crs)
    except Exception:
        raise CRSError(f"{path}: unknown CRS {str(layer_crs)[:80]!r}; pass --crs to name it") from None


def _to_wgs84(path: Path, src: CRS, x: F64, y: F64) -> tuple[F64, F64]:
    transformer = Transformer.from_crs(src, "EPSG:4326", always_xy=True)
    lon, lat = (np.asarray(a, dtype=np.float64) for a in transformer.transform(x, y))
    ok = np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90)
    if not ok.all():
        i = int(np.flatnonzero(~ok)[0])
        raise CRSError(
            f"{path}: point ({x[i]:.3f}, {y[i]:.3f}) cannot be transformed from {src.to_string()} to WGS84; "
            "is the CRS right? (pass --crs to override it)"
        )
    return lon, lat


def _field(fields: list[Any], meta: dict[str, Any], names: tuple[str, ...], which: I64) -> NDArray[np.str_]:
    """The first attribute named like one of ``names`` (case-insensitive), per exploded part."""
    columns = [str(c).lower() for c in meta.get("fields", [])]
    for want in names:
        if want in columns:
            raw = fields[columns.index(want)]
            values = np.array(["" if _blank(v) else _fmt(v) for v in raw], dtype=np.str_)
            return values[which]
    return np.full(which.size, "", dtype=np.str_)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and not np.isfinite(value))


def _fmt(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _junctions(ptr: I64, x: F64, y: F64, tol: float) -> tuple[I64, I64]:
    """Vertices where lines are cut and the node label of each.

    End points within ``tol`` metres of each other become one node; an inner vertex within ``tol``
    of an end point is cut there and joins that node.
    """
    ends = np.unique(np.concatenate([ptr[:-1], ptr[1:] - 1]))
    pts = np.column_stack([x[ends], y[ends]])
    tree = cKDTree(pts)
    pairs = tree.query_pairs(tol, output_type="ndarray")
    adj = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(ends.size, ends.size))
    _, end_label = connected_components(adj, directed=False)
    inner = np.setdiff1d(np.arange(x.size), ends)
    dist, idx = tree.query(np.column_stack([x[inner], y[inner]]), distance_upper_bound=tol)
    hit = np.isfinite(dist)
    cut = np.concatenate([ends, inner[hit]])
    label = np.concatenate([end_label, end_label[idx[hit]]])
    order = np.argsort(cut, kind="stable")
    return cut[order].astype(np.int64), label[order].astype(np.int64)
