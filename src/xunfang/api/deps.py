"""Request dependencies: the service context, a DB session, the current user, role checks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
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


# The dependencies are ``async`` although they do no I/O on the normal path: FastAPI runs a plain
# ``def`` dependency in the thread pool, and a few thread hand-offs per request cost more than the
# work they wrap.


async def get_ctx(request: Request) -> ServiceContext:
    ctx: ServiceContext = request.app.state.ctx
    return ctx


CtxDep = Annotated[ServiceContext, Depends(get_ctx)]


async def get_session(ctx: CtxDep) -> AsyncIterator[Session]:
    """A session for the request; it connects only when the endpoint (in its thread) first uses it."""
    with ctx.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


async def current_user(ctx: CtxDep, token: Annotated[str | None, Depends(oauth2)]) -> Principal:
    from xunfang.store.users import AuthFailed

    if not token:
        raise AuthFailed(
            "not authenticated: send 'Authorization: Bearer <token>' from POST /api/v1/auth/token"
        )
    user = decode(token, secret=ctx.settings.secret_key)
    ctx.guard.check(user, now=ctx.clock())  # revoked or idle-locked: 401 (memory only, see sessions.py)
    return user


CurrentUser = Annotated[Principal, Depends(current_user)]


def require_role(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """A dependency admitting only ``roles`` (admin always); refusals are audited."""
    allowed = {Role.ADMIN, *roles}

    async def check(user: CurrentUser, ctx: CtxDep, request: Request) -> Principal:
        if user.role not in allowed:
            target = f"{request.method} {request.url.path}"
            await asyncio.to_thread(_audit_denied, ctx, user, target)
            raise Forbidden(
                f"role {user.role.value!r} may not {request.method} {request.url.path}; "
                f"allowed roles: {', '.join(sorted(r.value for r in allowed))}"
            )
        return user

    return check


def _audit_denied(ctx: ServiceContext, user: Principal, target: str) -> None:
    with ctx.sessions() as s, s.begin():
        detail = {"role": user.role.value}
        audit.append(s, actor=user.name, action="permission.denied", target=target, detail=detail)


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
ANALYSIS = (Role.COMMANDER, Role.DISPATCHER, Role.STATION, Role.ANALYST, Role.AUDITOR)
PLANS_READ = (Role.COMMANDER, Role.ANALYST, Role.DISPATCHER, Role.STATION)
PLANS_WRITE = (Role.COMMANDER, Role.ANALYST)
SIMULATE = (Role.ANALYST, Role.COMMANDER)
COMMUNITY_READ = (Role.COMMANDER, Role.DISPATCHER, Role.STATION, Role.PATROL, Role.VOLUNTEER, Role.ANALYST)
COMMUNITY_TRIAGE = (Role.COMMANDER, Role.DISPATCHER, Role.STATION)

# The one table of what each role may do. The routers guard their operations with these role sets
# and GET /api/v1/auth/me sends the caller's allowed action names, from which the dashboard shows
# or hides its buttons and views; the UI keeps no list of its own.
ACTIONS: dict[str, tuple[Role, ...]] = {
    "map.read": ALL_ROLES,
    "incidents.read": READ_INCIDENTS,
    "incidents.create": WRITE_INCIDENTS,
    "incidents.dispatch": DISPATCH,
    "incidents.events": FIELD_EVENTS,
    "units.read": SEE_UNITS,
    "units.positions": POSITIONS,
    "coverage.read": COVERAGE,
    "live.read": LIVE,
    "analysis.read": ANALYSIS,
    "plans.read": PLANS_READ,
    "plans.write": PLANS_WRITE,
    "simulations.run": SIMULATE,
    "community.read": COMMUNITY_READ,
    "community.triage": COMMUNITY_TRIAGE,
}


def actions_of(role: Role) -> list[str]:
    """The action names ``role`` may perform (admin: all), in the table's order."""
    return [name for name, roles in ACTIONS.items() if role is Role.ADMIN or role in roles]
