"""Incident schemas: create / read / page / event / categories."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, model_validator

from xunfang.api.schemas.base import Lat, Lon, ReadModel, StrictModel, Timestamp, UnitId

SourceName = Literal["call_110", "video_patrol", "drone", "iot_alarm", "community_report", "patrol_found"]
EventName = Literal["en_route", "arrived", "resolved", "handover", "cancel", "close"]


class Caller(StrictModel):
    name: Annotated[str | None, Field(max_length=128)] = None
    phone: Annotated[str | None, Field(max_length=32, pattern=r"^[0-9+()\- ]{3,32}$")] = None


class IncidentCreate(StrictModel):
    category: Annotated[str, Field(min_length=1, max_length=32)]
    priority: Annotated[int | None, Field(ge=1, le=3)] = None
    source: SourceName
    lon: Lon
    lat: Lat
    description: Annotated[str, Field(max_length=4000)] = ""
    caller: Caller | None = None
    reported_at: Timestamp | None = None


class EventCreate(StrictModel):
    type: EventName
    note: Annotated[str, Field(max_length=2000)] = ""


class AssignmentCreate(StrictModel):
    """One unit (``unit_id``), or several in order of preference (``unit_ids``: the first that
    can still be sent is, in one request; see xunfang.store.assignments.assign_first)."""

    unit_id: UnitId | None = None
    unit_ids: Annotated[list[UnitId] | None, Field(min_length=1, max_length=10)] = None

    @model_validator(mode="after")
    def _one_of(self) -> AssignmentCreate:
        if (self.unit_id is None) == (self.unit_ids is None):
            raise ValueError("give unit_id, or unit_ids in order of preference (not both)")
        return self

    @property
    def units(self) -> list[str]:
        return [self.unit_id] if self.unit_id is not None else list(self.unit_ids or ())


class EventRead(ReadModel):
    id: int
    type: str
    actor: str
    at: datetime
    before_status: str | None
    after_status: str | None
    unit_id: str | None
    note: str


class CallerRead(ReadModel):
    name: str | None
    phone: str | None


class IncidentRead(ReadModel):
    id: int
    category: str
    category_zh: str
    category_en: str
    priority: int
    source: str
    lon: float
    lat: float
    description: str
    caller: CallerRead | None
    caller_withheld: bool
    status: str
    tier_min: int
    deadline_at: datetime
    deadline_missed: bool
    handover_prompted: bool
    station: str
    sub_bureau: str
    grid: str
    reported_at: datetime
    received_at: datetime
    on_scene_at: datetime | None
    units: list[str] = Field(default_factory=list)
    events: list[EventRead] = Field(default_factory=list)


class IncidentPage(ReadModel):
    items: list[IncidentRead]
    limit: int
    offset: int


class CategoryRead(ReadModel):
    code: str
    zh: str
    en: str
    default_priority: int
    criminal: bool


class CategoryList(ReadModel):
    items: list[CategoryRead]


class AssignmentRead(ReadModel):
    id: int
    incident_id: int
    unit_id: str
    active: bool
    created_at: datetime


class CandidateRead(ReadModel):
    unit_id: str
    force_type: str
    eta_s: float | None
    distance_m: float | None
    tier_min: int | None
    eligible: bool
    reasons: list[str]


class RecommendationList(ReadModel):
    incident_id: int
    items: list[CandidateRead]
