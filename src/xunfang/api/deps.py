"""Request dependencies: the service context, a DB session, the current user, role checks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from xunfang.api.context import ServiceContext
from xunfang.api.security import Principal, decode
from xunfang.core.errors import Forbidden
from xunfang.store import audit
from xunfang.store.incidents import Scope
from xunfang.store.users import Role

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def get_ctx(request: Request) -> ServiceContext:
    ctx: ServiceContext = request.app.state.ctx
    return ctx


CtxDep = Annotated[ServiceContext, Depends(get_ctx)]


def get_session(ctx: CtxDep) -> Iterator[Session]:
    with ctx.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def current_user(ctx: CtxDep, token: Annotated[str | None, Depends(oauth2)]) -> Principal:
    from xunfang.store.users import AuthFailed

    if not token:
        raise AuthFailed(
            "not authenticated: send 'Authorization: Bearer <token>' from POST /api/v1/auth/token"
        )
    user = decode(token, secret=ctx.settings.secret_key)
    ctx.guard.check(user, now=ctx.clock())  # revoked or idle-locked: 401 (memory only, see sessions.py)
    return user


CurrentUser = Annotated[Principal, Depends(current_user)]


def require_role(*roles: Role) -> Callable[..., Principal]:
    """A dependency admitting only ``roles`` (admin always); refusals are audited."""
    allowed = {Role.ADMIN, *roles}

    def check(user: CurrentUser, ctx: CtxDep, request: Request) -> Principal:
        if user.role not in allowed:
            with ctx.sessions() as s, s.begin():
                target = f"{request.method} {request.url.path}"
                detail = {"role": user.role.value}
                audit.append(s, actor=user.name, action="permission.denied", target=target, detail=detail)
            raise Forbidden(
                f"role {user.role.value!r} may not {request.method} {request.url.path}; "
                f"allowed roles: {', '.join(sorted(r.value for r in allowed))}"
            )
        return user

    return check


def scope_of(user: Principal) -> Scope:
    """Station users: their jurisdiction; patrol users: their unit's incidents for field events."""
    station = user.station if user.role is Role.STATION else None
    unit = (user.unit_id or "-") if user.role is Role.PATROL else None
    return Scope(station, unit)


__all__ = ["Forbidden"]


ALL_ROLES = tuple(Role)
READ_INCIDENTS = (
    Role.COMMANDER,
    Role.DISPATCHER,
    Role.STATION,
    Role.PATROL,
    Role.VOLUNTEER,
    Role.ANALYST,
    Role.AUDITOR,
)
WRITE_INCIDENTS = (Role.COMMANDER, Role.DISPATCHER, Role.STATION)
DISPATCH = (Role.COMMANDER, Role.DISPATCHER, Role.STATION)
FIELD_EVENTS = (Role.COMMANDER, Role.DISPATCHER, Role.STATION, Role.PATROL)
POSITIONS = (Role.DISPATCHER, Role.PATROL, Role.VOLUNTEER)
SEE_UNITS = (Role.COMMANDER, Role.DISPATCHER, Role.STATION, Role.PATROL, Role.ANALYST)
COVERAGE = (Role.COMMANDER, Role.DISPATCHER, Role.STATION, Role.ANALYST)
LIVE = (Role.COMMANDER, Role.DISPATCHER, Role.STATION, Role.PATROL, Role.VOLUNTEER, Role.ANALYST)
