"""What a patrol plan requires, as supervision reads it: must-patrol points, lines, red zones, units.

A plan file is JSON (written by ``xunfang plan day`` or by hand)::

    {"points": [{"id": "P1", "lon": 116.3, "lat": 39.9, "radius_m": 50, "dwell_min": 10,
                 "windows": [["2024-05-01T20:00:00Z", "2024-05-02T03:00:00Z"]], "required": 2,
                 "units": ["u1"], "zone": "Z1"}],
     "lines":  [{"id": "L1", "coordinates": [[116.30, 39.90], [116.31, 39.90]],
                 "windows": [[...]], "required_share": 0.8, "units": ["u1"], "zone": "Z1"}],
     "red_zones": [{"id": "R1", "lon": 116.3, "lat": 39.9, "radius_m": 300,
                    "windows": [[...]], "required_min": 60}],
     "units": {"u1": {"team": "T1", "force": "sworn", "station": "S1", "zone": "Z1", "persons": 2}}}

Times are ISO-8601 (UTC unless an offset is given) or epoch seconds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from xunfang.core.errors import CorruptData, DataNotFound, InvalidInput

Window = tuple[float, float]


@dataclass(frozen=True)
class PatrolPoint:
    id: str
    lon: float
    lat: float
    windows: tuple[Window, ...]
    radius_m: float = 50.0
    dwell_s: float = 600.0
    required: int = 1
    units: tuple[str, ...] = ()
    zone: str = ""


@dataclass(frozen=True)
class PatrolLine:
    """A must-patrol line, as coordinates (matched to roads at check time) or graph edges."""

    id: str
    windows: tuple[Window, ...]
    coordinates: tuple[tuple[float, float], ...] = ()
    edges: tuple[int, ...] = ()
    required_share: float = 0.8
    units: tuple[str, ...] = ()
    zone: str = ""


@dataclass(frozen=True)
class RedZone:
    id: str
    lon: float
    lat: float
    radius_m: float
    windows: tuple[Window, ...]
    required_min: float = 60.0


@dataclass(frozen=True)
class UnitInfo:
    team: str = ""
    force: str = "sworn"
    station: str = ""
    zone: str = ""
    persons: int = 1


@dataclass(frozen=True)
class SupervisionPlan:
    points: tuple[PatrolPoint, ...] = ()
    lines: tuple[PatrolLine, ...] = ()
    red_zones: tuple[RedZone, ...] = ()
    units: dict[str, UnitInfo] = field(default_factory=dict)


def _time(value: Any, where: str) -> float:
    if isinstance(value, int | float):
        return float(value)
    stamp = pd.to_datetime(str(value), utc=True, errors="coerce")
    if pd.isna(stamp):
        raise InvalidInput(f"{where}: {value!r} is not a time (ISO-8601 or epoch seconds)", field=where)
    return float(stamp.timestamp())


def _windows(raw: Any, where: str) -> tuple[Window, ...]:
    out = []
    for i, pair in enumerate(raw or []):
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise InvalidInput(f"{where}.windows[{i}]: expected [start, end]", field=where)
        start, end = _time(pair[0], f"{where}.windows[{i}]"), _time(pair[1], f"{where}.windows[{i}]")
        if end <= start:
            raise InvalidInput(f"{where}.windows[{i}]: end is not after start", field=where)
        out.append((start, end))
    if not out:
        raise InvalidInput(f"{where}: at least one window [start, end] is required", field=where)
    return tuple(out)


def _point(d: dict[str, Any], i: int) -> PatrolPoint:
    where = f"points[{i}]"
    dwell = float(d.get("dwell_min", 10.0)) * 60.0
    if dwell <= 0 or float(d.get("radius_m", 50.0)) <= 0:
        raise InvalidInput(f"{where}: dwell_min and radius_m must be positive", field=where)
    return PatrolPoint(
        id=str(d.get("id", i)), lon=float(d["lon"]), lat=float(d["lat"]),
        windows=_windows(d.get("windows"), where),
        radius_m=float(d.get("radius_m", 50.0)), dwell_s=dwell, required=int(d.get("required", 1)),
        units=tuple(str(u) for u in d.get("units", [])), zone=str(d.get("zone", "")),
    )  # fmt: skip


def _lonlat(c: Any, where: str) -> tuple[float, float]:
    """One [lon, lat] position (a GeoJSON position may carry a third value, the height)."""
    if not isinstance(c, list | tuple) or len(c) < 2:
        raise InvalidInput(f"{where}: expected a [lon, lat] pair, got {c!r:.60}", field=where)
    return float(c[0]), float(c[1])


def _line(d: dict[str, Any], i: int) -> PatrolLine:
    where = f"lines[{i}]"
    coords = tuple(_lonlat(c, f"{where}.coordinates[{j}]") for j, c in enumerate(d.get("coordinates", [])))
    edges = tuple(int(e) for e in d.get("edges", []))
    if len(coords) < 2 and not edges:
        raise InvalidInput(f"{where}: a line needs at least two coordinates or a list of edges", field=where)
    return PatrolLine(
        id=str(d.get("id", i)), windows=_windows(d.get("windows"), where), coordinates=coords, edges=edges,
        required_share=float(d.get("required_share", 0.8)), units=tuple(str(u) for u in d.get("units", [])),
        zone=str(d.get("zone", "")),
    )  # fmt: skip


def plan_from_dict(raw: dict[str, Any]) -> SupervisionPlan:
    try:
        points = tuple(_point(d, i) for i, d in enumerate(raw.get("points", [])))
        lines = tuple(_line(d, i) for i, d in enumerate(raw.get("lines", [])))
        zones = tuple(
            RedZone(str(d.get("id", i)), float(d["lon"]), float(d["lat"]), float(d.get("radius_m", 300.0)),
                    _windows(d.get("windows"), f"red_zones[{i}]"), float(d.get("required_min", 60.0)))
            for i, d in enumerate(raw.get("red_zones", []))
        )  # fmt: skip
        units = {str(k): UnitInfo(**v) for k, v in raw.get("units", {}).items()}
    except (AttributeError, KeyError, TypeError, ValueError) as exc:  # a list where an object belongs
        if isinstance(exc, InvalidInput):
            raise
        raise InvalidInput(
            f"plan: malformed entry ({exc!r}); see xunfang.supervision.plan for the format"
        ) from None
    return SupervisionPlan(points, lines, zones, units)


def read_plan(path: Path) -> SupervisionPlan:
    if not path.is_file():
        raise DataNotFound(f"{path}: plan file not found")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CorruptData(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(raw, dict):
        raise CorruptData(f"{path}: expected a JSON object with points/lines/red_zones/units")
    if raw.get("type") == "FeatureCollection":
        raw = from_geojson(raw, where=str(path))
    return plan_from_dict(raw)


def from_geojson(raw: dict[str, Any], *, where: str = "plan") -> dict[str, Any]:
    """A GeoJSON FeatureCollection as a plan: Point features are must-patrol points (or red zones
    when ``properties.kind`` is ``red_zone``), LineString features must-patrol lines; the other
    fields (id, windows, dwell_min, radius_m, required, required_share, units, zone) are properties."""
    out: dict[str, Any] = {"points": [], "lines": [], "red_zones": [], "units": raw.get("units", {})}
    features = raw.get("features", [])
    if not isinstance(features, list):
        raise InvalidInput(f"{where}: 'features' must be a list of GeoJSON Feature objects")
    for i, feat in enumerate(features):
        try:
            _feature(out, feat, i, where)
        except (AttributeError, IndexError, TypeError, ValueError) as exc:  # found by the parser fuzzer
            if isinstance(exc, InvalidInput):
                raise
            raise InvalidInput(
                f"{where}: feature {i} is not a GeoJSON Feature with a geometry and properties "
                f"object ({type(exc).__name__})"
            ) from None
    return out


def _feature(out: dict[str, Any], feat: Any, i: int, where: str) -> None:
    geom, props = feat.get("geometry") or {}, dict(feat.get("properties") or {})
    props.setdefault("id", feat.get("id", i))
    kind, coords = geom.get("type"), geom.get("coordinates") or []
    if kind == "Point":
        if len(coords) < 2:
            raise InvalidInput(
                f"{where}: feature {i}: a Point needs [lon, lat] coordinates, got {coords!r:.80}"
            )
        entry = {**props, "lon": coords[0], "lat": coords[1]}
        out["red_zones" if props.get("kind") == "red_zone" else "points"].append(entry)
    elif kind == "LineString":
        out["lines"].append({**props, "coordinates": coords})
    else:
        raise InvalidInput(f"{where}: feature {i} has geometry {kind!r:.40}; expected Point or LineString")


@lru_cache(maxsize=8)
def _codes(unit_ids: tuple[str, ...]) -> dict[str, int]:
    return {u: i for i, u in enumerate(unit_ids)}


def allowed(units: tuple[str, ...], unit_ids: tuple[str, ...]) -> np.ndarray:
    """Boolean mask over track unit codes: which units may fulfil a requirement (empty: any)."""
    if not units:
        return np.ones(len(unit_ids), dtype=bool)
    codes = _codes(unit_ids)
    mask = np.zeros(len(unit_ids), dtype=bool)
    mask[[codes[u] for u in units if u in codes]] = True
    return mask
