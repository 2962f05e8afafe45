"""Named incident sources (``--incidents chicago``) and the readers for the shared data's formats.

A preset is a file (or a glob of zipped shapefiles) in the data folder, a :class:`ColumnMap`, the
city's time zone, and optionally the jurisdiction polygons (districts/precincts) that define the
study area and fill in a missing district. Any other path is read as the standard CSV
``time,lon,lat,category[,district][,id]`` unless ``--map`` says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from xunfang.analysis.history import ColumnMap, ImportReport, finish, normalise, read_table
from xunfang.core.errors import CorruptData, DataNotFound, InvalidInput
from xunfang.core.geo import parse_crs
from xunfang.core.settings import get_settings


@dataclass(frozen=True)
class Districts:
    """Jurisdiction polygons in WGS84 with their names."""

    names: list[str]
    polygons: list[shapely.Geometry]

    @property
    def area(self) -> shapely.Geometry:
        return shapely.union_all(self.polygons)

    def locate(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """District name of each point ('' outside every polygon)."""
        out = np.full(lon.size, "", dtype=object)
        tree = shapely.STRtree(self.polygons)
        pts = shapely.points(lon, lat)
        idx_pt, idx_poly = tree.query(pts, predicate="within")
        out[idx_pt] = np.asarray(self.names, dtype=object)[idx_poly]
        return out


@dataclass(frozen=True)
class Preset:
    path: str
    cmap: ColumnMap
    districts: tuple[str, str] | None = None  # (file, name field)
    description: str = ""
    network: str | None = None  # GMNS folder for street-segment forecasts


PRESETS: dict[str, Preset] = {
    "chicago": Preset(
        "chicago/chicago_aggravated_assaults_2010_2019.csv.gz",
        ColumnMap(
            time="date",
            x="longitude",
            y="latitude",
            category=None,
            category_value="aggravated assault",
            id=None,
            tz="America/Chicago",
        ),
        ("chicago/chicago_police_districts.kml", "Name"),
        "Chicago PD aggravated assaults 2010-2019",
        "chicago/osm_arterial_network_gmns",
    ),
    "portland-cfs": Preset(
        "portland/cfs_*.zip",
        ColumnMap(
            time="occ_date",
            x="x_coordina",
            y="y_coordina",
            crs="EPSG:2913",
            category="CATEGORY",
            district=None,
            id=None,
            tz="America/Los_Angeles",
        ),
        ("portland/portland-police-districts.zip", "DISTRICT"),
        "Portland PB calls for service Aug-Dec 2016 (NIJ)",
    ),
    "portland-burglary": Preset(
        "portland/chirico_burglary_2012_2016.csv",
        ColumnMap(
            time="occ_date",
            x="x_coordina",
            y="y_coordina",
            crs="EPSG:2913",
            category=None,
            category_value="burglary",
            district=None,
            id=None,
            tz="America/Los_Angeles",
        ),
        ("portland/portland-police-districts.zip", "DISTRICT"),
        "Portland burglary calls 2012-2017 (NIJ)",
    ),
    "portland-vehicle-theft": Preset(
        "portland/chirico_vehicle_theft_2012_2016.csv",
        ColumnMap(
            time="occ_date",
            x="x_coordina",
            y="y_coordina",
            crs="EPSG:2913",
            category=None,
            category_value="vehicle theft",
            district=None,
            id=None,
            tz="America/Los_Angeles",
        ),
        ("portland/portland-police-districts.zip", "DISTRICT"),
        "Portland vehicle-theft calls 2012-2017 (NIJ)",
    ),
    "nyc-vehicle-theft": Preset(
        "nyc/nyc_vehicle_thefts_2014_2017.csv.gz",
        ColumnMap(
            time="date_single",
            x="longitude",
            y="latitude",
            category=None,
            category_value="vehicle theft",
            district=None,
            id="uid",
            tz="America/New_York",
        ),
        ("nyc/nyc_precincts.gpkg", "Precinct"),
        "NYPD vehicle thefts 2014-2017",
    ),
    "nyc-shootings": Preset(
        "nyc/ptools_nyc_shoot.csv.gz",
        ColumnMap(
            time=None,
            date="OCCUR_DATE",
            clock="OCCUR_TIME",
            x="Longitude",
            y="Latitude",
            category=None,
            category_value="shooting",
            district="PRECINCT",
            id="INCIDENT_KEY",
            tz="America/New_York",
        ),
        ("nyc/nyc_precincts.gpkg", "Precinct"),
        "NYPD shootings 2006-2023",
    ),
}


def read_polygons(path: Path, name_field: str) -> Districts:
    """Polygons (KML, GeoPackage, zipped shapefile) as WGS84 with a name per polygon."""
    from pyogrio.raw import read

    if not path.is_file():
        raise DataNotFound(f"{path}: polygon file not found")
    src = f"/vsizip/{path}" if path.suffix == ".zip" else str(path)
    try:
        meta, _, geom, fields = read(src)
    except Exception as exc:
        raise CorruptData(f"{path}: cannot read polygons ({exc})") from None
    names = list(meta["fields"])
    if name_field not in names:
        raise InvalidInput(f"{path}: no field {name_field!r}; it has {', '.join(names)}")
    polys = shapely.from_wkb(geom)
    polys = shapely.force_2d(polys)
    crs = meta.get("crs") or "EPSG:4326"
    if parse_crs(crs).to_epsg() != 4326:
        tr = Transformer.from_crs(parse_crs(crs), "EPSG:4326", always_xy=True)
        polys = shapely.transform(polys, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))
    polys = shapely.make_valid(polys)
    values = [str(v) for v in fields[names.index(name_field)]]
    return Districts(names=values, polygons=list(polys))


def _read_shapefile_zip(path: Path) -> pd.DataFrame:
    """Every layer of a zipped shapefile as a string table (attributes only; x/y are columns)."""
    import pyogrio
    from pyogrio.raw import read

    frames = []
    for layer, _ in pyogrio.list_layers(f"/vsizip/{path}"):
        meta, _, _, fields = read(f"/vsizip/{path}", layer=layer, read_geometry=False)
        names = list(meta["fields"])
        frames.append(
            pd.DataFrame({n: np.asarray(v).astype(str) for n, v in zip(names, fields, strict=True)})
        )
    return pd.concat(frames, ignore_index=True)


def _read_any(path: Path) -> pd.DataFrame:
    if path.suffix == ".zip":
        return _read_shapefile_zip(path)
    return read_table(path)


def preset_districts(name: str, data_dir: Path | None = None) -> Districts | None:
    preset = PRESETS.get(name)
    if preset is None or preset.districts is None:
        return None
    root = data_dir or get_settings().data_dir
    return read_polygons(root / preset.districts[0], preset.districts[1])


def load_incidents(
    source: str,
    *,
    mapping: dict[str, str] | None = None,
    data_dir: Path | None = None,
    area_buffer_deg: float = 0.003,
) -> tuple[pd.DataFrame, ImportReport, Districts | None]:
    """Import a preset name or a file path; returns the history, its report and the districts."""
    root = data_dir or get_settings().data_dir
    preset = PRESETS.get(source)
    if preset is not None:
        files = sorted(root.glob(preset.path))
        if not files:
            raise DataNotFound(f"--incidents {source}: no file matches {root / preset.path}")
        cmap = preset.cmap
    else:
        path = Path(source)
        if not path.exists():
            raise DataNotFound(
                f"--incidents {source}: neither a file nor a preset (presets: {', '.join(PRESETS)})"
            )
        files, cmap = [path], ColumnMap()
        if path.suffix == ".parquet":
            from xunfang.analysis.history import load_parquet

            history = load_parquet(path)
            report = ImportReport(source=source, rows_read=len(history))
            return finish([history], report), report, None
    if mapping:
        cmap = replace(cmap, **{k: (v or None) for k, v in mapping.items()})  # type: ignore[arg-type]
    districts = preset_districts(source, root) if preset else None
    area = shapely.buffer(districts.area, area_buffer_deg) if districts else None
    report = ImportReport(source=source)
    frames = []
    for f in files:
        frame, _ = normalise(_read_any(f), cmap, source=str(f), area=area, report=report)
        frames.append(frame)
    history = finish(frames, report)
    if districts is not None and len(history):
        empty = (history["district"] == "").to_numpy()
        if empty.any():
            located = districts.locate(history["lon"].to_numpy()[empty], history["lat"].to_numpy()[empty])
            history.loc[empty, "district"] = located.astype(str)
    return history, report, districts
