"""Community schemas: strict request bodies, read models that can withhold identities."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import Field

from xunfang.api.schemas.base import Lat, Lon, ReadModel, StrictModel, Timestamp

Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]
Name = Annotated[str, Field(min_length=1, max_length=128)]
Day = Annotated[date, Field(strict=False, description="YYYY-MM-DD")]


class ReportAccepted(ReadModel):
    id: int
    status: str
    follow_up_token: str
    follow_up_url: str


class ReportFollowUp(ReadModel):
    category: str
    status: str
    created_at: datetime
    triaged_at: datetime | None
    message: str


class Identity(ReadModel):
    name: str | None
    phone: str | None


class ReportRead(ReadModel):
    id: int
    category: str
    lon: float
    lat: float
    address: str
    text: str
    station: str
    status: str
    has_photo: bool
    created_at: datetime
    triaged_at: datetime | None
    triaged_by: str | None
    triage_note: str
    incident_id: int | None
    hazard_id: int | None
    shop: str | None
    reporter: Identity | None
    reporter_withheld: bool


class ReportPage(ReadModel):
    items: list[ReportRead]


class TriageIn(StrictModel):
    action: Literal["incident", "hazard", "dismiss"]
    note: Annotated[str, Field(max_length=2000)] = ""
    incident_category: Annotated[str | None, Field(max_length=32)] = None
    priority: Annotated[int | None, Field(ge=1, le=3)] = None
    hazard_category: Annotated[str, Field(max_length=32)] = "other"
    deadline_days: Annotated[int | None, Field(ge=1, le=365)] = None


class VolunteerIn(StrictModel):
    code: Code
    name: Name
    station: Code
    team: Annotated[str, Field(max_length=128)] = ""
    skills: Annotated[list[Annotated[str, Field(min_length=1, max_length=64)]], Field(max_length=32)] = Field(
        default_factory=list
    )
    availability: Annotated[str, Field(max_length=256)] = ""
    unit_id: Code | None = None


class VolunteerRead(ReadModel):
    code: str
    name: str
    team: str
    skills: list[str]
    availability: str
    station: str
    unit_id: str | None
    active: bool


class VolunteerPage(ReadModel):
    items: list[VolunteerRead]


class Member(StrictModel):
    kind: Literal["volunteer", "unit"]
    ref: Code


class TeamIn(StrictModel):
    code: Code
    name: Name
    station: Code
    members: Annotated[list[Member], Field(min_length=1, max_length=50)]


class TeamRead(ReadModel):
    code: str
    name: str
    station: str
    members: list[dict[str, str]]
    mixed: bool


class TeamPage(ReadModel):
    items: list[TeamRead]


class ActivityIn(StrictModel):
    kind: Literal["patrol", "training", "event_duty", "publicity"]
    hours: Annotated[float, Field(ge=0, le=24, allow_inf_nan=False)]
    at: Timestamp
    team: Code | None = None
    note: Annotated[str, Field(max_length=2000)] = ""


class Leaderboard(ReadModel):
    start: str
    end: str
    items: list[dict[str, Any]]


class ShopIn(StrictModel):
    code: Code
    name: Name
    kind: Literal["shop", "compound"] = "shop"
    lon: Lon
    lat: Lat


class ShopRead(ReadModel):
    code: str
    name: str
    kind: str
    lon: float
    lat: float
    station: str


class ShopPage(ReadModel):
    items: list[ShopRead]


class ParticipationIn(StrictModel):
    kind: Literal["joint_patrol", "meeting", "drill", "camera_sharing", "alarm_link"]
    at: Timestamp


class MediatorIn(StrictModel):
    code: Code
    name: Name
    station: Code


class MediatorRead(ReadModel):
    code: str
    name: str
    station: str


class Party(StrictModel):
    name: Name
    phone: Annotated[str | None, Field(max_length=32, pattern=r"^[0-9+()\- ]{3,32}$")] = None


Outcome = Literal["pending", "resolved", "sent_to_court", "continued", "transferred"]


class DisputeIn(StrictModel):
    category: Literal["neighbour", "family", "property", "labour", "commercial", "traffic", "other"]
    lon: Lon
    lat: Lat
    parties: Annotated[list[Party], Field(min_length=1, max_length=20)]
    mediator: Code
    opened_on: Day
    closed_on: Day | None = None
    outcome: Outcome = "pending"
    summary: Annotated[str, Field(max_length=2000)] = ""
    helper_volunteer: Code | None = None


class OutcomeIn(StrictModel):
    outcome: Outcome
    closed_on: Day | None = None


class DisputeRead(ReadModel):
    id: int
    category: str
    station: str
    sub_bureau: str
    mediator: str
    opened_on: date
    closed_on: date | None
    outcome: str
    summary: str
    parties: list[Identity] | None
    parties_withheld: bool


class DisputePage(ReadModel):
    items: list[DisputeRead]


class HazardIn(StrictModel):
    category: Literal["fire", "electrical", "building", "traffic", "public_order", "other"]
    description: Annotated[str, Field(min_length=1, max_length=2000)]
    lon: Lon
    lat: Lat
    found_at: Timestamp | None = None
    deadline_days: Annotated[int | None, Field(ge=1, le=365)] = None
    volunteer: Code | None = None


class HazardStep(StrictModel):
    step: Literal["assign", "rectify", "verify"]
    assignee: Annotated[str | None, Field(max_length=128)] = None
    deadline_at: Timestamp | None = None
    note: Annotated[str, Field(max_length=2000)] = ""


class HazardRead(ReadModel):
    id: int
    category: str
    description: str
    lon: float
    lat: float
    station: str
    status: str
    found_at: datetime
    found_by: str
    assignee: str | None
    deadline_at: datetime | None
    rectified_at: datetime | None
    verified_at: datetime | None
    overdue: bool
    report_id: int | None


class HazardPage(ReadModel):
    items: list[HazardRead]
    overdue: int
