"""A unit's trip along its road route, timed on the demo's accelerated clock."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from xunfang.core.errors import XunfangError
from xunfang.core.geo import haversine_m
from xunfang.network.engine import NetworkEngine

F64 = NDArray[np.float64]
FALLBACK_MPS = 8.0  # straight-line speed when no road route can be found (off the network)


@dataclass(frozen=True)
class Trip:
    """A polyline and its travel time; ``start_s`` is on the demo clock (simulated seconds)."""

    lon: F64
    lat: F64
    cum_m: F64
    seconds: float
    start_s: float

    def done(self, now_s: float) -> bool:
        return now_s - self.start_s >= self.seconds

    def at(self, now_s: float) -> tuple[float, float]:
        """Position after ``now_s - start_s`` seconds, at constant speed along the line."""
        frac = 1.0 if self.seconds <= 0 else min(max((now_s - self.start_s) / self.seconds, 0.0), 1.0)
        d = frac * float(self.cum_m[-1])
        return float(np.interp(d, self.cum_m, self.lon)), float(np.interp(d, self.cum_m, self.lat))


def trip(
    network: NetworkEngine | None, a: tuple[float, float], b: tuple[float, float], mode: str, start_s: float
) -> Trip:
    """The fastest road route from a to b (NetworkEngine.route); a straight line when there is none."""
    if network is not None:
        try:
            r = network.route(a, b, mode=mode)
            return _trip(np.asarray(r.lon, float), np.asarray(r.lat, float), r.seconds, start_s)
        except XunfangError:
            pass
    lon, lat = np.array([a[0], b[0]]), np.array([a[1], b[1]])
    return _trip(lon, lat, float(haversine_m(a[0], a[1], b[0], b[1])) / FALLBACK_MPS, start_s)


def _trip(lon: F64, lat: F64, seconds: float, start_s: float) -> Trip:
    step = haversine_m(lon[:-1], lat[:-1], lon[1:], lat[1:]) if lon.size > 1 else np.zeros(0)
    cum = np.concatenate([[0.0], np.cumsum(np.asarray(step, dtype=float))])
    if cum[-1] <= 0:
        cum = np.linspace(0.0, 1.0, lon.size) if lon.size > 1 else np.array([0.0, 1.0])
        if lon.size == 1:
            lon, lat = np.repeat(lon, 2), np.repeat(lat, 2)
    return Trip(lon, lat, cum, float(seconds), start_s)
