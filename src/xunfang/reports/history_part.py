"""The history sections of a bulletin, computed only through the analysis package so that the
figures printed are exactly the analysis figures (period stats with 环比/同比, surge warnings,
risk classes and their changes, time profile)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from xunfang.analysis import alerts, profiles, risk, stats
from xunfang.analysis.grid import Grid
from xunfang.analysis.sources import Districts
from xunfang.core.errors import InvalidInput

TREND_UNITS = {"day": 28, "week": 12, "month": 13}


@dataclass
class HistoryPart:
    """Everything the bulletin shows from the incident history."""

    stats: dict[str, Any]
    by_place: dict[str, Any] | None
    warnings: dict[str, Any]
    trend: pd.Series
    period_events: pd.DataFrame
    hours: np.ndarray
    window: dict[str, Any] | None
    grid: Grid
    forecast: np.ndarray
    cells: dict[str, Any]
    classes_now: dict[str, str]
    classes_before: dict[str, str]
    changes: list[dict[str, str]]


def check_date(history: pd.DataFrame, date: pd.Timestamp) -> None:
    """Dates outside the history are refused: a bulletin is never built from no data."""
    t = pd.to_datetime(history["time"])
    first, last = t.min(), t.max()
    if len(t) == 0 or date < first.normalize() or date > last.normalize():
        raise InvalidInput(
            f"--date {date.date()}: outside the incident history ({first.date()} .. {last.date()})",
            field="date",
        )


def _trend(history: pd.DataFrame, period: str, end: pd.Timestamp) -> pd.Series:
    n = TREND_UNITS[period]
    t = pd.to_datetime(history["time"])
    if period == "day":
        lo = end - pd.Timedelta(days=n)
    elif period == "week":
        lo = end - pd.Timedelta(weeks=n)
    else:
        lo = end - pd.DateOffset(months=n)
    sel = t[(t >= lo) & (t < end)]
    if period == "week":
        keys = (sel - pd.to_timedelta(sel.dt.day_of_week, unit="D")).dt.normalize()
    elif period == "month":
        keys = sel.dt.to_period("M").dt.start_time
    else:
        keys = sel.dt.normalize()
    return keys.value_counts().sort_index()


def _district_classes(grid: Grid, pred: np.ndarray, districts: Districts) -> dict[str, str]:
    fc = risk.polygon_classes(grid, pred, districts, risk.Thresholds())
    return {f["properties"]["name"]: f["properties"]["risk"] for f in fc["features"]}


def collect(
    history: pd.DataFrame,
    districts: Districts,
    *,
    period: str,
    date: pd.Timestamp,
    places: pd.DataFrame | None = None,
    method: str = "ensemble",
    horizon: int = 7,
) -> HistoryPart:
    check_date(history, date)
    st = stats.period_stats(history, period=period, date=date)
    start, end = pd.Timestamp(st["start"]), pd.Timestamp(st["end"])
    by_place = stats.period_stats(places, period=period, date=date) if places is not None else None
    days = max((end - start).days, 1)
    warn = alerts.surge_warnings(history, at=end, weeks=15, by="district", days=days)
    t = pd.to_datetime(history["time"])
    sel = history[(t >= start) & (t < end)]
    hours = profiles.hour_weekday(sel).sum(axis=0) if len(sel) else np.zeros(24, dtype=np.int64)
    window = profiles.patrol_window(hours) if hours.sum() else None
    grid, pred = risk.forecast(history, at=end, horizon=horizon, method=method, districts=districts)
    cells = risk.cell_classes(grid, pred, risk.Thresholds())
    now = _district_classes(grid, pred, districts)
    g0, p0 = risk.forecast(history, at=start, horizon=horizon, method=method, districts=districts)
    before = _district_classes(g0, p0, districts)
    changes = [
        {"district": d, "before": before.get(d, "blue"), "after": c}
        for d, c in sorted(now.items(), key=lambda kv: (len(kv[0]), kv[0]))
        if before.get(d, "blue") != c
    ]
    return HistoryPart(
        stats=st,
        by_place=by_place,
        warnings=warn,
        trend=_trend(history, period, end),
        period_events=sel,
        hours=hours,
        window=window,
        grid=grid,
        forecast=pred,
        cells=cells,
        classes_now=now,
        classes_before=before,
        changes=changes,
    )
