"""Calendar periods for community statistics: a day, an ISO week (Monday first), a month."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from xunfang.community.policy import check_day
from xunfang.core.errors import InvalidInput

PERIODS = ("day", "week", "month")


def bounds(period: str, day: date, *, today: date | None = None) -> tuple[date, date]:
    """[start, end) of the period containing ``day`` (refused when outside the recorded era)."""
    check_day(day, "date", today=today)
    if period == "day":
        return day, day + timedelta(days=1)
    if period == "week":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=7)
    if period == "month":
        start = day.replace(day=1)
        nxt = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
        return start, nxt
    raise InvalidInput(f"period {period!r}: expected one of {', '.join(PERIODS)}", field="period")


def utc_range(lo: date, hi: date) -> tuple[datetime, datetime]:
    return datetime.combine(lo, time(), UTC), datetime.combine(hi, time(), UTC)
