"""Duty modes (M5) and the day plan: who stands or moves where, hour by hour.

At a zone's peak hours (its busiest ``peak_share`` of hours) units guard posts; off-peak they
patrol lines; hours in the night window are flagged for night emphasis (K9, lit routes).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from xunfang.planning.staffing import ForceRules, staff

F64 = NDArray[np.float64]


def duty_modes(demand: F64, *, peak_share: float = 0.25) -> NDArray[np.str_]:
    """'guard' in each zone's busiest hours, 'patrol' otherwise (zones × 24)."""
    cut = np.quantile(demand, 1.0 - peak_share, axis=1, keepdims=True)
    return np.where((demand >= cut) & (demand > 0), "guard", "patrol")


def day_plan(
    demand: F64,
    zones: list[str],
    rules: ForceRules,
    *,
    posts: dict[str, list[dict[str, Any]]] | None = None,
    lines: dict[str, list[dict[str, Any]]] | None = None,
) -> list[dict[str, Any]]:
    """One row per hour and zone: units by force, duty mode, night flag and where to stand or go."""
    units = staff(demand, rules)
    modes = duty_modes(demand)
    night = rules.night_hours()
    rows = []
    for h in range(24):
        for z, name in enumerate(zones):
            mode = str(modes[z, h])
            n = int(units["sworn"][z, h] + units["volunteer"][z, h] + units["k9"][z, h])
            where = (posts or {}).get(name, []) if mode == "guard" else (lines or {}).get(name, [])
            rows.append({
                "hour": h, "zone": name, "mode": mode, "night": bool(night[h]),
                "expected_incidents": round(float(demand[z, h]), 3),
                "units": {k: int(v[z, h]) for k, v in units.items()},
                "assignments": where[: max(n, 0)],
            })  # fmt: skip
    return rows
