"""Users and login: argon2 password hashes, TOTP second factor, progressive delay and lockout.

After failure k (k = 1..4) within 10 minutes no password is checked for ``delay_s·2^(k-1)``
seconds (429 + Retry-After); the 5th failure locks the account for 10 minutes, doubling with
each lockout in a row (at most 24 h) until a successful login.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from xunfang.core.errors import Conflict, InvalidInput, NotFound, XunfangError
from xunfang.store import audit, mfa
from xunfang.store.models import User

MAX_FAILURES = 5
WINDOW = timedelta(minutes=10)
MAX_LOCK = timedelta(hours=24)
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


class MfaRequired(AuthFailed):
    """The password was right but a (valid) one-time code is still needed.

    ``field="otp"`` when sending a code will do (the dashboard then shows its code field); no field
    when the role must use MFA but the account has not been enrolled yet (no code can help).
    """


class Throttled(XunfangError):
    """A login attempt inside the progressive delay after a failure: 429 with Retry-After."""

    http_status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


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


@dataclass(frozen=True)
class LoginPolicy:
    """What a login demands: the progressive delay base and the roles that must use MFA."""

    delay_s: float = 1.0
    mfa_roles: frozenset[str] = frozenset()


def login(
    session: Session,
    *,
    name: str,
    password: str,
    now: datetime,
    otp: str | None = None,
    policy: LoginPolicy = LoginPolicy(),
) -> User:
    """The user, or AuthFailed / Throttled. Failures are counted, audited and committed first."""
    with session.begin():
        user, problem = _check(session, name, password, otp, now, policy)
    if isinstance(problem, XunfangError):
        raise problem
    if user is None:
        raise AuthFailed(problem)
    return user


def _check(  # noqa: PLR0917 (private helper of login)
    session: Session, name: str, password: str, otp: str | None, now: datetime, policy: LoginPolicy
) -> tuple[User | None, str | XunfangError]:
    user = session.execute(select(User).where(User.name == name).with_for_update()).scalar_one_or_none()
    if user is None:
        audit.append(session, actor=name[:64], action="login.fail", detail={"reason": "unknown user"})
        return None, "incorrect user name or password"
    if user.locked_until is not None and user.locked_until > now:
        audit.append(session, actor=name, action="login.locked")
        return None, "account locked after repeated failures; try again later"
    if user.next_login_at is not None and user.next_login_at > now:
        wait = math.ceil((user.next_login_at - now).total_seconds())
        audit.append(session, actor=name, action="login.throttled", detail={"retry_after_s": wait})
        return None, Throttled(f"too many failed logins: wait {wait} s before the next try", retry_after=wait)
    try:
        _HASHER.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None, _fail(session, user, now, policy, "password")
    return _second_factor(session, user, otp, now, policy)


def _second_factor(
    session: Session, user: User, otp: str | None, now: datetime, policy: LoginPolicy
) -> tuple[User | None, str | XunfangError]:
    if user.disabled:
        audit.append(session, actor=user.name, action="login.disabled")
        return None, "this account is disabled; ask an administrator"
    if user.mfa_secret is None:
        if user.role in policy.mfa_roles:
            audit.append(session, actor=user.name, action="login.fail", detail={"reason": "mfa not enrolled"})
            return None, MfaRequired(
                f"role {user.role!r} must use a one-time code: an administrator enrols it with "
                f"`xunfang users mfa {user.name}` (or POST /api/v1/users/{user.name}/mfa)"
            )
        return _succeed(session, user)
    if not otp:  # the password was right: ask for the second step, count nothing
        msg = "this account uses MFA: send the 6-digit code in the form field 'otp'"
        return None, MfaRequired(msg, field="otp")
    step = mfa.accept(user.mfa_secret, otp, now=now, last_step=user.mfa_last_step)
    if step is None:
        return None, AuthFailed(_fail(session, user, now, policy, "otp"), field="otp")
    user.mfa_last_step = step
    return _succeed(session, user)


def _succeed(session: Session, user: User) -> tuple[User, str]:
    user.failed_logins, user.first_failed_at, user.locked_until = 0, None, None
    user.next_login_at, user.lockouts = None, 0
    audit.append(session, actor=user.name, action="login.ok", detail={"role": user.role})
    return user, ""


def _fail(session: Session, user: User, now: datetime, policy: LoginPolicy, what: str) -> str:
    _count_failure(user, now, policy.delay_s)
    detail = {"failures": user.failed_logins, "factor": what}
    audit.append(session, actor=user.name, action="login.fail", detail=detail)
    return "incorrect one-time code" if what == "otp" else "incorrect user name or password"


def _count_failure(user: User, now: datetime, delay_s: float) -> None:
    """Failure k waits delay_s·2^(k-1) before the next try; the 5th locks for 10 min, doubling."""
    if user.first_failed_at is None or now - user.first_failed_at > WINDOW:
        user.failed_logins, user.first_failed_at = 0, now
    user.failed_logins += 1
    if user.failed_logins >= MAX_FAILURES:
        user.locked_until = now + min(WINDOW * 2 ** (user.lockouts or 0), MAX_LOCK)
        user.lockouts = (user.lockouts or 0) + 1
        user.failed_logins, user.first_failed_at, user.next_login_at = 0, None, None
    elif delay_s > 0:
        user.next_login_at = now + timedelta(seconds=delay_s * 2 ** (user.failed_logins - 1))


def find(session: Session, name: str) -> User:
    user = session.execute(select(User).where(User.name == name)).scalar_one_or_none()
    if user is None:
        raise NotFound(f"no user named {name!r}")
    return user


def enrol_mfa(session: Session, *, name: str, actor: str) -> tuple[str, str]:
    """A fresh TOTP secret for ``name`` (replacing any old one): (secret, otpauth URI)."""
    user = find(session, name)
    secret = mfa.new_secret()
    user.mfa_secret, user.mfa_last_step = secret, None
    audit.append(session, actor=actor, action="user.mfa.enrol", target=name)
    return secret, mfa.provisioning_uri(name, secret)


def remove_mfa(session: Session, *, name: str, actor: str) -> None:
    user = find(session, name)
    user.mfa_secret, user.mfa_last_step = None, None
    audit.append(session, actor=actor, action="user.mfa.remove", target=name)


def revoke(session: Session, *, name: str, actor: str, disable: bool = False) -> int:
    """End every session of ``name`` (its tokens stop working); ``disable`` also refuses new logins.

    Returns the new session version. Running workers notice within ``revocation_check_s``.
    """
    user = find(session, name)
    user.session_version = (user.session_version or 0) + 1
    if disable:
        user.disabled = True
    detail = {"session_version": user.session_version, "disabled": user.disabled}
    audit.append(session, actor=actor, action="user.revoke", target=name, detail=detail)
    return user.session_version


def enable(session: Session, *, name: str, actor: str) -> None:
    user = find(session, name)
    user.disabled = False
    audit.append(session, actor=actor, action="user.enable", target=name)
