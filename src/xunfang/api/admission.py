"""Priority of incident intake and dispatch over position reports: a bounded budget for positions.

Why: a flood of AVL fixes (a misconfigured gateway, a replay after an outage) costs JSON parsing,
validation and track writes on the same process and database as incident intake. Unbounded, 20,000
fixes/s offered pushed intake p99 from ~30 ms to over a second (`xunfang bench reliability
--only overload`). Positions are the load to shed: a refused fix is superseded by the next one a
second later, while a delayed incident is a caller waiting.

So a position batch is admitted only while (a) fewer than ``slots`` batches are in progress and
(b) the fixes/s budget (a token bucket refilled at ``per_s``, at most one second's worth banked) is
not overdrawn; each admitted batch is charged its fix count by the route. Otherwise it is answered
at once with 503 + Retry-After before its body is read (the connection is closed: an unread body
cannot be skipped on a keep-alive connection). Every other request passes untouched.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

POSITIONS_PATH = "/api/v1/units/positions"
RETRY_AFTER_S = 1


class PositionBudget:
    """Concurrent batches and fixes/s admitted for ``POST /units/positions``."""

    def __init__(self, *, slots: int, per_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.slots, self.per_s = slots, per_s
        self.clock = clock
        self._tokens, self._at = per_s, self.clock()
        self._lock = threading.Lock()  # charge() runs in request threads
        self.in_flight = 0
        self.admitted = 0
        self.shed = 0

    def _refill(self) -> None:
        now = self.clock()
        self._tokens = min(self.per_s, self._tokens + max(0.0, now - self._at) * self.per_s)
        self._at = now

    def try_enter(self) -> bool:
        """Admit one batch (the caller must :meth:`leave`), or count it as shed."""
        with self._lock:
            self._refill()
            if self.in_flight >= self.slots or self._tokens <= 0:
                self.shed += 1
                return False
            self.in_flight += 1
            self.admitted += 1
            return True

    def leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def charge(self, fixes: int) -> None:
        """The route's count of fixes in an admitted batch (the budget may go into debt once)."""
        with self._lock:
            self._refill()
            self._tokens -= fixes


class PositionAdmission:
    """ASGI middleware applying a :class:`PositionBudget` to ``POST /api/v1/units/positions``."""

    def __init__(self, app: ASGIApp, budget: PositionBudget, path: str = POSITIONS_PATH) -> None:
        self.app, self.budget, self.path = app, budget, path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        if not self.budget.try_enter():
            await _refuse(send, self.budget)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self.budget.leave()


async def _refuse(send: Send, budget: PositionBudget) -> None:
    body = json.dumps(
        {
            "detail": f"position intake is at capacity ({budget.slots} batches at once, "
            f"{budget.per_s:g} fixes/s); nothing of this batch was stored, send it again after "
            f"{RETRY_AFTER_S} s (incident intake and dispatch are served first)",
            "error": "Unavailable",
        }
    ).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(RETRY_AFTER_S).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body})
