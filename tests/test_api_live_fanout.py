"""The live feed never drops an event silently: a connected subscriber receives every event of a
burst (positions coalesced per unit, newest kept), and one whose backlog overflows is told to
resync, with the number of events it lost."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

from xunfang.api.live import Broker, Subscriber, sse_stream


def _burst(broker: Broker, incidents: int, positions_per_incident: int, units: int) -> None:
    """Incident events interleaved with a flood of unit positions, from a worker thread (as the
    request handlers publish)."""
    n = 0
    for i in range(incidents):
        broker.publish({"kind": "incident", "incident_id": i, "status": "received"})
        for _ in range(positions_per_incident):
            broker.publish({"kind": "unit", "unit_id": f"U{n % units}", "lon": float(n), "lat": 0.0})
            n += 1


def _drain(sub: Subscriber) -> list[dict[str, Any]]:
    out = []
    while (ev := sub.take()) is not None:
        out.append(ev)
    return out


def _events(chunk: str) -> list[dict[str, Any]]:
    """The events of one chunk of the SSE stream (several when they were waiting together)."""
    out = []
    for block in chunk.split("\n\n"):
        if block:
            kind, data = block.split("\n")
            out.append(json.loads(data.removeprefix("data: ")))
            assert kind == f"event: {out[-1]['kind']}"
    return out


def test_every_event_of_a_burst_reaches_a_subscriber_that_reads_late() -> None:
    async def run() -> tuple[list[dict[str, Any]], Subscriber]:
        broker = Broker(maxsize=1000)
        sub = broker.subscribe(lambda ev: True)
        # 900 incident events and 36,000 positions published while the subscriber reads nothing:
        # the old bounded queue (1,000 events of any kind) lost most incidents here
        await asyncio.to_thread(_burst, broker, 900, 40, 50)
        await asyncio.sleep(0.05)  # let the loop run the hand-overs queued by call_soon_threadsafe
        return _drain(sub), sub

    events, sub = asyncio.run(run())
    incidents = [e["incident_id"] for e in events if e["kind"] == "incident"]
    assert incidents == list(range(900))  # all of them, in order
    assert not any(e["kind"] == "resync" for e in events) and sub.dropped == 0
    positions = {e["unit_id"]: e["lon"] for e in events if e["kind"] == "unit"}
    assert len(positions) == 50 == sum(e["kind"] == "unit" for e in events)  # one per unit: the newest
    assert positions["U49"] == 900 * 40 - 1


def test_an_overflowing_subscriber_is_told_to_resync_with_the_count_lost() -> None:
    async def run() -> list[dict[str, Any]]:
        broker = Broker(maxsize=10)
        sub = broker.subscribe(lambda ev: True)
        await asyncio.to_thread(_burst, broker, 25, 0, 1)
        await asyncio.sleep(0.05)
        return _drain(sub)

    events = asyncio.run(run())
    assert events[0]["kind"] == "resync" and events[0]["resync"] is True and "reload" in events[0]["detail"]
    got = [e["incident_id"] for e in events[1:]]
    assert events[0]["dropped"] + len(got) == 25  # nothing unaccounted for
    assert got == list(range(25 - len(got), 25))  # what follows the resync is complete and in order


def test_sse_stream_delivers_every_incident_of_a_burst_published_while_streaming() -> None:
    async def run() -> list[dict[str, Any]]:
        broker = Broker()
        sub = broker.subscribe(lambda ev: True)
        stream = sse_stream(broker, sub, max_events=None, ping_s=0.2)
        assert await anext(stream) == ": connected\n\n"
        publisher = threading.Thread(target=_burst, args=(broker, 2000, 20, 30))
        publisher.start()
        got: list[dict[str, Any]] = []
        async for chunk in stream:
            if chunk.startswith(": ping"):
                if not publisher.is_alive():
                    break  # idle for a ping after the burst ended: everything was sent
                continue
            got.extend(_events(chunk))
        publisher.join()
        await stream.aclose()
        return got

    events = asyncio.run(run())
    assert [e["incident_id"] for e in events if e["kind"] == "incident"] == list(range(2000))
    assert not any(e["kind"] == "resync" for e in events)
    last = {e["unit_id"]: e["lon"] for e in events if e["kind"] == "unit"}
    assert last == {f"U{n % 30}": float(n) for n in range(2000 * 20)}  # every unit's newest position


def test_a_batch_published_together_is_sent_in_one_chunk_up_to_max_events() -> None:
    """200 positions of one request wake the stream once and leave it as one chunk; ``max_events``
    still ends the stream at exactly that many."""

    async def run() -> list[str]:
        broker = Broker()
        sub = broker.subscribe(lambda ev: True)
        stream = sse_stream(broker, sub, max_events=150, ping_s=5)
        assert await anext(stream) == ": connected\n\n"
        fixes = [{"kind": "unit", "unit_id": f"U{i}", "lon": float(i), "lat": 0.0} for i in range(200)]
        await asyncio.to_thread(broker.publish_many, fixes)
        return [chunk async for chunk in stream]

    chunks = asyncio.run(run())
    assert len(chunks) == 1
    events = _events(chunks[0])
    assert [e["unit_id"] for e in events] == [f"U{i}" for i in range(150)]
    assert len({e["published_at"] for e in events}) == 1
