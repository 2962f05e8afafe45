"""OSM tag rules shared by the loaders: which ways a car may use, one-way, maxspeed and names.

OSM-derived data arrives as a PBF file, an edge CSV or a line layer, and all three carry the same
tags; reading them in one place keeps a road's direction and speed the same whatever the format.
Values are parsed once per distinct string (a city has a few dozen), not once per edge.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

# Highway values a motor vehicle may drive on (the OSMnx "drive" network plus living streets).
DRIVEABLE = frozenset(
    {
        "motorway",
        "motorway_link",
        "trunk",
        "trunk_link",
        "primary",
        "primary_link",
        "secondary",
        "secondary_link",
        "tertiary",
        "tertiary_link",
        "unclassified",
        "residential",
        "living_street",
        "road",
        "service",
    }
)
# service roads that are not through roads for a patrol car (parking aisles, driveways, private)
_SERVICE_EXCLUDED = frozenset({"parking", "parking_aisle", "driveway", "private", "emergency_access"})
_NO_ACCESS = frozenset({"no", "private"})

# ONEWAY codes: 1 = digitised direction only, -1 = against it, 0 = both ways.
_ONEWAY_FORWARD = frozenset({"yes", "true", "1", "f", "ft"})
_ONEWAY_BACKWARD = frozenset({"-1", "reverse", "t", "tf"})

# Implicit national limits (km/h) that OSM writes as "CC:zone"; the common zones are enough here.
_ZONE_KMH = {"urban": 50.0, "rural": 80.0, "motorway": 110.0, "trunk": 90.0, "living_street": 20.0}
_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph|knots)?\s*$")


def is_driveable(tags: Mapping[str, str]) -> bool:
    """Whether a car may drive on a way with these OSM tags."""
    highway = tags.get("highway", "")
    if highway not in DRIVEABLE or tags.get("area") == "yes":
        return False
    if highway == "service" and tags.get("service", "") in _SERVICE_EXCLUDED:
        return False
    return not any(tags.get(key, "") in _NO_ACCESS for key in ("access", "motor_vehicle", "motorcar"))


def oneway_code(value: object, *, highway: str = "", junction: str = "") -> int:
    """1 (one-way as digitised), -1 (one-way against the digitised direction) or 0 (two-way).

    ``oneway=yes``/``-1`` win; without a tag, roundabouts and motorways are one-way by OSM
    convention. Shapefile codes FT/TF (ESRI) and F/T/B (Geofabrik: T = against) are understood.
    """
    text = _text(value).lower()
    if text in _ONEWAY_FORWARD:
        return 1
    if text in _ONEWAY_BACKWARD:
        return -1
    if text in ("no", "false", "0", "b", "reversible", "alternating"):
        return 0
    if junction.lower() in ("roundabout", "circular") or highway.lower() == "motorway":
        return 1
    return 0


def oneway_codes(
    values: Iterable[object], highways: Iterable[object], junctions: Iterable[object] | None = None
) -> NDArray[np.int8]:
    """:func:`oneway_code` for columns of values (parsed once per distinct combination)."""
    junction_list = list(junctions) if junctions is not None else None
    out = [
        _oneway_cached(_text(v).lower(), _text(h).lower(), _text(junction_list[i]) if junction_list else "")
        for i, (v, h) in enumerate(zip(values, highways, strict=True))
    ]
    return np.asarray(out, dtype=np.int8)


@lru_cache(maxsize=4096)
def _oneway_cached(value: str, highway: str, junction: str) -> int:
    return oneway_code(value, highway=highway, junction=junction)


@lru_cache(maxsize=4096)
def maxspeed_kmh(value: str) -> float:
    """A ``maxspeed`` tag in km/h (NaN when absent or not a number: the class default applies).

    Understands ``50``, ``30 mph``, ``50 km/h``, ``FI:urban``, ``walk`` and lists such as
    ``60;40`` or ``60|40`` (per lane/condition: the first value is taken).
    """
    text = value.strip().lower()
    if not text:
        return math.nan
    text = re.split(r"[;|]", text)[0].strip()
    if text == "walk":
        return 5.0
    if ":" in text:
        return _ZONE_KMH.get(text.split(":", 1)[1], math.nan)
    match = _NUMBER.match(text)
    if not match:
        return math.nan
    speed = float(match.group(1))
    unit = match.group(2)
    if unit == "mph":
        speed *= 1.609344
    elif unit == "knots":
        speed *= 1.852
    return speed if 0.0 < speed < 300.0 else math.nan


def maxspeeds(values: Iterable[object]) -> NDArray[np.float32]:
    """:func:`maxspeed_kmh` for a column of values."""
    return np.asarray([maxspeed_kmh(_text(v)) for v in values], dtype=np.float32)


def road_name(tags: Mapping[str, str]) -> str:
    """The road's local name, else its Chinese, else its English name ('' when unnamed)."""
    for key in ("name", "name:zh", "name:en", "ref"):
        value = tags.get(key, "")
        if value:
            return value
    return ""


def _text(value: object) -> str:
    """A cell as text: None, NaN and empty all become ''; ``1.0`` read from a CSV becomes ``1``."""
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer():
            return str(int(value))
    return str(value).strip()
