"""The database goes away under the service: answers are 503 + Retry-After (never 500, never a false
201), and the same Idempotency-Key succeeds once the database is back.

A private PostgreSQL cluster (initdb in a temp dir, its own port) is stopped and started, so no other
test's database is disturbed; the ``finally`` of ``private_postgres`` stops and removes it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from conftest import need
from svc_world import incident_body, service, token
from xunfang.bench.rel_load import PG_BIN, private_postgres
from xunfang.store.db import make_engine
from xunfang.store.migrate import upgrade

BODIES: dict[str, dict[str, object]] = {}


def _create(client: TestClient, headers: dict[str, str], key: str) -> Response:
    """Clients resend the very same body with the same key (the body keeps its reported time)."""
    body = BODIES.setdefault(key, incident_body(description=key))
    return client.post("/api/v1/incidents", json=body, headers={**headers, "Idempotency-Key": key})


def test_unreachable_database_answers_503_with_retry_after(tmp_path: Path) -> None:
    """An engine whose server is not listening: every request that needs it is a 503."""
    engine = make_engine(f"sqlite:///{tmp_path / 'ok.db'}")
    upgrade(engine)
    with service(engine) as (client, ctx):
        headers = token(client, "dispatcher")
        assert _create(client, headers, "before").status_code == 201
        ctx.sessions.configure(bind=make_engine("postgresql+psycopg://postgres@127.0.0.1:9/none"))
        r = _create(client, headers, "k1")
        assert r.status_code == 503, r.text
        assert r.headers["Retry-After"]
        assert "127.0.0.1:9" not in r.text
        ctx.sessions.configure(bind=engine)
        assert _create(client, headers, "k1").status_code == 201


@pytest.mark.skipif(os.geteuid() != 0, reason="starting a private PostgreSQL needs root (runuser)")
def test_postgres_stop_and_start_under_the_service() -> None:
    need((PG_BIN / "initdb").exists(), f"PostgreSQL binaries in {PG_BIN}")
    with private_postgres() as (url, ctl):
        engine = make_engine(url)
        upgrade(engine)
        with service(engine) as (client, _ctx):
            headers = token(client, "dispatcher")
            assert _create(client, headers, "a").status_code == 201
            ctl.stop()
            try:
                for key in ("b", "c"):
                    r = _create(client, headers, key)
                    assert r.status_code == 503, r.text
                    assert r.headers["Retry-After"]
            finally:
                ctl.start()
            statuses = [_create(client, headers, k).status_code for k in ("a", "b", "c")]
            assert statuses == [200, 201, 201]
            listed = client.get("/api/v1/incidents?limit=50", headers=headers).json()["items"]
            assert sorted(i["description"] for i in listed) == ["a", "b", "c"]
        engine.dispose()
