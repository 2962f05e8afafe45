"""What a simulation runs on: a day of incidents and a deployment plan.

Incidents are either the real records of a day, replayed as they happened, or sampled from the
history's spatial distribution and hour-of-day profile at a chosen volume (a whole city's call
load) — sampled incidents are flagged ``simulated`` in every output. The plan (where units stand,
their shifts, routes and duty modes) is :mod:`xunfang.simulation.plan`, re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from xunfang.core.errors import InvalidInput
from xunfang.simulation.plan import Plan

__all__ = ["CALL_MIX", "DayIncidents", "Plan"]

F64 = NDArray[np.float64]

# A city's call mix (share, priority, criminal, mean minutes on scene); used for sampled volume.
CALL_MIX: dict[str, tuple[float, int, bool, float]] = {
    "criminal": (0.15, 1, True, 20.0),
    "public_order": (0.25, 2, False, 12.0),
    "traffic": (0.20, 2, False, 15.0),
    "dispute": (0.20, 2, False, 15.0),
    "help_request": (0.20, 3, False, 10.0),
}
REAL_CATEGORY = ("criminal", 1, True, 20.0)  # Chicago's history: aggravated assaults


@dataclass(frozen=True)
class DayIncidents:
    """One day's incidents, ordered by time (seconds since local midnight)."""

    day: date
    t_s: F64
    lon: F64
    lat: F64
    priority: NDArray[np.int8]
    criminal: NDArray[np.bool_]
    scene_mean_s: F64
    category: NDArray[np.str_]
    district: NDArray[np.str_]
    simulated: NDArray[np.bool_]

    def __len__(self) -> int:
        return int(self.t_s.size)

    @classmethod
    def real(cls, history: pd.DataFrame, day: date) -> DayIncidents:
        """The real records of ``day`` (history columns: time, lon, lat, category, district)."""
        rows = _day_rows(history, day)
        n = len(rows)
        t = np.asarray((rows["time"] - pd.Timestamp(day)).dt.total_seconds(), dtype=np.float64)
        _, prio, crim, mean_min = REAL_CATEGORY
        return cls(
            day=day,
            t_s=t,
            lon=rows["lon"].to_numpy(np.float64),
            lat=rows["lat"].to_numpy(np.float64),
            priority=np.full(n, prio, np.int8),
            criminal=np.full(n, crim),
            scene_mean_s=np.full(n, mean_min * 60.0),
            category=rows["category"].astype(str).to_numpy(np.str_),
            district=rows["district"].astype(str).to_numpy(np.str_),
            simulated=np.zeros(n, bool),
        )

    @classmethod
    def sampled(
        cls, history: pd.DataFrame, day: date, volume: int, *, seed: int, jitter_m: float = 60.0
    ) -> DayIncidents:
        """``volume`` simulated calls: places drawn from the history, hours from its profile."""
        if volume <= 0:
            raise InvalidInput(f"volume must be positive, got {volume}")
        rng = np.random.default_rng(seed)
        pick = rng.integers(0, len(history), volume)
        hours = history["time"].dt.hour.to_numpy()
        profile = np.bincount(hours, minlength=24) / len(hours)
        t = np.sort(rng.choice(24, volume, p=profile) * 3600.0 + rng.uniform(0, 3600.0, volume))
        deg = jitter_m / 111_000.0
        names = list(CALL_MIX)
        share = np.array([CALL_MIX[c][0] for c in names])
        cat = rng.choice(len(names), volume, p=share / share.sum())
        return cls(
            day=day,
            t_s=t,
            lon=history["lon"].to_numpy(np.float64)[pick] + rng.normal(0, deg, volume),
            lat=history["lat"].to_numpy(np.float64)[pick] + rng.normal(0, deg, volume),
            priority=np.array([CALL_MIX[names[c]][1] for c in cat], np.int8),
            criminal=np.array([CALL_MIX[names[c]][2] for c in cat]),
            scene_mean_s=np.array([CALL_MIX[names[c]][3] * 60.0 for c in cat]),
            category=np.array([names[c] for c in cat], dtype=np.str_),
            district=history["district"].astype(str).to_numpy(np.str_)[pick],
            simulated=np.ones(volume, bool),
        )


def _day_rows(history: pd.DataFrame, day: date) -> pd.DataFrame:
    t = history["time"]
    first, last = t.min().date(), t.max().date()
    if not first <= day <= last:
        raise InvalidInput(f"--date {day}: outside the incident history ({first} .. {last})")
    start = pd.Timestamp(day)
    rows = history[(t >= start) & (t < start + pd.Timedelta(days=1))].sort_values("time")
    if rows.empty:
        raise InvalidInput(f"--date {day}: the history holds no incident on that day")
    return rows
