"""Fixtures for the service tests: a migrated database on SQLite and on PostgreSQL.

PostgreSQL comes from ``XUNFANG_TEST_PG_URL`` (default: the local test server); each test gets a
fresh randomly named schema, dropped afterwards, so parallel helpers never see each other's rows.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from conftest import need
from xunfang.store.db import drop_schema, make_engine
from xunfang.store.migrate import upgrade

PG_URL = os.environ.get("XUNFANG_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", "postgres"]


def pg_available() -> bool:
    try:
        eng = make_engine(PG_URL)
        with eng.connect() as conn:
            conn.execute(text("select 1"))
        eng.dispose()
        return True
    except Exception:
        return False


class DB:
    """Where a test database lives: its URL and (PostgreSQL) schema."""

    def __init__(self, backend: str, url: str, schema: str | None) -> None:
        self.backend, self.url, self.schema = backend, url, schema

    def engine(self) -> Engine:
        return make_engine(self.url, schema=self.schema)


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DB]:
    """A migrated, empty database on each backend."""
    if request.param == "sqlite":
        spec = DB("sqlite", f"sqlite:///{tmp_path / 'xunfang.db'}", None)
    else:
        need(pg_available(), f"PostgreSQL at {PG_URL} (set XUNFANG_TEST_PG_URL)")
        spec = DB("postgres", PG_URL, "t_" + secrets.token_hex(6))
    eng = spec.engine()
    upgrade(eng)
    eng.dispose()
    yield spec
    if spec.schema:
        plain = make_engine(PG_URL)
        drop_schema(plain, spec.schema)
        plain.dispose()


@pytest.fixture
def engine(db: DB) -> Iterator[Engine]:
    eng = db.engine()
    yield eng
    eng.dispose()
