"""The live feed across several API workers: a :class:`~xunfang.api.live.Broker` that also relays
through Redis pub/sub.

Every event published in this worker is delivered to its own subscribers at once (as the plain
broker does) and sent to one Redis channel, tagged with this worker's id. A listener thread reads
the channel and hands the events of *other* workers to the local subscribers; its own come back too
and are skipped, so each subscriber sees each event exactly once whichever worker it is connected
to. Redis pub/sub keeps no history: while Redis is unreachable local delivery goes on, outgoing
events wait in a bounded queue (sent when it returns, counted as dropped when full) and events of
other workers sent meanwhile are missed; the dashboard re-reads the board on reconnection anyway.

The sender publishes what queues up within ``LINGER_S`` of an event as one message (at most
``BATCH`` events), the sender's id in front of the JSON so that a worker skips its own messages
without parsing them: a surge's 2,000 unit fixes and 150 other events a second were as many
publishes and, in every worker, as many reads and JSON parses; now they are a few dozen. The linger
adds at most 10 ms to the live feed's lag between workers (the target is 500 ms).
"""

from __future__ import annotations

import hashlib
import logging
import os
import queue
import secrets
import socket
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import pydantic_core
import redis

from xunfang.api.live import Broker, Event, encode

log = logging.getLogger(__name__)
CHANNEL = "xunfang:live"
RETRY_S = 0.5
BATCH = 500  # events per channel message at most
LINGER_S = 0.01  # how long the first event of a message waits for more


def channel_for(database_url: str) -> str:
    """One channel per database: workers of one service share it, services on other databases (or
    other schemas) sharing the Redis never see each other's events."""
    return f"{CHANNEL}:{hashlib.sha256(database_url.encode()).hexdigest()[:16]}"


def worker_id() -> str:
    """Unique per process start (a restarted worker may reuse a pid)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class RelayBroker(Broker):
    """Local fan-out plus a Redis relay; same ``publish``/``subscribe`` interface as :class:`Broker`."""

    def __init__(
        self,
        redis_url: str,
        *,
        channel: str = CHANNEL,
        maxsize: int = 1000,
        backlog: int = 10_000,
        on_remote: Callable[[list[Event]], None] | None = None,
    ) -> None:
        super().__init__(maxsize)
        self.worker_id = worker_id()
        self._sender = self.worker_id.encode()
        self.channel = channel
        self.on_remote = on_remote
        self._redis = redis.Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=5)
        self._out: queue.Queue[Event | None] = queue.Queue(backlog)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._pubsub: Any = None
        self.sent = self.received = self.dropped_outgoing = 0
        self._closed = False

    def start(self) -> None:
        """Subscribe before the worker serves (so no event of another worker is missed after start).

        Redis being down does not stop the worker (a rolling restart during a Redis outage must still
        bring workers up): it serves with local delivery and the listener keeps resubscribing."""
        try:
            self._pubsub = self._subscribe()
        except redis.RedisError as exc:
            log.warning("fan-out: Redis unreachable at start (%s); local delivery only until it is back", exc)
        for target, name in ((self._send_loop, "fanout-send"), (self._listen_loop, "fanout-listen")):
            t = threading.Thread(target=target, name=name, daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self, flush_s: float = 2.0) -> None:
        """Send what is queued (for up to ``flush_s``), then stop both threads."""
        deadline = time.monotonic() + flush_s
        while not self._out.empty() and time.monotonic() < deadline:
            time.sleep(0.02)
        self._stop.set()
        self._out.put(None)
        for t in self._threads:
            t.join(5)
        if self._pubsub is not None:
            self._pubsub.close()
        self._redis.close()

    def publish_many(self, events: Sequence[Event]) -> None:
        super().publish_many(events)
        for event in events:
            try:
                self._out.put_nowait(event)
            except queue.Full:
                self.dropped_outgoing += 1

    def deliver(self, raw: bytes | str) -> bool:
        """Hand one channel message (``<worker id>\n<JSON list of events>``) to the local
        subscribers unless this worker sent it; its own come back too and are skipped unparsed."""
        data = raw.encode() if isinstance(raw, str) else raw
        sender, _, body = data.partition(b"\n")
        if sender == self._sender:
            return False
        events: list[Event] = pydantic_core.from_json(body)
        self.received += len(events)
        if self.on_remote is not None:
            try:
                self.on_remote(events)
            except Exception:  # a bad hook must not stop the relay
                log.exception("fan-out hook failed on %d events", len(events))
        Broker.publish_many(self, events)
        return True

    def _subscribe(self) -> Any:
        ps = self._redis.pubsub(ignore_subscribe_messages=True)  # type: ignore[no-untyped-call]
        ps.subscribe(self.channel)
        return ps

    def _next_batch(self) -> list[Event] | None:
        """The next event and what follows it within LINGER_S (up to BATCH); None once stopped."""
        first = None if self._closed else self._out.get()
        if first is None:
            return None
        batch = [first]
        until = time.monotonic() + LINGER_S
        while len(batch) < BATCH:
            try:
                event = self._out.get(timeout=max(until - time.monotonic(), 0.0))
            except queue.Empty:
                break
            if event is None:  # stopped: send this batch, then end
                self._closed = True
                break
            batch.append(event)
        return batch

    def _send_loop(self) -> None:
        while (batch := self._next_batch()) is not None:
            msg = f"{self.worker_id}\n{encode(batch)}"
            while not self._stop.is_set():
                try:
                    self._redis.publish(self.channel, msg)
                    self.sent += len(batch)
                    break
                except redis.RedisError as exc:
                    log.warning("fan-out: Redis publish failed (%s); retrying", exc)
                    time.sleep(RETRY_S)

    def _listen_loop(self) -> None:
        while not self._stop.is_set():
            try:
                if self._pubsub is None:
                    self._pubsub = self._subscribe()
                m = self._pubsub.get_message(timeout=1.0)
            except redis.RedisError as exc:
                log.warning("fan-out: Redis subscription lost (%s); resubscribing", exc)
                self._pubsub = None
                time.sleep(RETRY_S)
                continue
            if m and m.get("type") == "message":
                try:
                    self.deliver(m["data"])
                except (ValueError, KeyError, TypeError):
                    log.warning("fan-out: ignored a malformed message on %s", self.channel)


def position_hook(offer: Callable[[list[Any]], object]) -> Callable[[list[Event]], None]:
    """Keep this worker's position cache current with unit fixes posted to the other workers (one
    offer per channel message)."""
    from xunfang.store.units import Fix

    def hook(events: list[Event]) -> None:
        fixes = [
            Fix(str(e["unit_id"]), float(e["lon"]), float(e["lat"]), _when(e["at"]))
            for e in events
            if e.get("kind") == "unit" and "lon" in e
        ]
        if fixes:
            offer(fixes)

    return hook


def _when(at: str | datetime) -> datetime:
    return datetime.fromisoformat(at) if isinstance(at, str) else at
