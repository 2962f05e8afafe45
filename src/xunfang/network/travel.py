"""Travel-time model: seconds per edge for a mode of travel at an hour of the day.

Road modes drive at the data's free speed where the edge has one, else at the mode's speed for the
road class, capped at the mode's top speed, and slowed by an hour-of-day congestion factor for
motor vehicles. Drones fly straight. Off-network legs (from an incident to the nearest road node)
use the mode's off-road speed. The profile is plain data so that a bureau can supply its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from xunfang.core.errors import InvalidInput
from xunfang.network.graph import RoadGraph

F64 = NDArray[np.float64]


class Mode(StrEnum):
    CAR = "car"
    MOTORCYCLE = "motorcycle"
    EBIKE = "ebike"
    FOOT = "foot"
    HORSE = "horse"
    DRONE = "drone"

    @classmethod
    def parse(cls, value: str | Mode) -> Mode:
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            raise InvalidInput(
                f"unknown mode {value!r}; expected one of {', '.join(m.value for m in cls)}", field="mode"
            ) from None


MOTOR = frozenset({Mode.CAR, Mode.MOTORCYCLE})

# km/h by road class (motorway … path) for each road mode; NaN = the mode cannot use that class.
_CLASS_SPEED: dict[Mode, tuple[float, ...]] = {
    Mode.CAR: (90, 70, 50, 45, 40, 30, 20, 10),
    Mode.MOTORCYCLE: (90, 70, 50, 45, 40, 30, 20, 15),
    Mode.EBIKE: (20, 20, 20, 20, 20, 18, 15, 12),
    Mode.FOOT: (5, 5, 5, 5, 5, 5, 5, 5),
    Mode.HORSE: (8, 8, 8, 8, 8, 8, 8, 8),
}
_TOP_SPEED = {Mode.CAR: 120.0, Mode.MOTORCYCLE: 100.0, Mode.EBIKE: 25.0, Mode.FOOT: 5.0, Mode.HORSE: 10.0}
_OFFROAD_KMH = {
    Mode.CAR: 10.0,  # driving the last metres into a lot, plus walking from the kerb
    Mode.MOTORCYCLE: 10.0,
    Mode.EBIKE: 10.0,
    Mode.FOOT: 4.5,
    Mode.HORSE: 6.0,
    Mode.DRONE: 54.0,
}

# Hour-of-day multipliers of travel time for motor vehicles (1.0 = free flow): a weekday profile
# with morning and evening peaks, the shape reported by urban traffic indices.
DEFAULT_CONGESTION: tuple[float, ...] = (
    1.0, 1.0, 1.0, 1.0, 1.0, 1.05, 1.15, 1.35, 1.45, 1.3, 1.15, 1.15,
    1.2, 1.15, 1.15, 1.2, 1.35, 1.5, 1.4, 1.25, 1.15, 1.1, 1.05, 1.0,
)  # fmt: skip


@dataclass(frozen=True)
class TravelModel:
    """Speeds per mode and class, the congestion profile, and off-road/drone speeds."""

    congestion: tuple[float, ...] = DEFAULT_CONGESTION
    class_speed_kmh: dict[Mode, tuple[float, ...]] = field(default_factory=lambda: dict(_CLASS_SPEED))
    offroad_kmh: dict[Mode, float] = field(default_factory=lambda: dict(_OFFROAD_KMH))
    drone_kmh: float = 54.0
    top_speed_kmh: dict[Mode, float] = field(default_factory=lambda: dict(_TOP_SPEED))
    _cache: dict[tuple[int, Mode, int], F64] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.congestion) != 24 or min(self.congestion) < 1.0 or not all(np.isfinite(self.congestion)):
            raise InvalidInput("congestion profile: expected 24 finite factors, each ≥ 1.0")

    @classmethod
    def from_file(cls, path: Path | str) -> TravelModel:
        """A model from a TOML or JSON profile (format: :mod:`xunfang.network.profile`)."""
        from xunfang.network.profile import model_from_file

        return model_from_file(Path(path))

    @classmethod
    def from_settings(cls) -> TravelModel:
        """The profile named by ``XUNFANG_TRAVEL_PROFILE``, else the built-in defaults."""
        from xunfang.core.settings import get_settings

        path = get_settings().travel_profile
        return cls.from_file(path) if path is not None else cls()

    def edge_seconds(self, graph: RoadGraph, mode: Mode | str, hour: int = 12) -> F64:
        """Travel time of every edge in seconds (cached per graph, mode and hour)."""
        m = Mode.parse(mode)
        if m is Mode.DRONE:
            raise InvalidInput("drones do not use the road network; use drone_seconds()", field="mode")
        h = int(hour) % 24 if m in MOTOR else 0
        key = (id(graph), m, h)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        by_class = np.asarray(self.class_speed_kmh[m], dtype=np.float64)[graph.edge_class]
        data = graph.edge_speed_kmh.astype(np.float64)
        kmh = np.where(np.isfinite(data) & (data > 0), data, by_class) if m in MOTOR else by_class
        kmh = np.minimum(kmh, self.top_speed_kmh[m])
        seconds = graph.edge_length_m / (kmh / 3.6)
        if m in MOTOR:
            seconds = seconds * self.congestion[h]
        out = np.ascontiguousarray(seconds, dtype=np.float64)
        out.setflags(write=False)
        self._cache[key] = out
        return out

    def offroad_seconds(self, mode: Mode | str, metres: F64 | float) -> F64:
        """Time for the off-network leg between a point and its snapped road node."""
        return np.asarray(metres, dtype=np.float64) / (self.offroad_kmh[Mode.parse(mode)] / 3.6)

    def drone_seconds(self, metres: F64 | float) -> F64:
        return np.asarray(metres, dtype=np.float64) / (self.drone_kmh / 3.6)
