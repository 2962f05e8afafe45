"""Period statistics (M8, M11): counts per category and per jurisdiction for a day, week or month,
with period-over-period (环比) and year-over-year (同比) change."""

from __future__ import annotations

from typing import Any

import pandas as pd

from xunfang.core.errors import InvalidInput

PERIODS = ("day", "week", "month")


def period_bounds(period: str, date: pd.Timestamp) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The day, ISO week (Monday first) or calendar month containing ``date``."""
    d = pd.Timestamp(date).normalize()
    if period == "day":
        return d, d + pd.Timedelta(days=1)
    if period == "week":
        start = d - pd.Timedelta(days=d.weekday())
        return start, start + pd.Timedelta(days=7)
    if period == "month":
        start = d.replace(day=1)
        return start, start + pd.DateOffset(months=1)
    raise InvalidInput(f"--period: expected one of {', '.join(PERIODS)}, got {period!r}")


def _previous(period: str, start: pd.Timestamp, end: pd.Timestamp) -> tuple[pd.Timestamp, pd.Timestamp]:
    if period == "month":
        return start - pd.DateOffset(months=1), start
    return start - (end - start), start


def _last_year(period: str, start: pd.Timestamp, end: pd.Timestamp) -> tuple[pd.Timestamp, pd.Timestamp]:
    if period == "week":  # same ISO week a year earlier: 52 weeks back keeps the weekdays aligned
        return start - pd.Timedelta(weeks=52), end - pd.Timedelta(weeks=52)
    return start - pd.DateOffset(years=1), end - pd.DateOffset(years=1)


def _change(now: int, before: int) -> float | None:
    return round((now - before) / before, 4) if before else None


def _counts(history: pd.DataFrame, lo: pd.Timestamp, hi: pd.Timestamp, by: str) -> pd.Series:
    t = pd.to_datetime(history["time"])
    sel = history[(t >= lo) & (t < hi)]
    return sel.groupby(sel[by].astype(str)).size()


def period_stats(history: pd.DataFrame, *, period: str = "week", date: pd.Timestamp) -> dict[str, Any]:
    """Totals, per category and per district, each with 环比 and 同比 counts and relative change."""
    start, end = period_bounds(period, date)
    prev = _previous(period, start, end)
    year = _last_year(period, start, end)
    out: dict[str, Any] = {
        "period": period,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "previous": [prev[0].isoformat(), prev[1].isoformat()],
        "last_year": [year[0].isoformat(), year[1].isoformat()],
    }
    t = pd.to_datetime(history["time"])
    if len(t) == 0 or t.max() < start:
        raise InvalidInput(f"--date {date.date()}: after the end of the history ({t.max()})")
    for by in ("category", "district"):
        now, p, y = (_counts(history, a, b, by) for a, b in ((start, end), prev, year))
        keys = sorted(set(now.index) | set(p.index) | set(y.index), key=lambda s: (len(s), s))
        out[f"by_{by}"] = {
            k or "(none)": {
                "count": int(now.get(k, 0)),
                "previous": int(p.get(k, 0)),
                "mom": _change(int(now.get(k, 0)), int(p.get(k, 0))),
                "last_year": int(y.get(k, 0)),
                "yoy": _change(int(now.get(k, 0)), int(y.get(k, 0))),
            }
            for k in keys
        }
    total = {
        key: sum(v[key] for v in out["by_category"].values()) for key in ("count", "previous", "last_year")
    }
    total["mom"] = _change(total["count"], total["previous"])
    total["yoy"] = _change(total["count"], total["last_year"])
    out["total"] = total
    return out
