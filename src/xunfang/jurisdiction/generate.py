"""Build a jurisdiction tree from station areas: defence zones, patrol zones and grid cells.

Real bureaus draw patrol zones and grids by hand; where they are not published we generate them
as square cells in the city's metric projection clipped to each station's area: patrol zones of
``zone_size_m`` and grid cells of ``cell_size_m`` inside each zone. One defence zone per station
stands in for the unpublished defence-zone layer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from xunfang.core.errors import InvalidInput
from xunfang.core.geo import MetricProjection
from xunfang.jurisdiction.model import Area, Level


@dataclass(frozen=True)
class StationArea:
    code: str
    name_zh: str
    name_en: str
    sub_bureau: str
    geometry: BaseGeometry
    lon: float  # the station building (where its units start)
    lat: float
    place_class: str = "urban"


@dataclass(frozen=True)
class SubBureau:
    code: str
    name_zh: str
    name_en: str


def _to_xy(geom: BaseGeometry, proj: MetricProjection) -> BaseGeometry:
    return shapely.transform(geom, lambda c: np.column_stack(proj.to_xy(c[:, 0], c[:, 1])))


def _to_lonlat(geom: BaseGeometry, proj: MetricProjection) -> BaseGeometry:
    return shapely.transform(geom, lambda c: np.column_stack(proj.to_lonlat(c[:, 0], c[:, 1])))


def square_cells(area_xy: BaseGeometry, size_m: float) -> list[BaseGeometry]:
    """Square cells of ``size_m`` (aligned to multiples of the size) clipped to an area."""
    x0, y0, x1, y1 = area_xy.bounds
    xs = np.arange(np.floor(x0 / size_m) * size_m, x1, size_m)
    ys = np.arange(np.floor(y0 / size_m) * size_m, y1, size_m)
    gx, gy = np.meshgrid(xs, ys)
    boxes = shapely.box(gx.ravel(), gy.ravel(), gx.ravel() + size_m, gy.ravel() + size_m)
    shapely.prepare(area_xy)
    boxes = boxes[shapely.intersects(area_xy, boxes)]
    clipped = shapely.intersection(boxes, area_xy)
    keep = shapely.area(clipped) > 1.0  # drop slivers under a square metre
    return list(clipped[keep])


def build_tree(
    city: tuple[str, str, str],
    sub_bureaus: Sequence[SubBureau],
    stations: Sequence[StationArea],
    *,
    zone_size_m: float = 2000.0,
    cell_size_m: float = 500.0,
) -> list[Area]:
    """All areas of a city, from its station areas (sub-bureau areas are their stations' union)."""
    if not (50.0 <= cell_size_m <= zone_size_m <= 50_000.0):
        raise InvalidInput(
            f"cell size {cell_size_m} m, zone size {zone_size_m} m: need 50 <= cell <= zone <= 50000",
            field="cell_size_m",
        )
    if not stations:
        raise InvalidInput("a jurisdiction needs at least one station area")
    cx, cy = shapely.centroid(shapely.union_all([s.geometry for s in stations])).coords[0]
    proj = MetricProjection.for_point(cx, cy)
    city_geom = shapely.union_all([s.geometry for s in stations])
    areas = [Area(city[0], Level.CITY, city[1], city[2], None, city_geom)]
    for sb in sub_bureaus:
        geom = shapely.union_all([s.geometry for s in stations if s.sub_bureau == sb.code])
        areas.append(Area(sb.code, Level.SUB_BUREAU, sb.name_zh, sb.name_en, city[0], geom))
    for st in stations:
        areas.extend(_station_areas(st, proj, zone_size_m, cell_size_m))
    return areas


def _station_areas(st: StationArea, proj: MetricProjection, zone_m: float, cell_m: float) -> list[Area]:
    dz = f"{st.code}-DZ"
    out = [
        Area(dz, Level.DEFENCE_ZONE, f"{st.name_zh}防区", f"{st.name_en} DZ", st.sub_bureau, st.geometry),
        Area(st.code, Level.STATION, st.name_zh, st.name_en, dz, st.geometry, st.place_class),
    ]
    for zi, zone_xy in enumerate(square_cells(_to_xy(st.geometry, proj), zone_m), start=1):
        zc = f"{st.code}-Z{zi:02d}"
        zone = _to_lonlat(zone_xy, proj)
        out.append(
            Area(zc, Level.PATROL_ZONE, f"{st.name_zh}{zi}号巡区", f"{st.name_en} zone {zi}", st.code, zone)
        )
        for gi, cell_xy in enumerate(square_cells(zone_xy, cell_m), start=1):
            cell = _to_lonlat(cell_xy, proj)
            out.append(Area(f"{zc}-G{gi:03d}", Level.GRID, f"{zc}-{gi}网格", f"{zc} grid {gi}", zc, cell))
    return out
