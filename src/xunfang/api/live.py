"""The live feed: an in-process broker fanning events out to Server-Sent-Event streams.

Request handlers run in worker threads and publish after their transaction committed; each
subscriber owns an asyncio queue on the server's loop. Messages never carry caller identity, and a
station user's stream only carries events of its own jurisdiction. Across several API workers the
same interface would sit on Redis or NATS pub/sub.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

Event = dict[str, Any]


@dataclass(eq=False)
class Subscriber:
    queue: asyncio.Queue[Event]
    loop: asyncio.AbstractEventLoop
    accept: Callable[[Event], bool]
    dropped: int = 0

    def _put(self, event: Event) -> None:
        if self.queue.full():
            self.dropped += 1
            return
        self.queue.put_nowait(event)


class Broker:
    def __init__(self, maxsize: int = 1000) -> None:
        self._subs: set[Subscriber] = set()
        self._lock = threading.Lock()
        self.maxsize = maxsize

    def subscribe(self, accept: Callable[[Event], bool]) -> Subscriber:
        sub = Subscriber(asyncio.Queue(self.maxsize), asyncio.get_running_loop(), accept)
        with self._lock:
            self._subs.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        with self._lock:
            self._subs.discard(sub)

    def publish(self, event: Event) -> None:
        """Fan ``event`` out; it is stamped ``published_at`` (epoch seconds) so a client can
        measure the live feed's lag (the reliability bench does)."""
        event = {**event, "published_at": round(time.time(), 4)}
        with self._lock:
            subs = list(self._subs)
        for s in subs:
            if s.accept(event):
                try:
                    s.loop.call_soon_threadsafe(s._put, event)
                except RuntimeError:  # loop closed: the client is gone
                    self.unsubscribe(s)

    @property
    def subscribers(self) -> int:
        return len(self._subs)


async def sse_stream(
    broker: Broker,
    sub: Subscriber,
    *,
    max_events: int | None,
    ping_s: float,
    alive: Callable[[], Awaitable[str | None]] | None = None,
    check_s: float = 1.0,
) -> AsyncIterator[str]:
    """Events as SSE text. ``alive`` is asked every ``check_s`` seconds; when it returns a reason
    (session revoked or idle-locked) an ``event: session_ended`` is sent and the stream closes."""
    sent = 0
    loop = asyncio.get_running_loop()
    next_ping = next_check = loop.time()
    try:
        yield ": connected\n\n"
        while max_events is None or sent < max_events:
            now = loop.time()
            if alive is not None and now >= next_check:
                reason = await alive()
                if reason is not None:
                    yield f"event: session_ended\ndata: {json.dumps({'detail': reason})}\n\n"
                    return
                next_check = now + check_s
            deadline = min(next_ping + ping_s, next_check) if alive else next_ping + ping_s
            try:
                ev = await asyncio.wait_for(sub.queue.get(), timeout=max(deadline - now, 0.0))
            except TimeoutError:
                if loop.time() >= next_ping + ping_s:
                    next_ping = loop.time()
                    yield ": ping\n\n"
                continue
            data = json.dumps(ev, ensure_ascii=False, default=str)
            yield f"event: {ev.get('kind', 'message')}\ndata: {data}\n\n"
            sent, next_ping = sent + 1, loop.time()
    finally:
        broker.unsubscribe(sub)
