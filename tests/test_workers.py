"""Several workers on one PostgreSQL (`xunfang serve --workers N`): live events fanned out through a
real Redis, a rolling restart and a killed worker under load, and deadline watchers that never record
a deadline twice."""

from __future__ import annotations

import asyncio
import json
import random
import secrets
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from sqlalchemy import Engine, func, select, text
from typer.testing import CliRunner

from conftest import need
from svc_support import PG_URL, pg_available
from svc_world import incident_body, service, token
from xunfang.api.fanout import RelayBroker, channel_for
from xunfang.api.monitor import check_deadlines
from xunfang.api.workers import WORKER_HEADER
from xunfang.bench import rel_workers
from xunfang.bench.rel_load import incident_body as chicago_incident
from xunfang.bench.rel_load import login
from xunfang.cli import app
from xunfang.core.errors import InvalidInput
from xunfang.core.settings import get_settings
from xunfang.store.db import drop_schema, make_engine, session_factory
from xunfang.store.models import IncidentEvent, utcnow


def redis_available() -> bool:
    try:
        return bool(redis.Redis.from_url(get_settings().redis_url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


def test_several_workers_refuse_an_in_memory_database() -> None:
    r = CliRunner().invoke(app, ["serve", "--workers", "2", "--db", "sqlite://"])
    assert isinstance(r.exception, InvalidInput)
    assert "in-memory" in str(r.exception) and "--workers 2" in str(r.exception)


def test_standby_is_refused_with_several_workers(tmp_path: Path) -> None:
    r = CliRunner().invoke(app, ["serve", "--workers", "2", "--standby", "--db", str(tmp_path / "x.db")])
    assert isinstance(r.exception, InvalidInput) and "--standby" in str(r.exception)


def test_relay_delivers_other_workers_events_once() -> None:
    """Two relays on one channel: each subscriber gets every event exactly once, wherever it was
    published, and unit fixes from the other worker reach the position hook."""
    need(redis_available(), f"Redis at {get_settings().redis_url}")
    channel = f"xunfang:test:{secrets.token_hex(4)}"
    remote: list[dict[str, Any]] = []

    async def scenario() -> tuple[list[Any], list[Any]]:
        a = RelayBroker(get_settings().redis_url, channel=channel)
        b = RelayBroker(get_settings().redis_url, channel=channel, on_remote=remote.extend)
        a.start()
        b.start()
        try:
            sa, sb = a.subscribe(lambda _e: True), b.subscribe(lambda _e: True)
            a.publish({"kind": "incident", "incident_id": 1})
            b.publish({"kind": "incident", "incident_id": 2})
            a.publish({"kind": "unit", "unit_id": "U-1", "lon": 1.0, "lat": 2.0, "at": utcnow()})
            got_a = [await sa.get(timeout=5) for _ in range(3)]
            got_b = [await sb.get(timeout=5) for _ in range(3)]
            await asyncio.sleep(0.5)  # anything extra (an echo, a duplicate) would arrive by now
            assert sa.pending() == 0 and sb.pending() == 0
            return got_a, got_b
        finally:
            a.stop()
            b.stop()

    got_a, got_b = asyncio.run(scenario())
    for got in (got_a, got_b):
        assert sorted(str(e.get("incident_id", e.get("unit_id"))) for e in got) == ["1", "2", "U-1"]
    assert {e.get("incident_id") or e.get("unit_id") for e in remote} == {1, "U-1"}


def test_relay_sends_a_burst_in_few_messages_and_in_order() -> None:
    """300 events published at once reach the other worker complete and in order, in fewer channel
    messages than events."""
    need(redis_available(), f"Redis at {get_settings().redis_url}")
    channel = f"xunfang:test:{secrets.token_hex(4)}"
    raw = redis.Redis.from_url(get_settings().redis_url).pubsub()
    raw.subscribe(channel)

    async def scenario() -> list[Any]:
        a = RelayBroker(get_settings().redis_url, channel=channel)
        b = RelayBroker(get_settings().redis_url, channel=channel)
        a.start()
        b.start()
        try:
            sub = b.subscribe(lambda _e: True)
            a.publish_many([{"kind": "incident", "incident_id": i} for i in range(300)])
            return [await sub.get(timeout=5) for _ in range(300)]
        finally:
            a.stop()
            b.stop()

    got = asyncio.run(scenario())
    assert [e["incident_id"] for e in got] == list(range(300))
    messages = 0
    while (m := raw.get_message(timeout=0.5)) is not None:
        messages += m["type"] == "message"
    raw.close()
    assert 1 <= messages < 300


def test_relay_without_redis_still_delivers_locally() -> None:
    """A worker (re)started while Redis is down serves its own subscribers and keeps retrying."""

    async def scenario() -> dict[str, Any]:
        b = RelayBroker("redis://127.0.0.1:1/0", channel="xunfang:test:down")
        b.start()
        try:
            sub = b.subscribe(lambda _e: True)
            b.publish({"kind": "incident", "incident_id": 7})
            return await sub.get(timeout=5)
        finally:
            b.stop(flush_s=0.1)

    assert asyncio.run(scenario())["incident_id"] == 7


@pytest.mark.parametrize("db", ["postgres", "sqlite"], indirect=True)
def test_deadline_watchers_of_several_workers_record_once(engine: Engine) -> None:
    """Eight watchers check the same overdue incidents at the same moment: each deadline is recorded
    and published once."""
    with service(engine) as (client, _ctx):
        disp = token(client, "dispatcher")
        ids = [
            client.post(
                "/api/v1/incidents", json=incident_body(), headers={**disp, "Idempotency-Key": f"k{i}"}
            ).json()["id"]
            for i in range(12)
        ]
    sessions = session_factory(engine)
    later = utcnow() + timedelta(minutes=30)
    barrier = threading.Barrier(8)
    events: list[dict[str, Any]] = []
    errors: list[BaseException] = []

    def watcher() -> None:
        barrier.wait()
        try:
            with sessions() as s:
                events.extend(check_deadlines(s, later))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=watcher) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert sorted(e["incident_id"] for e in events if e["what"] == "arrival_missed") == sorted(ids)
    with sessions() as s:
        q = select(func.count()).select_from(IncidentEvent).where(IncidentEvent.type == "deadline_missed")
        assert s.execute(q).scalar_one() == len(ids)


@pytest.fixture(scope="module", params=["postgres", "sqlite"])
def pool(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[rel_workers.Pool]:
    """Two workers with the Chicago demo on a fresh PostgreSQL schema, or on one SQLite file."""
    need(redis_available(), f"Redis at {get_settings().redis_url}")
    need((get_settings().data_dir / "chicago").exists(), "shared data (Chicago) for the demo city")
    tmp = tmp_path_factory.mktemp("workers")
    if request.param == "sqlite":
        with rel_workers.pool(f"sqlite:///{tmp / 'w.db'}", 2, tmp / "serve.log") as p:
            yield p
        return
    need(pg_available(), f"PostgreSQL at {PG_URL} (set XUNFANG_TEST_PG_URL)")
    schema = "w_" + secrets.token_hex(6)
    plain = make_engine(PG_URL)
    with plain.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    try:
        with rel_workers.pool(url, 2, tmp / "serve.log") as p:
            yield p
    finally:
        drop_schema(plain, schema)
        plain.dispose()


def _sse_on(p: rel_workers.Pool, headers: dict[str, str]) -> tuple[str, httpx.Client, httpx.Response]:
    client = httpx.Client(timeout=httpx.Timeout(10, read=10))
    r = client.send(client.build_request("GET", f"{p.base}/live?ping_s=0.2", headers=headers), stream=True)
    assert r.status_code == 200
    return r.headers[WORKER_HEADER], client, r


def test_live_event_created_on_one_worker_reaches_a_subscriber_on_another(pool: rel_workers.Pool) -> None:
    headers = login(pool.base)
    a, client, stream = _sse_on(pool, headers)
    try:
        created: dict[str, Any] | None = None
        for i in range(60):  # fresh connections until one lands on the other worker
            r = httpx.post(
                f"{pool.base}/incidents",
                json=chicago_incident(f"fan-{i}", random.Random(i), (-87.65, 41.85)),
                headers={**headers, "Idempotency-Key": f"fan-{secrets.token_hex(4)}-{i}"},
                timeout=10,
            )
            assert r.status_code == 201, r.text
            if r.headers[WORKER_HEADER] != a:
                created = r.json()
                break
        assert created is not None, "every request landed on one worker"
        seen = 0
        deadline = time.monotonic() + 10
        lines = stream.iter_lines()  # pings every 0.2 s keep this loop turning
        while time.monotonic() < deadline:
            line = next(lines)
            if line.startswith("data: "):
                ev = json.loads(line[6:])
                if ev.get("kind") == "incident" and ev.get("incident_id") == created["id"]:
                    seen += 1
                    deadline = min(deadline, time.monotonic() + 2)  # then 2 s more for a duplicate
        assert seen == 1
    finally:
        stream.close()
        client.close()


def test_rolling_restart_and_killed_worker_lose_nothing(pool: rel_workers.Pool) -> None:
    res = rel_workers.exercise(pool, restarts=1, kills=1, prefix=f"roll{secrets.token_hex(3)}")
    assert res["acked"] > 0
    assert res["rolling_restart_failed"] == 0
    assert res["server_errors"] == 0
    assert res["lost"] == 0 and res["duplicates"] == 0


def test_channel_is_per_database() -> None:
    assert (
        channel_for("postgresql://a/x") == channel_for("postgresql://a/x") != channel_for("postgresql://a/y")
    )
