"""Tables of the community co-governance domain (M18–M22): volunteers and mixed patrol teams,
community reports, safe shops and compounds, disputes with mediators, hazards.

They live on the service's declarative ``Base`` so one Alembic history covers the whole database
(revision ``c001`` creates them). Identities that must be protected (reporters, dispute parties)
sit in their own columns so that response builders can withhold them by role in one place.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from xunfang.store.crypto import EncryptedText
from xunfang.store.models import Base, UTCDateTime


class Volunteer(Base):
    __tablename__ = "volunteers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    team: Mapped[str] = mapped_column(String(128), default="")
    skills: Mapped[str] = mapped_column(Text, default="")  # comma-separated
    availability: Mapped[str] = mapped_column(String(256), default="")
    station_code: Mapped[str] = mapped_column(String(64), index=True)
    unit_id: Mapped[str | None] = mapped_column(String(64), nullable=True)  # a tracked unit, if any
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PatrolTeam(Base):
    """A mixed patrol team: police units and volunteers patrolling together."""

    __tablename__ = "patrol_teams"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    station_code: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TeamMember(Base):
    __tablename__ = "patrol_team_members"
    __table_args__ = (UniqueConstraint("team_id", "kind", "ref", name="uq_patrol_team_members_member"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("patrol_teams.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # volunteer | unit
    ref: Mapped[str] = mapped_column(String(64))  # volunteer code or unit id


class VolunteerActivity(Base):
    """A recorded activity (patrol joined with hours, training, event duty)."""

    __tablename__ = "volunteer_activities"
    __table_args__ = (Index("ix_volunteer_activities_vol_at", "volunteer_id", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"))
    kind: Mapped[str] = mapped_column(String(32))
    hours: Mapped[float] = mapped_column(Float, default=0.0)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    team_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")


class Shop(Base):
    """A shop or a residential compound in the safe-shop / safe-compound programme."""

    __tablename__ = "shops"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))  # shop | compound
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    station_code: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ShopParticipation(Base):
    __tablename__ = "shop_participation"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class CommunityReport(Base):
    __tablename__ = "community_reports"
    __table_args__ = (
        Index("ix_community_reports_reporter_at", "reporter_key", "created_at"),
        Index("ix_community_reports_address_at", "address_key", "created_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    category: Mapped[str] = mapped_column(String(32))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    address: Mapped[str] = mapped_column(String(256), default="")
    text: Mapped[str] = mapped_column(Text)
    reporter_name: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)  # AES-256-GCM
    reporter_phone: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)
    reporter_key: Mapped[str] = mapped_column(String(64))
    address_key: Mapped[str] = mapped_column(String(64))
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id"), nullable=True)
    station_code: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)  # received|incident|hazard|dismissed
    triage_note: Mapped[str] = mapped_column(Text, default="")
    triaged_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    triaged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), nullable=True)
    hazard_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    has_photo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ReportPhoto(Base):
    """The photo of a report, stored as sent; it is never analysed (no face or identity extraction)."""

    __tablename__ = "community_report_photos"
    report_id: Mapped[int] = mapped_column(ForeignKey("community_reports.id"), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(32))
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Mediator(Base):
    __tablename__ = "mediators"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    station_code: Mapped[str] = mapped_column(String(64))


class Dispute(Base):
    __tablename__ = "disputes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category: Mapped[str] = mapped_column(String(32))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    station_code: Mapped[str] = mapped_column(String(64), index=True)
    subbureau_code: Mapped[str] = mapped_column(String(64))
    parties: Mapped[str] = mapped_column(EncryptedText)  # JSON list of {"name", "phone"}: encrypted
    summary: Mapped[str] = mapped_column(Text, default="")
    mediator_id: Mapped[int] = mapped_column(ForeignKey("mediators.id"))
    helper_volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id"), nullable=True)
    opened_on: Mapped[date] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    outcome: Mapped[str] = mapped_column(String(16))  # pending|resolved|sent_to_court|continued|transferred
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Hazard(Base):
    __tablename__ = "hazards"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    category: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    station_code: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)  # found|assigned|rectified|verified
    found_at: Mapped[datetime] = mapped_column(UTCDateTime)
    found_by: Mapped[str] = mapped_column(String(64))
    found_by_volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id"), nullable=True)
    report_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    assignee: Mapped[str | None] = mapped_column(String(128), nullable=True)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    rectified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    verified_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
