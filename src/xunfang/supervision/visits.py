"""Point visits (必巡点打卡): inside radius r for at least the dwell, inside the required window.

A *stay* is a run of consecutive fixes of one unit all within the point's radius. Loggers often
stop recording while a person stands still, so the time between two consecutive inside fixes
counts as presence even when it is a long gap (up to ``max_gap_s``, beyond which the stay is
split: a unit that was near the point yesterday and again today did not stand there all night).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from xunfang.core.geo import MetricProjection
from xunfang.supervision.plan import PatrolPoint, allowed
from xunfang.supervision.tracks import Tracks

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@dataclass(frozen=True)
class Stays:
    """Stays at points: point index, unit code, start and end time (seconds)."""

    point: I64
    unit: I64
    start: F64
    end: F64


def find_stays(
    tracks: Tracks,
    points: tuple[PatrolPoint, ...],
    proj: MetricProjection,
    *,
    max_gap_s: float = 7200.0,
    xy: tuple[F64, F64] | None = None,
) -> Stays:
    """All stays of all units at all points (tracks cleaned: sorted by unit and time)."""
    empty = np.zeros(0, dtype=np.int64)
    if not points or not len(tracks):
        return Stays(empty, empty, np.zeros(0), np.zeros(0))
    px, py = proj.to_xy([p.lon for p in points], [p.lat for p in points])
    radius = np.array([p.radius_m for p in points])
    fx, fy = xy if xy is not None else proj.to_xy(tracks.lon, tracks.lat)
    k = min(4, len(points))
    dist, idx = cKDTree(np.column_stack([px, py])).query(
        np.column_stack([fx, fy]), k=k, distance_upper_bound=float(radius.max())
    )
    dist, idx = dist.reshape(len(tracks), k), idx.reshape(len(tracks), k)
    hit = np.isfinite(dist)
    hit[hit] = dist[hit] <= radius[idx[hit]]
    fix = np.nonzero(hit)[0].astype(np.int64)
    pt = idx[hit].astype(np.int64)
    order = np.lexsort((fix, pt))
    fix, pt = fix[order], pt[order]
    t, unit = tracks.t[fix], tracks.unit[fix]
    new = np.ones(fix.size, dtype=bool)
    new[1:] = (pt[1:] != pt[:-1]) | (fix[1:] != fix[:-1] + 1) | (unit[1:] != unit[:-1])
    new[1:] |= (t[1:] - t[:-1]) > max_gap_s
    first = np.flatnonzero(new)
    last = np.concatenate([first[1:] - 1, [fix.size - 1]]) if first.size else first
    return Stays(pt[first], unit[first], t[first], t[last])


def point_visits(
    tracks: Tracks,
    points: tuple[PatrolPoint, ...],
    proj: MetricProjection,
    *,
    late_grace_s: float = 3600.0,
    xy: tuple[F64, F64] | None = None,
) -> list[dict[str, object]]:
    """One row per point and window: visits made against visits required, and the status.

    ``ok``: enough visits of at least the dwell inside the window; ``late``: not enough inside, but
    a qualifying stay began within ``late_grace_s`` after the window; ``missed``: neither.
    """
    stays = find_stays(tracks, points, proj, xy=xy)
    order = np.argsort(stays.point, kind="stable")
    bounds = np.searchsorted(stays.point[order], np.arange(len(points) + 1))
    rows: list[dict[str, object]] = []
    for i, p in enumerate(points):
        sel = order[bounds[i] : bounds[i + 1]]
        ok_unit = allowed(p.units, tracks.unit_ids)[stays.unit[sel]]
        start, end, unit = stays.start[sel][ok_unit], stays.end[sel][ok_unit], stays.unit[sel][ok_unit]
        for w0, w1 in p.windows:
            inside = (np.minimum(end, w1) - np.maximum(start, w0)) >= p.dwell_s
            late = (start > w1) & (start <= w1 + late_grace_s) & ((end - start) >= p.dwell_s)
            done = int(inside.sum())
            present = float(np.clip(np.minimum(end, w1) - np.maximum(start, w0), 0, None).sum())
            status = (
                "ok" if done >= p.required else ("late" if done + int(late.sum()) >= p.required else "missed")
            )
            rows.append({
                "point": p.id, "zone": p.zone, "window": [w0, w1], "required": p.required, "visits": done,
                "status": status, "units": sorted({tracks.unit_ids[u] for u in unit[inside]}),
                "assigned": list(p.units),
                "present_min": round(present / 60, 1),
            })  # fmt: skip
    return rows
