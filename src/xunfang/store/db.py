"""Database engines: a SQLite file by default, PostgreSQL when configured.

SQLite runs in WAL mode with ``synchronous=FULL`` so that a committed incident survives a power
cut, and every transaction starts with ``BEGIN IMMEDIATE``: SQLite has one writer at a time, and
taking the write lock up front turns would-be "database is locked" upgrade failures into a short
wait. PostgreSQL URLs are normalised to the psycopg 3 driver; an optional ``schema`` puts every
table into its own schema (the tests use a fresh one per run).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from xunfang.core.errors import InvalidInput

_SCHEMA_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def normalise_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` mean psycopg 3 here (psycopg2 is not installed)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str, *, schema: str | None = None, pool_size: int = 10) -> Engine:
    """An engine for ``url`` with the pragmas/search path xunfang relies on."""
    url = normalise_url(url)
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
            _sqlite_setup(engine)
            return engine
        engine = create_engine(url, pool_size=pool_size, max_overflow=20, pool_pre_ping=True)
    except (ArgumentError, ValueError) as exc:
        raise InvalidInput(f"database URL {url!r} is not usable: {exc}", field="database_url") from None
    if schema is not None:
        _pg_schema(engine, schema)
    return engine


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _pg_schema(engine: Engine, schema: str) -> None:
    if not _SCHEMA_RE.match(schema):
        raise InvalidInput(f"schema name {schema!r} must be lower-case letters, digits, underscores")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        cur.execute(f"SET search_path TO {schema}")
        cur.close()
        dbapi_conn.commit()


def drop_schema(engine: Engine, schema: str) -> None:
    """Remove a schema made by :func:`make_engine` (test clean-up)."""
    if not _SCHEMA_RE.match(schema):
        raise InvalidInput(f"schema name {schema!r} is not valid")
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with factory() as session, session.begin():
        yield session
