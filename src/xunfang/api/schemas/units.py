"""Unit and position schemas."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator

from xunfang.api.schemas.base import Lat, Lon, ReadModel, StrictModel, Timestamp, UnitId


def _not_ahead(at: datetime) -> datetime:
    """A device clock slightly ahead (≤ 60 s) is corrected to the server's now: a future ``at``
    stored as the latest fix would make the unit's next, correct fixes look older and be dropped.
    Fixes further ahead are refused by the route (422 naming the field)."""
    now = datetime.now(UTC)
    return now if now < at <= now + timedelta(seconds=60) else at


class PositionIn(StrictModel):
    unit_id: UnitId
    lon: Lon
    lat: Lat
    at: Annotated[Timestamp, AfterValidator(_not_ahead)]


class PositionResult(ReadModel):
    received: int
    newer: int


class UnitRead(ReadModel):
    id: str
    name: str
    force_type: str
    force_type_zh: str
    mode: str
    status: str
    station: str
    lon: float | None
    lat: float | None
    fix_at: datetime | None


class UnitList(ReadModel):
    items: list[UnitRead]
