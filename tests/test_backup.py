"""`xunfang backup` / `xunfang restore` on both databases: the restored database equals the original
row for row, its audit chain verifies, and a restore never overwrites a database in use."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, select, text
from typer.testing import CliRunner

from svc_support import DB, PG_URL
from svc_world import incident_body, service, token
from xunfang.cli import app
from xunfang.core.errors import InvalidInput
from xunfang.store.backup import target
from xunfang.store.db import make_engine
from xunfang.store.models import AuditEntry, Base

runner = CliRunner()
AUDIT = AuditEntry.__tablename__


def _url(db: DB) -> str:
    return db.url if db.schema is None else f"{PG_URL}?options=-csearch_path%3D{db.schema}"


def _rows(engine: Engine) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            out[table.name] = [tuple(r) for r in conn.execute(select(table).order_by(*order))]
    return out


@pytest.fixture
def empty_target(db: DB, tmp_path: Path) -> Iterator[str]:
    """Where to restore: a new SQLite file, or a new PostgreSQL database (same schema name)."""
    if db.backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    name = "xfr_" + secrets.token_hex(5)
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    base = PG_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}?options=-csearch_path%3D{db.schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def test_backup_then_restore_equals_original(
    db: DB, engine: Engine, empty_target: str, tmp_path: Path
) -> None:
    with service(engine) as (client, _ctx):
        disp = token(client, "dispatcher")
        for i in range(5):
            r = client.post(
                "/api/v1/incidents", json=incident_body(), headers={**disp, "Idempotency-Key": f"b{i}"}
            )
            assert r.status_code == 201
    out = tmp_path / "xunfang.backup"
    r = runner.invoke(app, ["backup", str(out), "--db", _url(db)])
    assert r.exit_code == 0, r.output
    assert out.stat().st_size > 0
    r = runner.invoke(app, ["restore", str(out), "--db", empty_target])
    assert r.exit_code == 0, r.output
    assert "restored 5 incidents" in r.output and "audit chain intact" in r.output
    restored = make_engine(empty_target)
    try:
        original, copy = _rows(engine), _rows(restored)
        assert copy == original
        assert len(original["incidents"]) == 5 and len(original[AUDIT]) >= 5
        # a second restore onto the now-used database is refused, naming the reason
        r = runner.invoke(app, ["restore", str(out), "--db", empty_target])
        assert isinstance(r.exception, InvalidInput) and "empty" in str(r.exception)
    finally:
        restored.dispose()


def test_target_reads_schema_from_search_path() -> None:
    t = target("postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dt_abc")
    assert (t.kind, t.where, t.schema) == ("postgresql", "postgresql://postgres@127.0.0.1:5432/test", "t_abc")
    assert target("sqlite:////tmp/x.db").where == "/tmp/x.db"
    with pytest.raises(InvalidInput, match="mysql"):
        target("mysql://x/y")


@pytest.mark.parametrize("db", ["postgres"], indirect=True)
def test_bench_restore_timing_restores_every_generated_incident(db: DB, tmp_path: Path) -> None:
    from xunfang.bench.rel_backup import restore_timing

    assert db.schema is not None
    got = restore_timing(_url(db), db.schema, PG_URL, tmp_path, 1000)
    assert got["restored_incidents"] == got["incidents"] == 1000
    assert got["generated_rows"] is True and "restore_1m_s" not in got
