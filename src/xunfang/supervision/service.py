"""Supervision in one call: clean the tracks, check points, lines and red zones, roll up compliance."""

from __future__ import annotations

import time
from typing import Any

from xunfang.network.graph import RoadGraph
from xunfang.supervision.compliance import patrol_hours, summarize, visible_police
from xunfang.supervision.lines import line_coverage
from xunfang.supervision.mapmatch import MapMatcher
from xunfang.supervision.plan import SupervisionPlan
from xunfang.supervision.tracks import Tracks, clean_tracks
from xunfang.supervision.visits import point_visits


def supervise(
    graph: RoadGraph,
    tracks: Tracks,
    plan: SupervisionPlan,
    *,
    matcher: MapMatcher | None = None,
    max_speed_mps: float = 60.0,
) -> dict[str, Any]:
    """The full compliance report of ``tracks`` against ``plan`` on ``graph`` (JSON-ready)."""
    t0 = time.perf_counter()
    clean, report = clean_tracks(tracks, max_speed_mps=max_speed_mps)
    proj = graph.projection
    xy = proj.to_xy(clean.lon, clean.lat)
    points = point_visits(clean, plan.points, proj, xy=xy)
    lines: list[dict[str, object]] = []
    if plan.lines:
        pieces, _ = (matcher or MapMatcher(graph)).match(clean, xy=xy)
        lines = line_coverage(graph, pieces, plan.lines, clean.unit_ids)
    rows = points + lines
    return {
        "cleaning": report.as_dict(),
        "points": points,
        "lines": lines,
        "visible_police": visible_police(clean, plan.red_zones, proj, xy=xy),
        "patrol_by_force": patrol_hours(clean, plan.units),
        "missed": [r for r in rows if r["status"] == "missed"],
        "late": [r for r in rows if r["status"] == "late"],
        "compliance": summarize(rows, plan.units),
        "seconds": round(time.perf_counter() - t0, 3),
    }
