"""Staffing (警力跟着警情走): units per zone and hour sized from the expected incidents.

Sworn officers work fixed shifts (8 h from 00/08/16, or 12 h from 00/12); each shift's officers
are split over the zones in proportion to the zones' expected incidents in that shift (largest
remainder, at least ``min_per_zone``). Volunteer teams are only placed where a sworn officer is
on duty in the same zone and hour (at most ``volunteers_per_sworn`` each); K9 teams only in the
night window, to the busiest zones. Requests that cannot be met raise :class:`Infeasible`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from xunfang.core.errors import Infeasible, InvalidInput

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@dataclass(frozen=True)
class ForceRules:
    headcount: dict[str, int] = field(default_factory=lambda: {"sworn": 60, "volunteer": 20, "k9": 4})
    shift_hours: int = 8
    night: tuple[int, int] = (20, 6)  # start hour, end hour (wraps midnight)
    min_per_zone: int = 1
    volunteers_per_sworn: int = 2

    def night_hours(self) -> NDArray[np.bool_]:
        h = np.arange(24)
        a, b = self.night
        return (h >= a) | (h < b) if a > b else (h >= a) & (h < b)


def apportion(total: int, weights: F64, minimum: int = 0) -> I64:
    """Split ``total`` into integers ∝ ``weights`` with a floor of ``minimum`` (largest remainder)."""
    n = weights.size
    base = np.full(n, minimum, dtype=np.int64)
    rest = total - int(base.sum())
    if rest < 0:
        raise Infeasible(
            f"staffing: {total} units cannot give each of {n} zones at least {minimum}; "
            f"raise the headcount to at least {n * minimum} per shift or lower the minimum per zone"
        )
    share = weights / weights.sum() * rest if weights.sum() > 0 else np.full(n, rest / max(n, 1))
    whole = np.floor(share).astype(np.int64)
    left = rest - int(whole.sum())
    order = np.argsort(-(share - whole), kind="stable")[:left]
    whole[order] += 1
    out: I64 = base + whole
    return out


def staff(demand: F64, rules: ForceRules) -> dict[str, I64]:
    """Units per force type as (zones × 24) arrays from expected incidents per zone and hour."""
    if demand.ndim != 2 or demand.shape[1] != 24:
        raise InvalidInput(f"staffing: demand must be zones × 24 hours, got shape {demand.shape}")
    if rules.shift_hours not in (8, 12):
        raise InvalidInput(f"staffing: shift length must be 8 or 12 hours, got {rules.shift_hours}")
    sworn_total = int(rules.headcount.get("sworn", 0))
    volunteers = int(rules.headcount.get("volunteer", 0))
    if volunteers and not sworn_total:
        raise Infeasible("staffing: volunteer teams must patrol with a sworn officer, and none is available")
    n_shift = 24 // rules.shift_hours
    per_shift = apportion(sworn_total, demand.reshape(demand.shape[0], n_shift, -1).sum(axis=(0, 2)))
    sworn = np.zeros(demand.shape, dtype=np.int64)
    for s in range(n_shift):
        hours = slice(s * rules.shift_hours, (s + 1) * rules.shift_hours)
        zone_w = demand[:, hours].sum(axis=1)
        sworn[:, hours] = apportion(int(per_shift[s]), zone_w, rules.min_per_zone)[:, None]
    vol = np.zeros_like(sworn)
    for hour in range(24):
        cap = sworn[:, hour] * rules.volunteers_per_sworn
        want = apportion(min(volunteers, int(cap.sum())), demand[:, hour] * (cap > 0))
        vol[:, hour] = np.minimum(want, cap)
    k9 = np.zeros_like(sworn)
    night = rules.night_hours()
    teams = int(rules.headcount.get("k9", 0))
    for h in np.flatnonzero(night):
        busiest = np.argsort(-demand[:, h], kind="stable")[:teams]
        k9[busiest, h] = 1
    return {"sworn": sworn, "volunteer": vol, "k9": k9}
