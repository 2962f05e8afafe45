"""A deployment plan as the simulator reads it: units, their posts, shifts, routes and duty modes.

A plan is plain JSON so that planners and the simulator exchange it without code::

    {"name": "...",
     "posts":  [{"id": "P1", "lon": ..., "lat": ...}],                      # optional, named posts
     "routes": [{"id": "R1", "waypoints": [{"lon": .., "lat": .., "dwell_s": 300}, ...]}],
     "units":  [{"id": "U1", "force_type": "patrol_police",
                 "post": "P1"  (or "lon"/"lat" inline),
                 "shift": "08:00-16:00"              (optional, may wrap midnight; default all day),
                 "route": "R1"                        (optional: its patrol loop from the post),
                 "duty": ["guard" | "patrol"] * 24    (optional: per hour; default patrol if routed)}]}

A unit in a *patrol* hour drives its route's loop (post → waypoints, dwelling at each → post, over
and over); in a *guard* hour it stands at its post (M5: guard points at peak hours, patrol lines
off-peak). A reference to an unknown post or route, a malformed shift or duty list, or a patrol
hour without a route is refused with a message naming the unit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from xunfang.core.errors import CorruptData, DataNotFound, InvalidInput
from xunfang.core.geo import check_lonlat
from xunfang.forces.types import ForceType

F64 = NDArray[np.float64]
DUTY = ("guard", "patrol")


@dataclass(frozen=True)
class Patrol:
    """A patrol loop: waypoints driven in order from the unit's post and back, dwelling at each."""

    id: str
    lon: F64
    lat: F64
    dwell_s: F64

    def __post_init__(self) -> None:
        if self.lon.size == 0:
            raise InvalidInput(f"route {self.id!r}: it has no waypoints")
        for lo, la in zip(self.lon, self.lat, strict=True):
            check_lonlat(float(lo), float(la), name=f"route {self.id!r} waypoint")
        if not (np.isfinite(self.dwell_s).all() and (self.dwell_s >= 0).all()):
            raise InvalidInput(f"route {self.id!r}: dwell_s must be non-negative seconds")

    def to_json(self) -> dict[str, Any]:
        pts = zip(self.lon, self.lat, self.dwell_s, strict=True)
        return {
            "id": self.id,
            "waypoints": [
                {"lon": round(float(x), 7), "lat": round(float(y), 7), "dwell_s": float(d)} for x, y, d in pts
            ],
        }


@dataclass(frozen=True)
class Plan:
    """Units, where they stand (WGS84), and optionally shifts, patrol routes and duty modes.

    ``shift`` is units × 2 minutes of the day (start, end; end ≤ start wraps midnight, equal means
    all day), ``patrol_hours`` units × 24 (True: the unit drives its route in that hour), ``routes``
    one :class:`Patrol` or None per unit.
    """

    name: str
    unit_ids: list[str]
    force: list[ForceType]
    lon: F64
    lat: F64
    shift: NDArray[np.int16] | None = None
    patrol_hours: NDArray[np.bool_] | None = None
    routes: list[Patrol | None] | None = field(default=None)

    def __post_init__(self) -> None:
        n = len(self.unit_ids)
        if not n:
            raise InvalidInput(f"plan {self.name!r}: it has no units; a simulation needs at least one")
        if len(set(self.unit_ids)) != n:
            raise InvalidInput(f"plan {self.name!r}: unit ids must be unique")
        for lo, la in zip(self.lon, self.lat, strict=True):
            check_lonlat(float(lo), float(la), name=f"plan {self.name!r} post")
        if self.shift is None:
            object.__setattr__(self, "shift", np.tile(np.array([0, 1440], np.int16), (n, 1)))
        if self.routes is None:
            object.__setattr__(self, "routes", [None] * n)
        if self.patrol_hours is None:
            routed = np.array([r is not None for r in self.routes or []], bool)
            object.__setattr__(self, "patrol_hours", np.repeat(routed[:, None], 24, axis=1))
        self._check_shapes(n)

    def _check_shapes(self, n: int) -> None:
        assert self.shift is not None and self.patrol_hours is not None and self.routes is not None
        if self.shift.shape != (n, 2) or self.patrol_hours.shape != (n, 24) or len(self.routes) != n:
            raise InvalidInput(f"plan {self.name!r}: shift, duty and route must give one entry per unit")
        if self.shift.min() < 0 or self.shift.max() > 1440:
            raise InvalidInput(f"plan {self.name!r}: shift minutes must lie in 0..1440")
        for u, route in enumerate(self.routes):
            if route is None and self.patrol_hours[u].any():
                h = int(np.flatnonzero(self.patrol_hours[u])[0])
                raise InvalidInput(
                    f"plan {self.name!r}: unit {self.unit_ids[u]} patrols at {h:02d}:00 but has no route"
                )

    def __len__(self) -> int:
        return len(self.unit_ids)

    @property
    def routed(self) -> bool:
        return any(r is not None for r in self.routes or [])

    @classmethod
    def at_points(
        cls, name: str, lon: F64, lat: F64, n_units: int, force: ForceType = ForceType.PATROL_POLICE
    ) -> Plan:
        """``n_units`` units spread round-robin over the given posts."""
        if len(lon) == 0:
            raise InvalidInput(f"plan {name!r}: no posts to stand units at")
        k = np.arange(n_units) % len(lon)
        return cls(
            name,
            [f"U{i:04d}" for i in range(n_units)],
            [force] * n_units,
            np.asarray(lon)[k],
            np.asarray(lat)[k],
        )

    # -- JSON ------------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        assert self.shift is not None and self.patrol_hours is not None and self.routes is not None
        units = []
        for u, uid in enumerate(self.unit_ids):
            entry: dict[str, Any] = {
                "id": uid,
                "force_type": self.force[u].value,
                "lon": round(float(self.lon[u]), 7),
                "lat": round(float(self.lat[u]), 7),
            }
            start, end = (int(x) for x in self.shift[u])
            if not (start == 0 and end == 1440):
                entry["shift"] = f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"
            route = self.routes[u]
            if route is not None:
                entry["route"] = route.id
                entry["duty"] = [DUTY[int(p)] for p in self.patrol_hours[u]]
            units.append(entry)
        out: dict[str, Any] = {"name": self.name, "units": units}
        routes = {r.id: r for r in self.routes if r is not None}
        if routes:
            out["routes"] = [r.to_json() for r in routes.values()]
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any], *, source: str = "plan") -> Plan:
        try:
            return _parse(data, source)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            if isinstance(exc, InvalidInput | CorruptData):
                raise
            raise CorruptData(
                f"{source}: not a plan ({{'name', 'units': [{{'id', 'force_type', 'lon', 'lat'}}]}}): {exc}"
            ) from None

    @classmethod
    def read(cls, path: Path) -> Plan:
        if not path.is_file():
            raise DataNotFound(f"{path}: plan file not found")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise CorruptData(f"{path}: not valid JSON ({exc})") from None
        return cls.from_json(data, source=str(path))


