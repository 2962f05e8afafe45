"""Token schema."""

from __future__ import annotations

from xunfang.api.schemas.base import ReadModel


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
