"""Identifiers and sequence numbers near their limits: incident ids past 2^31-1 and the audit
sequence past it are answered like any other (201/200), never with a 500. A 32-bit counter is how
a dispatch centre's intake stopped for hours; at 2,000 position fixes/s a 32-bit track id lasts
twelve days."""

from __future__ import annotations

from sqlalchemy import Engine, text

from svc_world import incident_body, post_positions, service, token
from xunfang.store.db import is_sqlite

INT32_MAX = 2**31 - 1


def _move_counters(engine: Engine, at: int) -> None:
    """The next incident id, audit sequence number and track id will be just below ``at``."""
    with engine.begin() as conn:
        if is_sqlite(engine):  # rowid tables take max(id)+1: plant a copy of the seed just below
            cols = [r[1] for r in conn.execute(text("PRAGMA table_info(incidents)")) if r[1] != "id"]
            listed = ", ".join(cols)
            conn.execute(
                text(f"INSERT INTO incidents (id, {listed}) SELECT :i, {listed} FROM incidents LIMIT 1"),
                {"i": at - 2},
            )
        else:
            for table in ("incidents", "incident_events", "assignments", "audit_log", "unit_tracks"):
                seq = conn.execute(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table}).scalar_one()
                conn.execute(text("SELECT setval(:s, :v)"), {"s": seq, "v": at - 2})
        conn.execute(text("UPDATE audit_head SET seq = :v WHERE id = 1"), {"v": at - 2})


def test_ids_and_audit_seq_past_int32(engine: Engine) -> None:
    with service(engine) as (client, ctx):
        disp = token(client, "dispatcher")
        seed = client.post(
            "/api/v1/incidents", json=incident_body(), headers={**disp, "Idempotency-Key": "s"}
        )
        assert seed.status_code == 201, seed.text
        _move_counters(ctx.engine, INT32_MAX)
        ids = []
        for i in range(4):
            r = client.post(
                "/api/v1/incidents", json=incident_body(), headers={**disp, "Idempotency-Key": f"k{i}"}
            )
            assert r.status_code == 201, r.text
            ids.append(r.json()["id"])
        assert ids[-1] > INT32_MAX
        for inc in ids:
            got = client.get(f"/api/v1/incidents/{inc}", headers=disp)
            assert got.status_code == 200, got.text
            assert client.get(f"/api/v1/incidents/{inc}/recommendations", headers=disp).status_code == 200
        post_positions(client, disp)
        ctx.tracks.flush()  # track points are written past the old limit too
        with ctx.engine.connect() as conn:
            head = conn.execute(text("SELECT seq FROM audit_head WHERE id = 1")).scalar_one()
            track = conn.execute(text("SELECT max(id) FROM unit_tracks")).scalar_one()
        assert head > INT32_MAX
        assert is_sqlite(ctx.engine) or track > INT32_MAX


def test_ids_beyond_64_bits_are_not_found(engine: Engine) -> None:
    with service(engine) as (client, _ctx):
        disp = token(client, "dispatcher")
        for bad in (2**63, 2**64 + 5, -(2**63) - 1):
            r = client.get(f"/api/v1/incidents/{bad}", headers=disp)
            assert r.status_code == 404, r.text
            assert client.get(f"/api/v1/incidents/{bad}/recommendations", headers=disp).status_code == 404
