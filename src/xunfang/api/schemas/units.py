"""Unit and position schemas."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from xunfang.api.schemas.base import Lat, Lon, ReadModel, StrictModel, Timestamp


class PositionIn(StrictModel):
    unit_id: Annotated[str, Field(min_length=1, max_length=64)]
    lon: Lon
    lat: Lat
    at: Timestamp


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
