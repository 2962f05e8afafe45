"""POST /api/v1/auth/token: OAuth2 password form (+ optional ``otp``) → bearer token; GET
/api/v1/auth/me: who I am and what I may do.

Accounts without MFA log in with the plain OAuth2 password form. An account with a TOTP secret
also sends the 6-digit code in the form field ``otp``; without it the answer is 401 with
``"error": "MfaRequired", "field": "otp"`` (the client then asks for the code and posts the form
again); a wrong or replayed code is 401 ``"error": "AuthFailed", "field": "otp"`` and counts as a
failed login (progressive delay, lockout). ``MfaRequired`` without ``field``: the role must use MFA
but the account is not enrolled yet.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form
from fastapi.security import OAuth2PasswordRequestForm

from xunfang.api.deps import CtxDep, CurrentUser, SessionDep, actions_of
from xunfang.api.schemas.auth import Me, Token
from xunfang.api.security import Principal, issue, new_sid
from xunfang.store.users import LoginPolicy, Role, login

router = APIRouter(prefix="/auth", tags=["auth"])
Otp = Annotated[str | None, Form(max_length=16, description="6-digit TOTP code (MFA accounts)")]


@router.post(
    "/token",
    response_model=Token,
    responses={401: {"description": "wrong credentials or code"}, 429: {"description": "retry later"}},
)
def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], ctx: CtxDep, session: SessionDep, otp: Otp = None
) -> Token:
    now = ctx.clock()
    policy = LoginPolicy(delay_s=ctx.settings.login_delay_s, mfa_roles=ctx.settings.mfa_roles)
    user = login(session, name=form.username, password=form.password, otp=otp, now=now, policy=policy)
    sid = new_sid()
    p = Principal(user.name, Role(user.role), user.station_code, user.unit_id, sid, user.session_version)
    ctx.guard.note(user.name, user.session_version, user.disabled)
    ctx.guard.start(sid=sid, user=user.name, now=now)
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
