"""A read-only database (PostgreSQL default_transaction_read_only, SQLite query_only): writes get
503 + Retry-After with a message saying so, never a 500 or a false 201, and resume by themselves
once it is writable again. Reads keep working on PostgreSQL; on SQLite every request session
starts with BEGIN IMMEDIATE (the write gate), so reads are refused with the same 503 there. A read
that shows caller identity needs its audit row and is refused too rather than served unaudited.
The bench's scenario (`--only read_only`) runs PostgreSQL under load."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event

from svc_world import incident_body, login, service, token
from xunfang.store.db import is_sqlite


def _read_only_switch(engine: Engine) -> dict[str, bool]:
    """New connections are read-only while ``state['on']``; the pool is emptied on each switch."""
    state = {"on": False}
    statement = "PRAGMA query_only=ON" if is_sqlite(engine) else "SET default_transaction_read_only = on"

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        if state["on"]:
            cur = dbapi_conn.cursor()
            cur.execute(statement)
            cur.close()
            if not is_sqlite(engine):
                dbapi_conn.commit()

    return state


def test_read_only_database_refuses_writes_cleanly_and_resumes(engine: Engine) -> None:
    with service(engine) as (client, ctx):
        disp = token(client, "dispatcher")
        body = incident_body(caller=None)  # caller reads are audited, i.e. written (see above)
        first = client.post("/api/v1/incidents", json=body, headers={**disp, "Idempotency-Key": "a"})
        assert first.status_code == 201, first.text
        switch = _read_only_switch(ctx.engine)
        switch["on"] = True
        ctx.engine.dispose()
        r = client.post("/api/v1/incidents", json=body, headers={**disp, "Idempotency-Key": "b"})
        assert r.status_code == 503, r.text
        assert r.headers["Retry-After"]
        assert "read-only" in r.json()["detail"]
        listing = client.get("/api/v1/incidents", headers=disp)
        if is_sqlite(ctx.engine):
            assert listing.status_code == 503, listing.text
        else:
            assert listing.status_code == 200, listing.text
            assert [i["id"] for i in listing.json()["items"]] == [first.json()["id"]]  # nothing half-saved
        switch["on"] = False
        ctx.engine.dispose()
        again = client.post(
            "/api/v1/incidents", json=incident_body(), headers={**disp, "Idempotency-Key": "b"}
        )
        assert again.status_code == 201, again.text


def test_logged_in_session_keeps_reading_past_the_activity_flush(engine: Engine) -> None:
    """The idle-lock bookkeeping writes the session row once a minute; a read-only database must
    not turn that write into a refused read (PostgreSQL, where reads work read-only)."""
    if is_sqlite(engine):
        return  # SQLite refuses reads too while read-only (module docstring)
    from test_api_sessions import _clocked

    with service(engine) as (client, ctx):
        clock = _clocked(ctx)
        headers = login(client, "dispatcher")
        assert client.get("/api/v1/incidents", headers=headers).status_code == 200
        switch = _read_only_switch(ctx.engine)
        switch["on"] = True
        ctx.engine.dispose()
        clock.advance(seconds=90)  # past the one-minute write-through of the activity
        r = client.get("/api/v1/incidents", headers=headers)
        assert r.status_code == 200, r.text
        switch["on"] = False
        ctx.engine.dispose()
        clock.advance(seconds=90)
        assert client.get("/api/v1/incidents", headers=headers).status_code == 200
