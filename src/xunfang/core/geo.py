"""Coordinates: WGS84 storage, per-city metric projection, and the GCJ-02 offset datum.

xunfang stores every coordinate as WGS84 lon/lat and computes distances in metres in a projected
CRS chosen per city (the UTM zone of the city's centre). GCJ-02, the obfuscated datum that Chinese
commercial maps use, is applied only at import and display edges. CGCS2000 (EPSG:4490) agrees with
WGS84 to a few centimetres, so it is accepted as WGS84.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError as _ProjCRSError

from xunfang.core.errors import CRSError, InvalidInput

FloatArray = NDArray[np.float64]
Datum = Literal["wgs84", "gcj02", "cgcs2000"]
DATUMS: tuple[str, ...] = ("wgs84", "gcj02", "cgcs2000")

# Krasovsky 1940 ellipsoid as used by the published GCJ-02 formula.
_A = 6378245.0
_EE = 0.00669342162296594323


def _in_china(lon: FloatArray, lat: FloatArray) -> NDArray[np.bool_]:
    """The rectangle inside which GCJ-02 applies an offset (outside it, GCJ-02 equals WGS84)."""
    return (lon > 72.004) & (lon < 137.8347) & (lat > 0.8293) & (lat < 55.8271)


def _offsets(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    x = lon - 105.0
    y = lat - 35.0
    pi = math.pi
    shared = (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x)) + shared
    dlat += (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x)) + shared
    dlon += (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    rad = lat / 180.0 * pi
    magic = 1.0 - _EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad) * pi)
    return dlon, dlat


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Forward GCJ-02 transform (vectorised); points outside China are returned unchanged."""
    lon_a = np.asarray(lon, dtype=np.float64)
    lat_a = np.asarray(lat, dtype=np.float64)
    dlon, dlat = _offsets(lon_a, lat_a)
    inside = _in_china(lon_a, lat_a)
    return np.where(inside, lon_a + dlon, lon_a), np.where(inside, lat_a + dlat, lat_a)


def gcj02_to_wgs84(
    lon: ArrayLike, lat: ArrayLike, *, tol_deg: float = 1e-10, max_iter: int = 30
) -> tuple[FloatArray, FloatArray]:
    """Inverse GCJ-02 by fixed-point iteration: the forward offset varies slowly, so it converges
    to well under a millimetre in a handful of steps."""
    target_lon = np.asarray(lon, dtype=np.float64)
    target_lat = np.asarray(lat, dtype=np.float64)
    glon, glat = target_lon.copy(), target_lat.copy()
    for _ in range(max_iter):
        flon, flat = wgs84_to_gcj02(glon, glat)
        elon, elat = flon - target_lon, flat - target_lat
        glon, glat = glon - elon, glat - elat
        if (
            float(np.max(np.abs(elon), initial=0.0)) < tol_deg
            and float(np.max(np.abs(elat), initial=0.0)) < tol_deg
        ):
            break
    return glon, glat


def convert(lon: ArrayLike, lat: ArrayLike, src: str, dst: str) -> tuple[FloatArray, FloatArray]:
    """Convert between the datums xunfang accepts at its edges (wgs84, gcj02, cgcs2000)."""
    src_n, dst_n = _datum(src, "--from"), _datum(dst, "--to")
    lon_a, lat_a = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    if src_n == "gcj02":
        lon_a, lat_a = gcj02_to_wgs84(lon_a, lat_a)
    if dst_n == "gcj02":
        lon_a, lat_a = wgs84_to_gcj02(lon_a, lat_a)
    return lon_a, lat_a


def _datum(name: str, option: str) -> str:
    key = name.strip().lower().replace("-", "").replace("_", "")
    if key not in DATUMS:
        raise CRSError(f"{option}: unknown datum {name!r}; expected one of {', '.join(DATUMS)}")
    return key


def parse_lonlat(text: str, *, name: str = "point") -> tuple[float, float]:
    """Parse ``"lon,lat"`` strictly: two finite numbers, lon in [-180, 180], lat in [-90, 90]."""
    parts = [p.strip() for p in str(text).split(",")]
    if len(parts) != 2:
        raise InvalidInput(f"{name}: expected 'lon,lat' (two numbers separated by a comma), got {text!r}")
    try:
        lon, lat = float(parts[0]), float(parts[1])
    except ValueError:
        raise InvalidInput(f"{name}: expected 'lon,lat' with numeric values, got {text!r}") from None
    check_lonlat(lon, lat, name=name)
    return lon, lat


def check_lonlat(lon: float, lat: float, *, name: str = "point") -> None:
    """Refuse NaN, infinities and out-of-range coordinates with a message naming the field."""
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise InvalidInput(
            f"{name}: coordinates must be finite numbers, got lon={lon}, lat={lat}", field=name
        )
    if not -180.0 <= lon <= 180.0:
        raise InvalidInput(f"{name}: longitude {lon} is outside [-180, 180]", field=name)
    if not -90.0 <= lat <= 90.0:
        raise InvalidInput(f"{name}: latitude {lat} is outside [-90, 90]", field=name)


def parse_crs(text: str | int) -> CRS:
    """A pyproj CRS from user input, refused with the input named when PROJ does not know it."""
    try:
        return CRS.from_user_input(text)
    except _ProjCRSError:
        raise CRSError(f"unknown CRS {text!r}; expected e.g. 'EPSG:4326' or 'EPSG:2913'") from None


def utm_crs_for(lon: float, lat: float) -> CRS:
    """The UTM zone (WGS84) containing a point: the metric CRS xunfang uses for a city."""
    check_lonlat(lon, lat, name="city centre")
    zone = int((lon + 180.0) // 6.0) % 60 + 1
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


@dataclass(frozen=True)
class MetricProjection:
    """WGS84 lon/lat ↔ metres in a city's projected CRS (vectorised both ways)."""

    crs: CRS
    _fwd: Transformer = field(init=False, repr=False, compare=False)
    _inv: Transformer = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_fwd", Transformer.from_crs("EPSG:4326", self.crs, always_xy=True))
        object.__setattr__(self, "_inv", Transformer.from_crs(self.crs, "EPSG:4326", always_xy=True))

    @classmethod
    def for_point(cls, lon: float, lat: float) -> MetricProjection:
        return cls(utm_crs_for(lon, lat))

    @classmethod
    def for_points(cls, lon: ArrayLike, lat: ArrayLike) -> MetricProjection:
        lon_a, lat_a = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
        return cls.for_point(float(np.nanmedian(lon_a)), float(np.nanmedian(lat_a)))

    def to_xy(self, lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
        x, y = self._fwd.transform(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
        return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)

    def to_lonlat(self, x: ArrayLike, y: ArrayLike) -> tuple[FloatArray, FloatArray]:
        lon, lat = self._inv.transform(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
        return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)

    @property
    def name(self) -> str:
        return self.crs.to_string()


def haversine_m(lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike) -> FloatArray:
    """Great-circle distance in metres (for drones and sanity checks, not for routing)."""
    r = 6371008.8
    p1, p2 = np.radians(np.asarray(lat1, float)), np.radians(np.asarray(lat2, float))
    dphi = p2 - p1
    dl = np.radians(np.asarray(lon2, float) - np.asarray(lon1, float))
    h = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * r * np.arcsin(np.sqrt(h)), dtype=np.float64)
