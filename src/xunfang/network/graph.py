"""The compact road graph every query runs on.

A :class:`RoadGraph` is a directed graph in CSR form, held as plain numpy arrays so that numba
kernels, scipy and the disk cache all use it without conversion. Loaders (GMNS, OSM PBF, line
layers, edge CSV) produce raw edge lists and call :func:`build_graph`, which

* adds the reverse of every two-way edge,
* keeps the largest strongly connected component (routing on anything else gives answers that
  exist in one direction only) and records how much was dropped,
* renumbers nodes along a Z-order curve so that nodes close on the map are close in memory
  (searches touch neighbouring cache lines), and
* sorts edges by tail node to form the forward CSR; the reverse CSR (for searches towards an
  incident) is derived once and cached.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from xunfang.core.errors import CorruptData
from xunfang.core.geo import MetricProjection

F64 = NDArray[np.float64]
I32 = NDArray[np.int32]
I64 = NDArray[np.int64]


class RoadClass(IntEnum):
    """Road classes, ordered from fastest to slowest; OSM ``highway`` values map onto them."""

    MOTORWAY = 0
    TRUNK = 1
    PRIMARY = 2
    SECONDARY = 3
    TERTIARY = 4
    RESIDENTIAL = 5
    SERVICE = 6
    PATH = 7  # footway, cycleway, pedestrian, path, steps, track

    @classmethod
    def from_highway(cls, value: object) -> RoadClass:
        """Map an OSM/GMNS ``highway``/``facility_type`` string (``primary_link`` → PRIMARY)."""
        key = str(value or "").strip().lower().removesuffix("_link")
        return _HIGHWAY.get(key, cls.RESIDENTIAL)


_HIGHWAY: dict[str, RoadClass] = {
    "motorway": RoadClass.MOTORWAY,
    "trunk": RoadClass.TRUNK,
    "primary": RoadClass.PRIMARY,
    "secondary": RoadClass.SECONDARY,
    "tertiary": RoadClass.TERTIARY,
    "unclassified": RoadClass.RESIDENTIAL,
    "residential": RoadClass.RESIDENTIAL,
    "living_street": RoadClass.RESIDENTIAL,
    "road": RoadClass.RESIDENTIAL,
    "service": RoadClass.SERVICE,
    "busway": RoadClass.SERVICE,
    "footway": RoadClass.PATH,
    "pedestrian": RoadClass.PATH,
    "path": RoadClass.PATH,
    "cycleway": RoadClass.PATH,
    "steps": RoadClass.PATH,
    "track": RoadClass.PATH,
    "bridleway": RoadClass.PATH,
}


@dataclass(frozen=True, eq=False)
class RoadGraph:
    """A directed road graph in CSR order (edges sorted by tail node ``edge_u``).

    Node arrays have length ``n``, edge arrays length ``m``. ``edge_segment`` gives both directions
    of a two-way road the same id so that road length is counted once. Edge ``e``'s display
    geometry is ``geom_lon[geom_ptr[e]:geom_ptr[e+1]]`` (and ``geom_lat``), from tail to head.
    """

    name: str
    crs: str
    node_lon: F64
    node_lat: F64
    node_x: F64
    node_y: F64
    node_ref: I64
    indptr: I64
    edge_u: I32
    edge_v: I32
    edge_length_m: F64
    edge_class: NDArray[np.int8]
    edge_speed_kmh: NDArray[np.float32]
    edge_oneway: NDArray[np.bool_]
    edge_segment: I32
    edge_name: NDArray[np.str_]
    geom_ptr: I64
    geom_lon: F64
    geom_lat: F64
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def n_nodes(self) -> int:
        return int(self.node_lon.shape[0])

    @property
    def n_edges(self) -> int:
        return int(self.edge_u.shape[0])

    @cached_property
    def rev_indptr_edges(self) -> tuple[I64, I32]:
        """Reverse CSR: for node v, ``rev_edges[rev_indptr[v]:rev_indptr[v+1]]`` are edges into v."""
        order = np.argsort(self.edge_v, kind="stable").astype(np.int32)
        counts = np.bincount(self.edge_v, minlength=self.n_nodes)
        indptr = np.zeros(self.n_nodes + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        return indptr, order

    @cached_property
    def projection(self) -> MetricProjection:
        from pyproj import CRS

        return MetricProjection(CRS.from_user_input(self.crs))

    @property
    def total_length_km(self) -> float:
        """Length of road (each two-way segment once), in km."""
        _, first = np.unique(self.edge_segment, return_index=True)
        return float(self.edge_length_m[first].sum() / 1000.0)

    def bbox(self) -> tuple[float, float, float, float]:
        return (
            float(self.node_lon.min()),
            float(self.node_lat.min()),
            float(self.node_lon.max()),
            float(self.node_lat.max()),
        )

    def to_csr_matrix(self, weights: F64) -> csr_matrix:
        """The graph as a scipy CSR matrix with the given edge weights (parallel edges: minimum)."""
        n = self.n_nodes
        mat = csr_matrix((weights, (self.edge_u, self.edge_v)), shape=(n, n))
        # csr_matrix sums duplicates; rebuild with the minimum instead.
        if mat.nnz != self.n_edges:
            key = self.edge_u.astype(np.int64) * n + self.edge_v
            order = np.lexsort((weights, key))
            keep = np.ones(order.size, dtype=bool)
            keep[1:] = key[order][1:] != key[order][:-1]
            sel = order[keep]
            mat = csr_matrix((weights[sel], (self.edge_u[sel], self.edge_v[sel])), shape=(n, n))
        return mat

    def arrays(self) -> dict[str, np.ndarray]:
        """All arrays by field name (for the disk cache)."""
        return {k: v for k, v in self.__dict__.items() if isinstance(v, np.ndarray)}


def _zorder(x: F64, y: F64) -> I64:
    """Morton (Z-order) key of points quantised to a 2^16 grid over their bounding box."""

    def spread(v: NDArray[np.uint64]) -> NDArray[np.uint64]:
        v = (v | (v << np.uint64(8))) & np.uint64(0x00FF00FF)
        v = (v | (v << np.uint64(4))) & np.uint64(0x0F0F0F0F)
        v = (v | (v << np.uint64(2))) & np.uint64(0x33333333)
        return (v | (v << np.uint64(1))) & np.uint64(0x55555555)

    def quant(a: F64) -> NDArray[np.uint64]:
        span = float(a.max() - a.min()) or 1.0
        return np.asarray((a - a.min()) / span * 65535.0).astype(np.uint64)

    return (spread(quant(x)) | (spread(quant(y)) << np.uint64(1))).astype(np.int64)


def _reverse_geometry(ptr: I64, lon: F64, lat: F64, edges: I64) -> tuple[I64, F64, F64]:
    """Geometry slices of ``edges``, each reversed (for the added reverse direction)."""
    starts, ends = ptr[edges], ptr[edges + 1]
    lens = ends - starts
    new_ptr = np.zeros(edges.size + 1, dtype=np.int64)
    np.cumsum(lens, out=new_ptr[1:])
    within = np.arange(new_ptr[-1], dtype=np.int64) - np.repeat(new_ptr[:-1], lens)
    src = np.repeat(ends - 1, lens) - within
    return new_ptr, lon[src], lat[src]


def _gather_geometry(ptr: I64, lon: F64, lat: F64, order: I64) -> tuple[I64, F64, F64]:
    """Geometry slices re-laid out in the given edge order."""
    starts, ends = ptr[order], ptr[order + 1]
    lens = ends - starts
    new_ptr = np.zeros(order.size + 1, dtype=np.int64)
    np.cumsum(lens, out=new_ptr[1:])
    within = np.arange(new_ptr[-1], dtype=np.int64) - np.repeat(new_ptr[:-1], lens)
    src = np.repeat(starts, lens) + within
    return new_ptr, lon[src], lat[src]


def straight_geometry(node_lon: F64, node_lat: F64, u: I64, v: I64) -> tuple[I64, F64, F64]:
    """Two-point geometry for edges that come without one."""
    ptr = np.arange(0, 2 * u.size + 1, 2, dtype=np.int64)
    lon = np.empty(2 * u.size)
    lat = np.empty(2 * u.size)
    lon[0::2], lon[1::2] = node_lon[u], node_lon[v]
    lat[0::2], lat[1::2] = node_lat[u], node_lat[v]
    return ptr, lon, lat


def geometry_length_m(proj: MetricProjection, ptr: I64, lon: F64, lat: F64) -> F64:
    """Length of each polyline in metres, in the metric projection."""
    x, y = proj.to_xy(lon, lat)
    seg = np.hypot(np.diff(x), np.diff(y))
    seg = np.concatenate([[0.0], np.cumsum(seg)])
    return np.asarray(seg[ptr[1:] - 1] - seg[ptr[:-1]], dtype=np.float64)


def build_graph(
    *,
    name: str,
    node_lon: F64,
    node_lat: F64,
    node_ref: I64,
    u: I64,
    v: I64,
    oneway: NDArray[np.bool_],
    road_class: NDArray[np.int8],
    speed_kmh: NDArray[np.float32] | None = None,
    length_m: F64 | None = None,
    edge_name: NDArray[np.str_] | None = None,
    geometry: tuple[I64, F64, F64] | None = None,
    meta: dict[str, Any] | None = None,
    segment: I64 | None = None,
) -> RoadGraph:
    """Assemble a :class:`RoadGraph` from raw edges (``u``/``v`` index the node arrays).

    An edge with ``oneway`` False is a two-way road given once; its reverse is added here. NaN or
    missing lengths are measured from the geometry; NaN speeds mean "use the class default".
    ``segment`` (optional, any integer labels) marks raw edges that are one road: formats such as
    GMNS list the two directions of a road as two one-way links, and giving them one label makes
    the road's length count once. Without it every raw edge is its own road.
    """
    m0 = int(u.size)
    if m0 == 0 or node_lon.size == 0:
        raise CorruptData(f"{name}: the network has no edges")
    if u.max(initial=0) >= node_lon.size or v.max(initial=0) >= node_lon.size or min(u.min(), v.min()) < 0:
        raise CorruptData(f"{name}: an edge refers to a node that does not exist")
    proj = MetricProjection.for_points(node_lon, node_lat)
    geom = geometry if geometry is not None else straight_geometry(node_lon, node_lat, u, v)
    length = np.asarray(length_m if length_m is not None else np.full(m0, np.nan), dtype=np.float64).copy()
    missing = ~np.isfinite(length) | (length <= 0)
    if missing.any():
        length[missing] = geometry_length_m(proj, *geom)[missing]
    length = np.maximum(length, 0.1)  # zero-length edges would make ties everywhere
    speed = np.asarray(speed_kmh if speed_kmh is not None else np.full(m0, np.nan), dtype=np.float32)
    names = np.asarray(edge_name if edge_name is not None else np.full(m0, ""), dtype=np.str_)
    if segment is None:
        segment_ids = np.arange(m0, dtype=np.int64)
    else:
        if segment.shape != (m0,):
            raise CorruptData(f"{name}: {segment.size} segment labels for {m0} edges")
        segment_ids = np.unique(np.asarray(segment), return_inverse=True)[1].astype(np.int64)

    two = np.flatnonzero(~np.asarray(oneway, dtype=bool))
    rptr, rlon, rlat = _reverse_geometry(geom[0], geom[1], geom[2], two)
    all_u = np.concatenate([u, v[two]]).astype(np.int64)
    all_v = np.concatenate([v, u[two]]).astype(np.int64)
    g_ptr = np.concatenate([geom[0], rptr[1:] + geom[0][-1]])
    g_lon, g_lat = np.concatenate([geom[1], rlon]), np.concatenate([geom[2], rlat])
    cat = {
        "length": np.concatenate([length, length[two]]),
        "cls": np.concatenate([road_class, road_class[two]]).astype(np.int8),
        "speed": np.concatenate([speed, speed[two]]).astype(np.float32),
        "oneway": np.concatenate([np.asarray(oneway, bool), np.zeros(two.size, bool)]),
        "segment": np.concatenate([segment_ids, segment_ids[two]]),
        "name": np.concatenate([names, names[two]]),
    }
    loops = all_u == all_v
    n0 = node_lon.size
    adj = csr_matrix((np.ones(all_u.size), (all_u, all_v)), shape=(n0, n0))
    n_comp, labels = connected_components(adj, directed=True, connection="strong")
    sizes = np.bincount(labels)
    core_label = int(np.argmax(sizes))
    keep_node = labels == core_label
    keep_edge = keep_node[all_u] & keep_node[all_v] & ~loops

    old_nodes = np.flatnonzero(keep_node)
    x, y = proj.to_xy(node_lon[old_nodes], node_lat[old_nodes])
    z = np.argsort(_zorder(x, y), kind="stable")
    old_nodes, x, y = old_nodes[z], x[z], y[z]
    new_id = np.full(n0, -1, dtype=np.int64)
    new_id[old_nodes] = np.arange(old_nodes.size)

    kept = np.flatnonzero(keep_edge)
    nu, nv = new_id[all_u[kept]], new_id[all_v[kept]]
    order = kept[np.lexsort((nv, nu))]
    nu, nv = new_id[all_u[order]], new_id[all_v[order]]
    n = old_nodes.size
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(nu, minlength=n), out=indptr[1:])
    gp, glon, glat = _gather_geometry(g_ptr, g_lon, g_lat, order)
    _, seg = np.unique(cat["segment"][order], return_inverse=True)

    # road length in and dropped, each road (segment) once: a two-way road has two directed edges
    seg_len = np.zeros(int(segment_ids.max()) + 1)
    seg_len[cat["segment"]] = cat["length"]
    seg_kept = np.zeros(seg_len.size, dtype=bool)
    seg_kept[cat["segment"][keep_edge]] = True
    info = dict(meta or {})
    info.update(
        components=int(n_comp),
        nodes_in=int(n0),
        nodes_dropped=int(n0 - n),
        edges_in=int(all_u.size),
        roads_in=int(seg_len.size),
        edges_dropped=int((~keep_edge).sum()),
        km_in=round(float(seg_len.sum() / 1000.0), 3),
        km_dropped=round(float(seg_len[~seg_kept].sum() / 1000.0), 3),
    )
    return RoadGraph(
        name=name,
        crs=proj.name,
        node_lon=np.ascontiguousarray(node_lon[old_nodes], dtype=np.float64),
        node_lat=np.ascontiguousarray(node_lat[old_nodes], dtype=np.float64),
        node_x=np.ascontiguousarray(x),
        node_y=np.ascontiguousarray(y),
        node_ref=np.asarray(node_ref, dtype=np.int64)[old_nodes],
        indptr=indptr,
        edge_u=nu.astype(np.int32),
        edge_v=nv.astype(np.int32),
        edge_length_m=cat["length"][order],
        edge_class=cat["cls"][order],
        edge_speed_kmh=cat["speed"][order],
        # a road given as two opposite one-way edges (GMNS pairs) is two-way: one-way only when
        # no other kept edge belongs to the same road
        edge_oneway=cat["oneway"][order] & (np.bincount(seg)[seg] == 1),
        edge_segment=seg.astype(np.int32),
        edge_name=cat["name"][order],
        geom_ptr=gp,
        geom_lon=glon,
        geom_lat=glat,
        meta=info,
    )
