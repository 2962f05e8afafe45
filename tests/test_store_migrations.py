"""Migrations are code: the migrated schema must equal the models, on both backends."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

import xunfang.store.community
import xunfang.store.plans  # noqa: F401  (every table on the metadata)
from svc_support import DB
from xunfang.store.db import make_engine
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


def test_sqlite_wal_starts_over_under_a_steady_load(tmp_path: Path) -> None:
    """Writes and reads that follow each other without a gap in time: the WAL file must still start
    over (a checkpoint that only ever copies what it can let it grow past a gigabyte in a 10-minute
    surge)."""
    from xunfang.store.db import session_factory

    engine = make_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)")
    writes, reads = session_factory(engine), session_factory(engine, read_only=True)
    stop, written = threading.Event(), [0]

    def writer() -> None:
        while not stop.is_set():
            with writes() as s, s.begin():
                s.execute(text("INSERT INTO t (b) VALUES (randomblob(8000))"))
            written[0] += 8000
            time.sleep(0.001)  # a busy service's pace (a few MB/s), not a tight loop

    def reader() -> None:
        while not stop.is_set():
            with reads() as s, s.begin():
                s.execute(text("SELECT count(*) FROM t")).scalar_one()
            time.sleep(0.001)

    threads = [threading.Thread(target=f) for f in (writer, reader)]
    for t in threads:
        t.start()
    time.sleep(6.5)
    stop.set()
    for t in threads:
        t.join()
    wal = (tmp_path / "wal.db-wal").stat().st_size
    engine.dispose()
    assert written[0] > 8_000_000  # enough load to tell
    assert wal < written[0] / 2, (wal, written[0])
