"""GET /api/v1/live: Server-Sent Events (incident, assignment, deadline and unit events)."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from xunfang.api.deps import LIVE, CtxDep, require_role
from xunfang.api.live import Event, sse_stream
from xunfang.api.security import Principal
from xunfang.store.users import AuthFailed, Role

router = APIRouter(tags=["live"])
Listener = Annotated[Principal, Depends(require_role(*LIVE))]


@router.get(
    "/live", response_class=StreamingResponse, responses={200: {"content": {"text/event-stream": {}}}}
)
async def live(
    ctx: CtxDep,
    user: Listener,
    max_events: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
    ping_s: Annotated[float, Query(ge=0.05, le=60.0)] = 15.0,
) -> StreamingResponse:
    """A text/event-stream; a station user only receives events of its own jurisdiction.

    The stream closes (after an ``event: session_ended``) within about a second of the session
    being seen as revoked or idle-locked; listening alone does not count as activity.
    """
    station = user.station if user.role is Role.STATION else None

    def accept(ev: Event) -> bool:
        return station is None or (ev.get("station") in (None, station) and ev.get("kind") != "unit")

    async def alive() -> str | None:
        """None while the session holds; the reason once it is revoked or idle-locked."""
        try:
            await asyncio.to_thread(ctx.guard.check, user, now=ctx.clock(), touch=False)
        except AuthFailed as exc:
            return exc.message
        return None

    sub = ctx.broker.subscribe(accept)
    stream = sse_stream(ctx.broker, sub, max_events=max_events, ping_s=ping_s, alive=alive)
    return StreamingResponse(stream, media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
