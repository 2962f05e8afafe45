"""Travel profiles: a bureau's own speeds and rush hours, read from a TOML or JSON file.

Speeds differ between cities and forces (a motorcycle unit in a dense centre, e-bikes on narrow
lanes, a different rush hour), so the travel model is data the user can replace. Every key is
optional; what is left out keeps the built-in default. A wrong key or value is refused with its
path in the file (``class_speed_kmh.car[3]``) and what was expected, never silently ignored::

    congestion = [1.0, 1.0, ..., 1.0]          # 24 factors ≥ 1 (hour 0..23), motor vehicles
    drone_kmh = 54
    [class_speed_kmh]                           # per road mode: 8 speeds, motorway … path
    car = [90, 70, 50, 45, 40, 30, 20, 10]
    ebike = { residential = 16, path = 10 }     # or only some classes, by name
    [offroad_kmh]                               # first/last leg off the network, per mode
    foot = 4.5
    [top_speed_kmh]                             # cap on the data's free speed, per road mode
    car = 110
"""

from __future__ import annotations

import json
import math
import tomllib
from pathlib import Path
from typing import Any

from xunfang.core.errors import CorruptData, DataNotFound, InvalidInput
from xunfang.network.graph import RoadClass
from xunfang.network.travel import Mode, TravelModel

KEYS = ("congestion", "class_speed_kmh", "offroad_kmh", "top_speed_kmh", "drone_kmh")
ROAD_MODES = tuple(m for m in Mode if m is not Mode.DRONE)
CLASSES = tuple(c.name.lower() for c in RoadClass)


def read_profile(path: Path) -> dict[str, Any]:
    """The raw profile mapping from a .toml or .json file."""
    if not path.is_file():
        raise DataNotFound(f"{path}: travel profile not found (expected a .toml or .json file)")
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
        else:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CorruptData(
            f"{path}: not a valid {path.suffix.lstrip('.') or 'TOML'} travel profile ({exc})"
        ) from None
    if not isinstance(data, dict):
        raise InvalidInput(f"{path}: a travel profile must be a table of keys ({', '.join(KEYS)})")
    return data


def model_from_file(path: Path) -> TravelModel:
    """A :class:`TravelModel` from a profile file (see the module docstring for the format)."""
    return model_from_mapping(read_profile(path), origin=str(path))


def model_from_mapping(data: dict[str, Any], *, origin: str = "travel profile") -> TravelModel:
    """A :class:`TravelModel` from an already-parsed profile mapping."""
    base = TravelModel()
    unknown = [k for k in data if k not in KEYS]
    if unknown:
        raise InvalidInput(
            f"{origin}: unknown key {unknown[0]!r}; expected one of {', '.join(KEYS)}", field=unknown[0]
        )
    congestion = base.congestion
    if "congestion" in data:
        values = data["congestion"]
        if not isinstance(values, list) or len(values) != 24:
            raise InvalidInput(
                f"{origin}: congestion: expected a list of 24 factors (hours 0..23)", field="congestion"
            )
        congestion = tuple(_number(origin, f"congestion[{h}]", v, minimum=1.0) for h, v in enumerate(values))
    class_speed = dict(base.class_speed_kmh)
    for mode, value in _per_mode(origin, data, "class_speed_kmh", ROAD_MODES).items():
        class_speed[mode] = _class_speeds(origin, f"class_speed_kmh.{mode.value}", value, class_speed[mode])
    offroad = dict(base.offroad_kmh)
    for mode, value in _per_mode(origin, data, "offroad_kmh", tuple(Mode)).items():
        offroad[mode] = _number(origin, f"offroad_kmh.{mode.value}", value)
    top = dict(base.top_speed_kmh)
    for mode, value in _per_mode(origin, data, "top_speed_kmh", ROAD_MODES).items():
        top[mode] = _number(origin, f"top_speed_kmh.{mode.value}", value)
    drone = _number(origin, "drone_kmh", data["drone_kmh"]) if "drone_kmh" in data else base.drone_kmh
    return TravelModel(
        congestion=congestion,
        class_speed_kmh=class_speed,
        offroad_kmh=offroad,
        top_speed_kmh=top,
        drone_kmh=drone,
    )


def _per_mode(origin: str, data: dict[str, Any], key: str, allowed: tuple[Mode, ...]) -> dict[Mode, Any]:
    table = data.get(key, {})
    if not isinstance(table, dict):
        raise InvalidInput(f"{origin}: {key}: expected a table keyed by mode", field=key)
    out: dict[Mode, Any] = {}
    for name, value in table.items():
        mode = next((m for m in allowed if m.value == str(name).lower()), None)
        if mode is None:
            names = ", ".join(m.value for m in allowed)
            raise InvalidInput(
                f"{origin}: {key}.{name}: unknown mode; expected one of {names}",
                field=f"{key}.{name}",
            )
        out[mode] = value
    return out


def _class_speeds(origin: str, key: str, value: Any, default: tuple[float, ...]) -> tuple[float, ...]:
    if isinstance(value, list):
        if len(value) != len(CLASSES):
            raise InvalidInput(
                f"{origin}: {key}: expected {len(CLASSES)} speeds ({', '.join(CLASSES)}), got {len(value)}",
                field=key,
            )
        return tuple(_number(origin, f"{key}[{i}]", v) for i, v in enumerate(value))
    if isinstance(value, dict):
        speeds = list(default)
        for cls, v in value.items():
            if str(cls).lower() not in CLASSES:
                raise InvalidInput(
                    f"{origin}: {key}.{cls}: unknown road class; expected one of {', '.join(CLASSES)}",
                    field=f"{key}.{cls}",
                )
            speeds[CLASSES.index(str(cls).lower())] = _number(origin, f"{key}.{cls}", v)
        return tuple(speeds)
    raise InvalidInput(
        f"{origin}: {key}: expected a list of {len(CLASSES)} speeds or a table by class", field=key
    )


def _number(origin: str, key: str, value: Any, *, minimum: float | None = None) -> float:
    """A positive finite number (km/h or a factor), or an error naming the key."""
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if ok and minimum is not None:
        ok = value >= minimum
    elif ok:
        ok = value > 0
    if not ok:
        expected = f"a number ≥ {minimum}" if minimum is not None else "a positive number"
        raise InvalidInput(f"{origin}: {key}: expected {expected}, got {value!r}", field=key)
    return float(value)
