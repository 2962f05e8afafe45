"""Import real jurisdictions: Chicago police districts and stations, Beijing sub-districts.

Chicago: the district polygons (KML) become station areas under one sub-bureau (the Bureau of
Patrol); each station sits at its address from the stations CSV (district 31, the airports, has
none and gets a point inside its area). Beijing: the 331 街道/乡镇 polygons become station areas
under their 16 districts (分局), with Chinese names; no station sites are published, so each station
sits at a point inside its area. Which areas are "core" or "outer" (for response tiers) is a
default a bureau should replace with its own classification.
"""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import shapely
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry

from xunfang.core.errors import CorruptData, DataNotFound
from xunfang.jurisdiction.generate import StationArea, SubBureau, build_tree
from xunfang.jurisdiction.model import Area

KML_NS = {"k": "http://www.opengis.net/kml/2.2"}
CHICAGO_CORE = {"1", "18"}
BEIJING_CORE = {"东城区", "西城区"}
BEIJING_URBAN = {"朝阳区", "海淀区", "丰台区", "石景山区"}


def _need(path: Path) -> Path:
    if not path.is_file():
        raise DataNotFound(f"{path}: file not found")
    return path


def _ring(text: str | None) -> list[tuple[float, float]]:
    pts = []
    for tok in (text or "").split():
        parts = tok.split(",")
        pts.append((float(parts[0]), float(parts[1])))
    return pts


def read_kml_polygons(path: Path) -> dict[str, BaseGeometry]:
    """Placemark name → (multi)polygon; placemarks sharing a name are merged."""
    try:
        root = ET.parse(_need(path)).getroot()
    except ET.ParseError as exc:
        raise CorruptData(f"{path}: not readable KML ({exc})") from None
    parts: dict[str, list[Polygon]] = {}
    for pm in root.iter("{http://www.opengis.net/kml/2.2}Placemark"):
        name = (pm.findtext("k:name", default="", namespaces=KML_NS) or "").strip()
        for poly in pm.iter("{http://www.opengis.net/kml/2.2}Polygon"):
            outer = poly.find("k:outerBoundaryIs/k:LinearRing/k:coordinates", KML_NS)
            inner = poly.findall("k:innerBoundaryIs/k:LinearRing/k:coordinates", KML_NS)
            if outer is None:
                raise CorruptData(f"{path}: placemark {name!r} has a polygon without an outer boundary")
            holes = [_ring(i.text) for i in inner]
            parts.setdefault(name, []).append(Polygon(_ring(outer.text), holes))
    if not parts:
        raise CorruptData(f"{path}: no polygons found (expected KML Placemarks with Polygons)")
    return {k: shapely.make_valid(MultiPolygon(v)) for k, v in parts.items()}


def chicago_stations(data_dir: Path) -> list[StationArea]:
    folder = data_dir / "chicago"
    districts = read_kml_polygons(folder / "chicago_police_districts.kml")
    with _need(folder / "chicago_police_stations.csv").open(newline="") as fh:
        rows = {r["district"]: r for r in csv.DictReader(fh)}
    out = []
    for d in sorted(districts, key=lambda s: int(s) if s.isdigit() else 999):
        geom = districts[d]
        row = rows.get(d)
        if row:
            lon, lat, name = float(row["lng"]), float(row["lat"]), row["name"]
        else:
            lon, lat = shapely.get_coordinates(geom.representative_point())[0]
            name = f"District {d}"
        place = "core" if d in CHICAGO_CORE else "urban"
        code = f"CHI-D{int(d):02d}" if d.isdigit() else f"CHI-D{d}"
        out.append(
            StationArea(code, f"第{d}警区 {name}", f"District {d} ({name})", "CHI-BP", geom, lon, lat, place)
        )
    return out


def chicago(data_dir: Path, *, zone_size_m: float = 2000.0, cell_size_m: float = 500.0) -> list[Area]:
    stations = chicago_stations(data_dir)
    sub = [SubBureau("CHI-BP", "巡逻局", "Bureau of Patrol")]
    return build_tree(
        ("CHI", "芝加哥警察局", "Chicago Police Department"),
        sub,
        stations,
        zone_size_m=zone_size_m,
        cell_size_m=cell_size_m,
    )


def beijing_stations(data_dir: Path) -> tuple[list[SubBureau], list[StationArea]]:
    path = _need(data_dir / "beijing" / "subdistricts" / "beijing_subdistricts.geojson")
    try:
        features = json.loads(path.read_text(encoding="utf-8"))["features"]
    except (json.JSONDecodeError, KeyError) as exc:
        raise CorruptData(f"{path}: not a GeoJSON FeatureCollection ({exc})") from None
    districts = sorted({f["properties"]["district"] for f in features})
    sb_code = {d: f"BJ-SB{i:02d}" for i, d in enumerate(districts, start=1)}
    subs = [SubBureau(sb_code[d], f"{d}分局", f"{d} sub-bureau") for d in districts]
    stations = []
    for f in sorted(features, key=lambda f: int(f["properties"]["fid"])):
        p = f["properties"]
        geom = shapely.make_valid(shape(f["geometry"]))
        lon, lat = shapely.get_coordinates(geom.representative_point())[0]
        place = (
            "core"
            if p["district"] in BEIJING_CORE
            else "urban"
            if p["district"] in BEIJING_URBAN
            else "outer"
        )
        name = str(p["subdistrict"])
        stations.append(
            StationArea(
                f"BJ-S{int(p['fid']):03d}",
                f"{name}派出所",
                name,
                sb_code[p["district"]],
                geom,
                lon,
                lat,
                place,
            )
        )
    return subs, stations


def beijing(data_dir: Path, *, zone_size_m: float = 3000.0, cell_size_m: float = 1000.0) -> list[Area]:
    subs, stations = beijing_stations(data_dir)
    return build_tree(
        ("BJ", "北京市公安局", "Beijing Municipal Public Security Bureau"),
        subs,
        stations,
        zone_size_m=zone_size_m,
        cell_size_m=cell_size_m,
    )
