"""Users and login: argon2 password hashes, lockout after repeated failures."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from xunfang.core.errors import Conflict, InvalidInput, XunfangError
from xunfang.store import audit
from xunfang.store.models import User

MAX_FAILURES = 5
WINDOW = timedelta(minutes=10)
_HASHER = PasswordHasher()


class Role(StrEnum):
    ADMIN = "admin"
    COMMANDER = "commander"
    DISPATCHER = "dispatcher"
    STATION = "station"
    PATROL = "patrol"
    VOLUNTEER = "volunteer"
    ANALYST = "analyst"
    AUDITOR = "auditor"

    @classmethod
    def parse(cls, value: str) -> Role:
        try:
            return cls(value)
        except ValueError:
            raise InvalidInput(
                f"unknown role {value!r}; expected one of {', '.join(r.value for r in cls)}", field="role"
            ) from None


class AuthFailed(XunfangError):
    """Wrong name/password or a locked account (one message for both: no user enumeration)."""

    http_status = 401


def add_user(
    session: Session,
    *,
    name: str,
    role: Role,
    password: str,
    station_code: str | None = None,
    unit_id: str | None = None,
    actor: str = "cli",
) -> User:
    if not (1 <= len(name) <= 64) or not name.isprintable():
        raise InvalidInput(f"user name must be 1-64 printable characters, got {name!r}", field="name")
    if len(password) < 8:
        raise InvalidInput("password must be at least 8 characters", field="password")
    if role is Role.STATION and not station_code:
        raise InvalidInput("a station user needs --station CODE (its jurisdiction)", field="station")
    user = User(
        name=name,
        role=role.value,
        station_code=station_code,
        unit_id=unit_id,
        password_hash=_HASHER.hash(password),
        failed_logins=0,
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"user {name!r} already exists") from None
    audit.append(session, actor=actor, action="user.add", target=name, detail={"role": role.value})
    return user


def login(session: Session, *, name: str, password: str, now: datetime) -> User:
    """The user, or AuthFailed. Failures are counted and audited and committed before raising."""
    with session.begin():
        user, problem = _check(session, name, password, now)
    if user is None:
        raise AuthFailed(problem)
    return user


def _check(session: Session, name: str, password: str, now: datetime) -> tuple[User | None, str]:
    user = session.execute(select(User).where(User.name == name).with_for_update()).scalar_one_or_none()
    if user is None:
        audit.append(session, actor=name[:64], action="login.fail", detail={"reason": "unknown user"})
        return None, "incorrect user name or password"
    if user.locked_until is not None and user.locked_until > now:
        audit.append(session, actor=name, action="login.locked")
        return None, "account locked after repeated failures; try again later"
    try:
        _HASHER.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        _count_failure(user, now)
        audit.append(session, actor=name, action="login.fail", detail={"failures": user.failed_logins})
        return None, "incorrect user name or password"
    user.failed_logins, user.first_failed_at, user.locked_until = 0, None, None
    audit.append(session, actor=name, action="login.ok", detail={"role": user.role})
    return user, ""


def _count_failure(user: User, now: datetime) -> None:
    if user.first_failed_at is None or now - user.first_failed_at > WINDOW:
        user.failed_logins, user.first_failed_at = 0, now
    user.failed_logins += 1
    if user.failed_logins >= MAX_FAILURES:
        user.locked_until = now + WINDOW
        user.failed_logins, user.first_failed_at = 0, None
