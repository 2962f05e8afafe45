"""One entry point to get a road network: a path in any supported format, or a known city's name.

``load_network("chicago")``, ``load_network("/data/roads.gpkg", crs=None)`` and
``load_network("city.osm.pbf")`` all return the same kind of :class:`RoadGraph`, read from the
disk cache when the source has not changed. The format is recognised from the path (a GMNS folder
holds ``node.csv`` and ``link.csv``, an edge-list folder ``edges.csv``; files by suffix), so users
and the command line never name a loader.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from xunfang.core.errors import DataNotFound, InvalidInput
from xunfang.core.settings import get_settings
from xunfang.network import cache
from xunfang.network.graph import RoadGraph

# Known cities: the network each one uses, relative to the shared data folder.
CITIES: dict[str, str] = {
    "chicago": "chicago/osm_arterial_network_gmns",
    "beijing": "beijing/osm_roads_2024",
    "tempe": "tempe/asu_gmns_auto",
    "tempe-streets": "tempe/libpysal_geodanet/streets.shp",
    "helsinki": "helsinki_osm/Helsinki.osm.pbf",
}
FORMATS = ("gmns", "edge-csv", "osm-pbf", "lines")
_LINE_SUFFIXES = (".shp", ".gpkg", ".geojson", ".json", ".fgb", ".gml", ".kml", ".sqlite")
_SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")


def resolve(source: str | Path) -> tuple[Path, str | None]:
    """The path a source names, and the city name when it is one of :data:`CITIES`."""
    key = str(source).strip()
    if key.lower() in CITIES:
        path = get_settings().data_dir / CITIES[key.lower()]
        if not path.exists():
            raise DataNotFound(
                f"{path}: network of city '{key.lower()}' not found; set XUNFANG_DATA_DIR to the shared "
                "data folder"
            )
        return path, key.lower()
    path = Path(key).expanduser()
    if not path.exists():
        raise DataNotFound(
            f"{key}: no such file or folder, and not a known city; expected a network file/folder or one "
            f"of {', '.join(CITIES)}"
        )
    return path, None


def detect_format(path: Path) -> str:
    """Which loader reads ``path`` (one of :data:`FORMATS`), from its name and contents."""
    if path.is_dir():
        if (path / "node.csv").is_file() and (path / "link.csv").is_file():
            return "gmns"
        if (path / "edges.csv").is_file():
            return "edge-csv"
        raise InvalidInput(
            f"{path}: folder holds neither a GMNS network (node.csv + link.csv) nor an edge list (edges.csv)"
        )
    name = path.name.lower()
    if name.endswith((".pbf", ".osm", ".osm.bz2", ".osm.gz")):
        return "osm-pbf"
    if name.endswith(_LINE_SUFFIXES):
        return "lines"
    if name in ("link.csv", "node.csv"):
        return "gmns"
    if name.endswith(".csv"):
        return "edge-csv"
    raise InvalidInput(
        f"{path}: unrecognised network format; expected a GMNS folder, an edge-list CSV, an OSM .pbf "
        f"or a line layer ({', '.join(_LINE_SUFFIXES)})"
    )


def source_files(path: Path, fmt: str) -> list[Path]:
    """Every file a load reads (their sizes and times key the cache)."""
    if fmt == "gmns":
        folder = path if path.is_dir() else path.parent
        return [folder / "node.csv", folder / "link.csv"]
    if fmt == "edge-csv":
        from xunfang.network.loaders.edge_csv import edge_csv_files

        edges, nodes = edge_csv_files(path)
        return [edges] + ([nodes] if nodes else [])
    if fmt == "lines" and path.suffix.lower() == ".shp":
        return [p for p in (path.with_suffix(s) for s in _SHAPEFILE_PARTS) if p.is_file()]
    return [path]


def _loader(
    path: Path, fmt: str, name: str | None, crs: str | None, layer: str | None
) -> Callable[[], RoadGraph]:
    """A no-argument function that reads the source (loaders are imported only on a cache miss)."""
    if crs and fmt != "lines":
        raise InvalidInput(f"--crs applies to line layers only; {path} is {fmt}, which is always WGS84")

    def build() -> RoadGraph:
        if fmt == "gmns":
            from xunfang.network.loaders.gmns import load_gmns

            return load_gmns(path if path.is_dir() else path.parent, name=name)
        if fmt == "edge-csv":
            from xunfang.network.loaders.edge_csv import load_edge_csv

            return load_edge_csv(path, name=name)
        if fmt == "osm-pbf":
            from xunfang.network.loaders.osm_pbf import load_osm_pbf

            return load_osm_pbf(path, name=name)
        from xunfang.network.loaders.lines import load_lines

        return load_lines(path, crs=crs, layer=layer, name=name)

    return build


def load_network(
    source: str | Path,
    *,
    fmt: str | None = None,
    crs: str | None = None,
    layer: str | None = None,
    use_cache: bool = True,
) -> RoadGraph:
    """A road network from a path (format detected) or a city name in :data:`CITIES`.

    ``crs`` names the CRS of a line layer that has none (or overrides a wrong one); ``layer``
    picks a layer of a multi-layer file such as a GeoPackage.
    """
    path, city = resolve(source)
    if fmt is not None and fmt not in FORMATS:
        raise InvalidInput(f"unknown network format {fmt!r}; expected one of {', '.join(FORMATS)}")
    kind = fmt or detect_format(path)
    build = _loader(path, kind, city, crs, layer)
    if not use_cache:
        return build()
    files = source_files(path, kind)
    missing = [f for f in files if not f.is_file()]
    if missing:
        raise DataNotFound(f"{missing[0]}: file not found (needed to read the {kind} network at {path})")
    key = cache.cache_key(files, {"format": kind, "crs": crs, "layer": layer, "name": city})
    return cache.cached(key, build)


@lru_cache(maxsize=8)
def load_city(name: str) -> RoadGraph:
    """A known city's network, loaded once per process (and from the disk cache after the first run)."""
    key = name.strip().lower()
    if key not in CITIES:
        raise InvalidInput(f"unknown city {name!r}; expected one of {', '.join(CITIES)}")
    return load_network(key)
