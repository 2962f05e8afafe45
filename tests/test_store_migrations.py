"""Migrations are code: the migrated schema must equal the models, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

import xunfang.store.community
import xunfang.store.plans  # noqa: F401  (every table on the metadata)
from svc_support import DB
from xunfang.store.migrate import downgrade, upgrade
from xunfang.store.models import Base


def test_models_and_migrations_agree(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_upgrade_is_idempotent_and_downgrade_removes_tables(engine: Engine) -> None:
    upgrade(engine)
    assert "incidents" in inspect(engine).get_table_names()
    downgrade(engine)
    assert "incidents" not in inspect(engine).get_table_names()
    upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(text("select seq from audit_head")).scalar_one() == 0


def test_sqlite_runs_in_wal_with_full_sync(db: DB, engine: Engine) -> None:
    if db.backend != "sqlite":
        return
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar_one() == 2  # FULL
