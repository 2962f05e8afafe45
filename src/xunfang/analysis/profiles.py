"""Time profiles: when incidents happen (hour × weekday) and the key patrol window."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from xunfang.core.errors import InvalidInput

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def select(history: pd.DataFrame, *, zone: str | None = None, category: str | None = None) -> pd.DataFrame:
    """Rows of one district and/or category (refused when nothing matches, naming the value)."""
    out = history
    if zone:
        out = out[out["district"].astype(str) == str(zone)]
        if out.empty:
            raise InvalidInput(f"--zone: no incidents in district {zone!r}")
    if category:
        out = out[out["category"].astype(str) == str(category)]
        if out.empty:
            raise InvalidInput(f"--category: no incidents of category {category!r}")
    return out


def hour_weekday(history: pd.DataFrame) -> np.ndarray:
    """7 × 24 counts (Monday first, local hour)."""
    t = pd.to_datetime(history["time"])
    mat = np.zeros((7, 24), dtype=np.int64)
    np.add.at(mat, (t.dt.day_of_week.to_numpy(), t.dt.hour.to_numpy()), 1)
    return mat


def patrol_window(hours: np.ndarray, share: float = 0.5) -> dict[str, Any]:
    """Shortest contiguous (wrapping midnight) span of hours holding ``share`` of incidents.

    Among spans of that length the busiest is returned, e.g. 20:00–03:00 (end exclusive).
    """
    if not 0 < share <= 1:
        raise InvalidInput(f"--share: expected a fraction in (0, 1], got {share}")
    h = np.asarray(hours, dtype=np.float64)
    total = float(h.sum())
    if total == 0:
        raise InvalidInput("patrol window: no incidents in the selection")
    twice = np.concatenate([h, h])
    cum = np.concatenate([[0.0], np.cumsum(twice)])
    for length in range(1, 25):
        sums = cum[np.arange(24) + length] - cum[np.arange(24)]
        best = int(np.argmax(sums))
        if sums[best] >= share * total - 1e-9:
            return {
                "start": f"{best:02d}:00",
                "end": f"{(best + length) % 24:02d}:00",
                "hours": length,
                "share": round(float(sums[best] / total), 4),
            }
    raise AssertionError("unreachable: 24 hours hold every incident")


def profile(
    history: pd.DataFrame, *, zone: str | None = None, category: str | None = None, share: float = 0.5
) -> dict[str, Any]:
    """Heatmap, hourly and weekday totals and the patrol window of a selection."""
    sel = select(history, zone=zone, category=category)
    mat = hour_weekday(sel)
    t = pd.to_datetime(sel["time"])
    timed = bool(((t.dt.hour != 0) | (t.dt.minute != 0)).any())
    out: dict[str, Any] = {
        "zone": zone,
        "category": category,
        "incidents": len(sel),
        "weekdays": list(WEEKDAYS),
        "matrix": mat.tolist(),
        "by_hour": mat.sum(axis=0).tolist(),
        "by_weekday": mat.sum(axis=1).tolist(),
        "time_of_day_known": timed,
    }
    out["patrol_window"] = patrol_window(mat.sum(axis=0), share) if timed else None
    return out
