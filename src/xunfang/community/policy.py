"""Limits and vocabularies of the community domain, and its errors.

Kept as module constants (not settings) because they are part of the published public-report
contract: a reporter is told the limits on the report page.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from xunfang.core.errors import InvalidInput, XunfangError

REPORT_CATEGORIES = ("theft", "suspicious", "public_order", "dispute", "hazard", "traffic", "fraud", "other")
REPORT_CATEGORY_ZH = {
    "theft": "盗窃",
    "suspicious": "可疑人员/情况",
    "public_order": "治安问题",
    "dispute": "矛盾纠纷",
    "hazard": "安全隐患",
    "traffic": "交通问题",
    "fraud": "诈骗",
    "other": "其他",
}
REPORT_STATUSES = ("received", "incident", "hazard", "dismissed")
TEXT_MAX = 2000
PER_REPORTER_PER_HOUR = 5
PER_ADDRESS_PER_HOUR = 10
ADDRESS_CELL_DEG = 0.001  # ~100 m: reports within one such cell count as "the same address"
PHOTO_MAX_BYTES = 900_000  # below the service's 1 MiB request cap, so the form fits
PHOTO_TYPES = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/webp": (b"RIFF",),
}

DISPUTE_OUTCOMES = ("pending", "resolved", "sent_to_court", "continued", "transferred")
DISPUTE_CATEGORIES = ("neighbour", "family", "property", "labour", "commercial", "traffic", "other")
HAZARD_STATES = ("found", "assigned", "rectified", "verified")
HAZARD_CATEGORIES = ("fire", "electrical", "building", "traffic", "public_order", "other")
SHOP_KINDS = ("shop", "compound")
EARLIEST = date(2000, 1, 1)


class RateLimited(XunfangError):
    """Too many reports from one reporter or one address in the last hour."""

    http_status = 429
    exit_code = 4


def choice(value: str, allowed: tuple[str, ...], field: str) -> str:
    if value not in allowed:
        raise InvalidInput(f"{field} {value!r} is unknown; expected one of {', '.join(allowed)}", field=field)
    return value


def check_day(value: date, field: str, *, today: date | None = None) -> date:
    """Dates must lie in the recorded era: not before 2000, not after today."""
    today = today or datetime.now(UTC).date()
    if value < EARLIEST or value > today:
        raise InvalidInput(
            f"{field} {value.isoformat()} is outside the data (expected {EARLIEST.isoformat()} .. "
            f"{today.isoformat()})",
            field=field,
        )
    return value


def check_time(value: datetime, field: str, *, now: datetime) -> datetime:
    """Timestamps of things that happened: not in the future (5 min grace), not before 2000."""
    if value - now > timedelta(minutes=5):
        raise InvalidInput(f"{field} {value.isoformat()} is in the future", field=field)
    check_day(value.astimezone(UTC).date(), field, today=now.date())
    return value
