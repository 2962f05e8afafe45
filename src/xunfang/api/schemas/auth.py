"""Token schema."""

from __future__ import annotations

from xunfang.api.schemas.base import ReadModel


class Token(ReadModel):
    access_token: str
    token_type: str
    expires_in: int
    role: str
