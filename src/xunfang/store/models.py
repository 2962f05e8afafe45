"""SQLAlchemy 2 models: the tables the live service keeps.

The incident's current state lives on ``incidents`` and is changed in the same transaction that
appends its ``incident_events`` row. A unit's single active assignment is enforced by the unique
partial index ``uq_assignment_active_unit``. The audit log is hash-chained through ``audit_head``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    false,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from xunfang.store.crypto import EncryptedText

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both backends (SQLite forgets the offset otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        out: datetime = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return out


def utcnow() -> datetime:
    return datetime.now(UTC)


# Counters that grow with traffic are 64-bit: a 32-bit one ends (at 2,000 fixes/s a 32-bit track id
# lasts twelve days) and then every insert fails. SQLite's INTEGER PRIMARY KEY is 64-bit already and
# must stay INTEGER to remain the rowid, hence the variant. Tested in tests/test_api_limits.py.
BigId = BigInteger().with_variant(Integer(), "sqlite")
MAX_ID = 2**63 - 1


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def table(model: type[Base]) -> Table:
    """A model's table, for the plain statements of the write paths that hold the write lock."""
    return cast(Table, model.__table__)


class JurisdictionNode(Base):
    __tablename__ = "jurisdiction_nodes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    level: Mapped[str] = mapped_column(String(16))
    name_zh: Mapped[str] = mapped_column(String(128))
    name_en: Mapped[str] = mapped_column(String(128))
    parent_code: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    place_class: Mapped[str] = mapped_column(String(16), default="urban")
    wkt: Mapped[str] = mapped_column(Text)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    station_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    unit_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    first_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # progressive delay: no password is checked before this instant; lockouts in a row double
    next_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    lockouts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # TOTP (RFC 6238) secret, AES-256-GCM encrypted; the last accepted time step stops replays
    mfa_secret: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)
    mfa_last_step: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # revocation: tokens carry the version they were issued under; revoking increments it
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    disabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class AuthSession(Base):
    """One login (the token's ``sid``): last activity for the idle lock, shared by all workers."""

    __tablename__ = "auth_sessions"
    sid: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_name: Mapped[str] = mapped_column(String(64), index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Unit(Base):
    __tablename__ = "units"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    force_type: Mapped[str] = mapped_column(String(32))
    mode: Mapped[str] = mapped_column(String(16))
    station_code: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), default="available")
    shift_start_min: Mapped[int] = mapped_column(Integer, default=0)
    shift_end_min: Mapped[int] = mapped_column(Integer, default=1440)
    home_lon: Mapped[float] = mapped_column(Float)
    home_lat: Mapped[float] = mapped_column(Float)


class UnitPosition(Base):
    __tablename__ = "unit_positions"
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id"), primary_key=True)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class UnitTrack(Base):
    __tablename__ = "unit_tracks"
    __table_args__ = (Index("ix_unit_tracks_unit_at", "unit_id", "at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id"))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class Incident(Base):
    __tablename__ = "incidents"
    # the deadline watch asks every few seconds for unflagged incidents past a time; led by the
    # flag, these indexes reach only those (the open backlog grows by the hour in a surge)
    __table_args__ = (
        Index("ix_incidents_deadline_due", "deadline_missed", "status", "deadline_at"),
        Index("ix_incidents_handover_due", "handover_prompted", "status", "on_scene_at"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    category: Mapped[str] = mapped_column(String(32))
    priority: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(32))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    description: Mapped[str] = mapped_column(Text, default="")
    caller_name: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)  # AES-256-GCM
    caller_phone: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), index=True)
    tier_min: Mapped[int] = mapped_column(Integer)
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime)
    station_code: Mapped[str] = mapped_column(String(64), index=True)
    subbureau_code: Mapped[str] = mapped_column(String(64))
    grid_code: Mapped[str] = mapped_column(String(64))
    on_scene_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    deadline_missed: Mapped[bool] = mapped_column(Boolean, default=False)
    handover_prompted: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class IncidentEvent(Base):
    __tablename__ = "incident_events"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    type: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    before_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    after_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    unit_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")


class Assignment(Base):
    __tablename__ = "assignments"
    __table_args__ = (
        Index(
            "uq_assignment_active_unit",
            "unit_id",
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id"))
    active: Mapped[bool] = mapped_column(Boolean)
    actor: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    body_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AuditEntry(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    seq: Mapped[int] = mapped_column(BigId, unique=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(128))
    detail: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """One row (id 1): the last sequence number and hash; locked to serialise appends."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigId)
    last_hash: Mapped[str] = mapped_column(String(64))
