"""POST /api/v1/auth/token: OAuth2 password form → bearer token; GET /api/v1/auth/me: who I am and
what I may do."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm

from xunfang.api.deps import CtxDep, CurrentUser, SessionDep, actions_of
from xunfang.api.schemas.auth import Me, Token
from xunfang.api.security import Principal, issue
from xunfang.store.models import utcnow
from xunfang.store.users import Role, login

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/token", response_model=Token)
def token(form: Annotated[OAuth2PasswordRequestForm, Depends()], ctx: CtxDep, session: SessionDep) -> Token:
    now = utcnow()
    user = login(session, name=form.username, password=form.password, now=now)
    p = Principal(user.name, Role(user.role), user.station_code, user.unit_id)
    minutes = ctx.settings.token_minutes
    jwt_ = issue(p, secret=ctx.settings.secret_key, minutes=minutes, now=now)
    return Token(access_token=jwt_, token_type="bearer", expires_in=minutes * 60, role=p.role.value)


@router.get("/me", response_model=Me)
def me(user: CurrentUser) -> Me:
    """The caller's role, jurisdiction and allowed actions; the dashboard shows only these."""
    return Me(
        name=user.name,
        role=user.role.value,
        station=user.station,
        unit_id=user.unit_id,
        actions=actions_of(user.role),
    )
