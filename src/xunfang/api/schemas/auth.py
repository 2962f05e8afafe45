"""Token schema."""

from __future__ import annotations

from xunfang.api.schemas.base import ReadModel, StrictModel


class Token(ReadModel):
    access_token: str
    token_type: str
    expires_in: int
    role: str


class Me(ReadModel):
    """Who the bearer is and what they may do (action names from ``xunfang.api.deps.ACTIONS``)."""

    name: str
    role: str
    station: str | None
    unit_id: str | None
    actions: list[str]


class MfaEnrolment(ReadModel):
    user: str
    secret: str
    otpauth_uri: str


class RevokeIn(StrictModel):
    disable: bool = False


class Revocation(ReadModel):
    user: str
    session_version: int
    disabled: bool
