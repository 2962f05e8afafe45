"""Compliance summaries, visible-police rate (见警率) and patrol hours / person-times (人次).

Rows from point visits and line coverage are rolled up per unit, team, zone, station and day:
compliance = requirements met in full / requirements. A requirement assigned to several units
counts for each of them; one assigned to nobody counts under ``(any)``.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

import numpy as np

from xunfang.core.geo import MetricProjection
from xunfang.supervision.plan import RedZone, UnitInfo
from xunfang.supervision.tracks import Tracks


def _pair_durations(tracks: Tracks, max_gap_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Seconds between consecutive fixes of the same unit (0 across units or gaps > max_gap_s)."""
    dt = np.diff(tracks.t)
    same = tracks.unit[1:] == tracks.unit[:-1]
    return np.where(same & (dt <= max_gap_s), dt, 0.0), same


def visible_police(
    tracks: Tracks,
    zones: tuple[RedZone, ...],
    proj: MetricProjection,
    *,
    max_gap_s: float = 600.0,
    xy: tuple[np.ndarray, np.ndarray] | None = None,
) -> list[dict[str, object]]:
    """Unit-minutes of presence inside each red zone during its key windows, against the requirement."""
    if not zones or len(tracks) < 2:
        return []
    fx, fy = xy if xy is not None else proj.to_xy(tracks.lon, tracks.lat)
    dt, _ = _pair_durations(tracks, max_gap_s)
    rows: list[dict[str, object]] = []
    for z in zones:
        zx, zy = proj.to_xy([z.lon], [z.lat])
        inside = np.hypot(fx - zx[0], fy - zy[0]) <= z.radius_m
        both = inside[1:] & inside[:-1]
        for w0, w1 in z.windows:
            seg = np.clip(np.minimum(tracks.t[1:], w1) - np.maximum(tracks.t[:-1], w0), 0, None)
            minutes = float((np.minimum(seg, dt) * both).sum()) / 60.0
            rows.append({
                "zone": z.id, "window": [w0, w1], "presence_min": round(minutes, 1),
                "required_min": z.required_min, "rate": round(min(1.0, minutes / z.required_min), 4)
                if z.required_min > 0 else 1.0,
            })  # fmt: skip
    return rows


def patrol_hours(
    tracks: Tracks, units: dict[str, UnitInfo], *, max_gap_s: float = 600.0
) -> dict[str, dict[str, float]]:
    """Tracked hours and person-times (persons × distinct unit-days on duty) per force type."""
    dt, _ = _pair_durations(tracks, max_gap_s)
    per_unit = np.bincount(tracks.unit[1:], weights=dt, minlength=len(tracks.unit_ids))
    day = (tracks.t // 86400).astype(np.int64)
    unit_days = np.unique(tracks.unit * 100_000 + day) // 100_000
    days_per_unit = np.bincount(unit_days, minlength=len(tracks.unit_ids))
    out: dict[str, dict[str, float]] = defaultdict(lambda: {"units": 0, "hours": 0.0, "person_times": 0})
    for code, uid in enumerate(tracks.unit_ids):
        info = units.get(uid, UnitInfo())
        row = out[info.force]
        row["units"] += 1
        row["hours"] = round(row["hours"] + float(per_unit[code]) / 3600.0, 2)
        row["person_times"] += int(days_per_unit[code]) * info.persons
    return dict(out)


def _day(window: object) -> str:
    start = float(window[0]) if isinstance(window, list | tuple) else 0.0
    return datetime.fromtimestamp(start, tz=UTC).date().isoformat()


def summarize(
    rows: list[dict[str, object]], units: dict[str, UnitInfo]
) -> dict[str, dict[str, dict[str, float]]]:
    """Compliance per unit, team, zone, station and day over point and line requirement rows."""
    tally: dict[str, dict[str, list[int]]] = {
        k: defaultdict(lambda: [0, 0]) for k in ("unit", "team", "zone", "station", "day")
    }
    for row in rows:
        met = int(row["status"] == "ok")
        raw = row.get("assigned")
        assigned = [str(u) for u in raw] if isinstance(raw, list) and raw else ["(any)"]
        keys: dict[str, set[str]] = {"unit": set(assigned), "team": set(), "station": set()}
        for u in assigned:
            info = units.get(u)
            if info:
                keys["team"].add(info.team or "(none)")
                keys["station"].add(info.station or "(none)")
        keys["zone"] = {str(row.get("zone") or "(none)")}
        keys["day"] = {_day(row.get("window"))}
        for level, names in keys.items():
            for name in names:
                tally[level][name][0] += met
                tally[level][name][1] += 1
    return {
        level: {
            name: {"met": m, "required": n, "compliance": round(m / n, 4)}
            for name, (m, n) in sorted(t.items())
        }
        for level, t in tally.items()
    }
