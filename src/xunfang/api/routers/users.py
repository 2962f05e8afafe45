"""Admin operations on accounts: MFA enrolment and session revocation (admin only, audited)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from xunfang.api.deps import CtxDep, SessionDep, require_role
from xunfang.api.schemas.auth import MfaEnrolment, Revocation, RevokeIn
from xunfang.api.security import Principal
from xunfang.store import users as store

router = APIRouter(prefix="/users", tags=["users"])
Admin = Annotated[Principal, Depends(require_role())]  # admin only


@router.post("/{name}/mfa", response_model=MfaEnrolment, status_code=201)
def enrol_mfa(name: str, session: SessionDep, user: Admin) -> MfaEnrolment:
    """A new TOTP secret for ``name`` (replaces any earlier one); give the URI to that user only."""
    with session.begin():
        secret, uri = store.enrol_mfa(session, name=name, actor=user.name)
    return MfaEnrolment(user=name, secret=secret, otpauth_uri=uri)


@router.delete("/{name}/mfa", status_code=204)
def remove_mfa(name: str, session: SessionDep, user: Admin) -> None:
    with session.begin():
        store.remove_mfa(session, name=name, actor=user.name)


@router.post("/{name}/revoke", response_model=Revocation)
def revoke(
    name: str, ctx: CtxDep, session: SessionDep, user: Admin, body: RevokeIn | None = None
) -> Revocation:
    """End all of ``name``'s sessions now (REST 401, live feeds closed); ``disable`` blocks logins."""
    disable = body.disable if body else False
    with session.begin():
        version = store.revoke(session, name=name, actor=user.name, disable=disable)
        disabled = store.find(session, name).disabled
    ctx.guard.note(name, version, disabled)
    return Revocation(user=name, session_version=version, disabled=disabled)


@router.post("/{name}/enable", response_model=Revocation)
def enable(name: str, ctx: CtxDep, session: SessionDep, user: Admin) -> Revocation:
    with session.begin():
        store.enable(session, name=name, actor=user.name)
        version = store.find(session, name).session_version
    ctx.guard.note(name, version, False)
    return Revocation(user=name, session_version=version, disabled=False)