def parse_shift(text: str, *, where: str) -> tuple[int, int]:
    """``"HH:MM-HH:MM"`` → (start, end) minutes; end ≤ start wraps midnight, 24:00 allowed as end."""
    try:
        a, b = text.split("-")
        minutes = []
        for part in (a, b):
            hh, mm = part.strip().split(":")
            minutes.append(int(hh) * 60 + int(mm))
    except (ValueError, AttributeError):
        raise InvalidInput(f"{where}: shift {text!r} is not HH:MM-HH:MM") from None
    if not (0 <= minutes[0] < 1440 and 0 <= minutes[1] <= 1440):
        raise InvalidInput(f"{where}: shift {text!r} is outside 00:00-24:00")
    return minutes[0], minutes[1]


def _duty(value: Any, where: str) -> NDArray[np.bool_]:
    if not isinstance(value, list) or len(value) != 24 or any(v not in DUTY for v in value):
        raise InvalidInput(f"{where}: duty must list 24 hours of 'guard' or 'patrol'")
    return np.array([v == "patrol" for v in value], bool)


def _force(unit: dict[str, Any], source: str) -> ForceType:
    try:
        return ForceType.parse(str(unit.get("force_type", "patrol_police")))
    except InvalidInput as exc:
        raise CorruptData(f"{source}: unit {unit.get('id')}: {exc}") from None


def _route(data: dict[str, Any]) -> Patrol:
    pts = data["waypoints"]
    return Patrol(
        str(data["id"]),
        np.array([float(p["lon"]) for p in pts]),
        np.array([float(p["lat"]) for p in pts]),
        np.array([float(p.get("dwell_s", 0.0)) for p in pts]),
    )


def _parse(data: dict[str, Any], source: str) -> Plan:
    name = str(data.get("name", source))
    posts = {str(p["id"]): (float(p["lon"]), float(p["lat"])) for p in data.get("posts", [])}
    routes = {str(r["id"]): _route(r) for r in data.get("routes", [])}
    units = data["units"]
    lon, lat, shifts, duty, route_of = [], [], [], [], []
    for u in units:
        where = f"plan {name!r} unit {u['id']}"
        if "post" in u:
            if str(u["post"]) not in posts:
                raise InvalidInput(
                    f"{where}: unknown post {u['post']!r} (posts: {', '.join(posts) or 'none'})"
                )
            x, y = posts[str(u["post"])]
        else:
            x, y = float(u["lon"]), float(u["lat"])
        lon.append(x)
        lat.append(y)
        shifts.append(parse_shift(str(u["shift"]), where=where) if "shift" in u else (0, 1440))
        rid = u.get("route")
        if rid is not None and str(rid) not in routes:
            raise InvalidInput(f"{where}: unknown route {rid!r} (routes: {', '.join(routes) or 'none'})")
        route_of.append(routes[str(rid)] if rid is not None else None)
        duty.append(_duty(u["duty"], where) if "duty" in u else np.full(24, rid is not None))
    return Plan(
        name,
        [str(u["id"]) for u in units],
        [_force(u, source) for u in units],
        np.array(lon),
        np.array(lat),
        shift=np.array(shifts, np.int16).reshape(-1, 2),
        patrol_hours=np.array(duty, bool).reshape(-1, 24),
        routes=route_of,
    )
