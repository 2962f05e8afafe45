"""Warnings (M10): incident surges and crowd density.

Surge rules, per zone (district) and week ending at ``at``:

* **Poisson upper bound**: the week's count exceeds the upper ``1 - alpha`` quantile of a Poisson
  with the trailing mean of the previous ``weeks`` weeks (a control chart for counts; red at
  alpha 0.01, orange at alpha 0.05);
* **15-week mean** (the rule some bureaus use): the count is above the mean of the previous 15
  weeks (yellow), which flags often and is kept for comparability.

Crowd density: from a people-count feed (zone, time, count), a zone is red at or above its
capacity threshold, orange when it rises faster than ``rise_per_hour`` and is above half the
threshold, yellow above ``warn_share`` of the threshold.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import poisson

from xunfang.core.errors import InvalidInput

LEVELS = {
    "red": {"zh": "红色预警", "colour": "#d7191c"},
    "orange": {"zh": "橙色预警", "colour": "#fd8d3c"},
    "yellow": {"zh": "黄色预警", "colour": "#fecc5c"},
}


def _level(name: str) -> dict[str, str]:
    return {"level": name, "label_zh": LEVELS[name]["zh"], "colour": LEVELS[name]["colour"]}


def surge_warnings(
    history: pd.DataFrame, *, at: pd.Timestamp, weeks: int = 15, by: str = "district", days: int = 7
) -> dict[str, Any]:
    """Surge check of the ``days`` before ``at`` per zone against the trailing ``weeks`` windows."""
    if weeks < 2:
        raise InvalidInput(f"--weeks: need at least 2 trailing windows, got {weeks}")
    t = pd.to_datetime(history["time"])
    end = pd.Timestamp(at).normalize()
    start = end - pd.Timedelta(days=days * (weeks + 1))
    sel = history[(t >= start) & (t < end)]
    if sel.empty:
        raise InvalidInput(f"--at {end.date()}: no incidents in the {weeks + 1} windows before it")
    k = ((pd.to_datetime(sel["time"]) - start) // pd.Timedelta(days=days)).to_numpy()
    zones = sel[by].astype(str).to_numpy()
    names = sorted(set(zones), key=lambda s: (len(s), s))
    out = []
    for z in names:
        counts = np.bincount(k[zones == z], minlength=weeks + 1)
        now, trail = int(counts[-1]), counts[:-1]
        mean = float(trail.mean())
        ub99, ub95 = int(poisson.ppf(0.99, max(mean, 1e-9))), int(poisson.ppf(0.95, max(mean, 1e-9)))
        rules = []
        if now > ub99:
            rules.append("poisson_99")
        elif now > ub95:
            rules.append("poisson_95")
        if now > mean:
            rules.append("above_trailing_mean")
        level = (
            "red"
            if "poisson_99" in rules
            else "orange"
            if "poisson_95" in rules
            else ("yellow" if rules else None)
        )
        item: dict[str, Any] = {
            "zone": z,
            "count": now,
            "trailing_mean": round(mean, 2),
            "poisson_95": ub95,
            "poisson_99": ub99,
            "rules": rules,
        }
        if level:
            item.update(_level(level))
        out.append(item)
    return {
        "window": [(end - pd.Timedelta(days=days)).isoformat(), end.isoformat()],
        "trailing_windows": weeks,
        "zones": out,
        "warnings": [w for w in out if "level" in w],
    }


def crowd_warnings(
    feed: pd.DataFrame, *, threshold: float | dict[str, float], rise_per_hour: float, warn_share: float = 0.8
) -> list[dict[str, Any]]:
    """Latest people count per zone against its threshold and its rate of rise (per hour)."""
    missing = [c for c in ("zone", "time", "count") if c not in feed.columns]
    if missing:
        raise InvalidInput(f"people-count feed: missing column(s) {', '.join(missing)}; need zone,time,count")
    f = feed.assign(
        time=pd.to_datetime(feed["time"], errors="coerce"),
        count=pd.to_numeric(feed["count"], errors="coerce"),
    )
    if f["time"].isna().any() or f["count"].isna().any():
        raise InvalidInput("people-count feed: unparsable time or count values")
    out = []
    for zone, g in f.sort_values("time").groupby(f["zone"].astype(str)):
        limit = threshold.get(zone) if isinstance(threshold, dict) else threshold
        if limit is None:
            continue
        last = g.iloc[-1]
        rate = 0.0
        if len(g) > 1:
            prev = g.iloc[-2]
            hours = (last["time"] - prev["time"]) / pd.Timedelta(hours=1)
            rate = float((last["count"] - prev["count"]) / hours) if hours > 0 else 0.0
        count = float(last["count"])
        level = (
            "red"
            if count >= limit
            else "orange"
            if rate >= rise_per_hour and count >= 0.5 * limit
            else "yellow"
            if count >= warn_share * limit
            else None
        )
        item: dict[str, Any] = {
            "zone": zone,
            "time": last["time"].isoformat(),
            "count": count,
            "threshold": limit,
            "rise_per_hour": round(rate, 2),
        }
        if level:
            item.update(_level(level))
        out.append(item)
    return out
