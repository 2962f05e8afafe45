"""Bearer tokens (JWT, HS256) carrying the user's name, role, jurisdiction and session.

Every token names its login session (``sid``, for the idle lock) and the user's session version
(``sv``) at issue time; revoking a user increments the version, so all its earlier tokens fail
(checked by :class:`xunfang.api.sessions.SessionGuard`, from memory).
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import jwt

from xunfang.store.users import AuthFailed, Role

ALGORITHM = "HS256"


@dataclass(frozen=True)
class Principal:
    name: str
    role: Role
    station: str | None
    unit_id: str | None
    sid: str = ""
    version: int = 0

    @property
    def sees_caller(self) -> bool:
        """Caller name and phone go to those who handle the call, never to volunteers or analysts."""
        return self.role in (Role.ADMIN, Role.COMMANDER, Role.DISPATCHER, Role.STATION, Role.PATROL)


def new_sid() -> str:
    return secrets.token_hex(16)


def issue(p: Principal, *, secret: str, minutes: int, now: datetime) -> str:
    claims = {
        "sub": p.name,
        "role": p.role.value,
        "station": p.station,
        "unit": p.unit_id,
        "sid": p.sid or new_sid(),
        "sv": p.version,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=minutes)).timestamp()),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode(token: str, *, secret: str) -> Principal:
    """The token's principal; its signature is checked once per token, its expiry every time.

    Why the cache: verifying the HMAC and the claims cost about a tenth of a simple request's
    CPU, paid again by every request of a logged-in client with the same token."""
    refused = "invalid or expired token; log in again at POST /api/v1/auth/token"
    try:
        principal, exp = _verified(token, secret)
    except (jwt.PyJWTError, KeyError, ValueError, TypeError):
        raise AuthFailed(refused) from None
    if time.time() >= exp:
        raise AuthFailed(refused)
    return principal


@lru_cache(maxsize=4096)
def _verified(token: str, secret: str) -> tuple[Principal, float]:
    """Signature and claims of one token (a refused token raises, and is not cached)."""
    claims = jwt.decode(
        token, secret, algorithms=[ALGORITHM], options={"require": ["exp", "sub", "sid", "sv"]}
    )
    principal = Principal(
        str(claims["sub"]),
        Role(claims["role"]),
        claims.get("station"),
        claims.get("unit"),
        str(claims["sid"]),
        int(claims["sv"]),
    )
    return principal, float(claims["exp"])
