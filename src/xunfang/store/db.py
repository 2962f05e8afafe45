"""Database engines: a SQLite file by default, PostgreSQL when configured.

SQLite runs in WAL mode with ``synchronous=FULL`` so that a committed incident survives a power
cut, and every write transaction starts with ``BEGIN IMMEDIATE``: SQLite has one writer at a time,
and taking the write lock up front turns would-be "database is locked" upgrade failures into a
short wait. Before that the writers queue on a gate of their own (held from BEGIN until the
connection goes back to the pool): SQLite's busy handler polls with sleeps of up to 100 ms, which
under a steady write load turned millisecond waits into second-long tails. The gate is a thread
lock inside a process and an ``flock`` on ``<database>-writer.lock`` between processes (``serve
--workers N``): the kernel wakes the next waiting process as soon as the holder lets go.
Read-only sessions start a deferred transaction and never wait for writers (WAL).

PostgreSQL URLs are normalised to the psycopg 3 driver; an optional ``schema`` puts every
table into its own schema (the tests use a fresh one per run).
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import ArgumentError, DisconnectionError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from xunfang.core.errors import InvalidInput

READ_ONLY = "xunfang_read_only"
SQLITE_BUSY_S = 30.0
CHECKPOINT_EVERY_S = 1.0
CHECKPOINT_RETRY_S = 0.1
_GATE = "xunfang_write_gate"
_LAST_USED = "xunfang_last_used"
PING_IDLE_S = 1.0  # a pooled PostgreSQL connection idle longer than this is pinged before use
log = logging.getLogger(__name__)
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
            # as many connections as the server has request threads (anyio's 40), so a request
            # never waits for a connection, only (when writing) for the write lock
            engine = create_engine(
                url,
                connect_args={"timeout": SQLITE_BUSY_S, "check_same_thread": False},
                pool_size=pool_size,
                max_overflow=40,
            )
            path = engine.url.database if engine.url.database not in (None, "", ":memory:") else None
            gate = WriteGate(path)
            _sqlite_setup(engine, gate)
            if path:
                _Checkpointer(engine, gate).start()
            return engine
        engine = create_engine(url, pool_size=pool_size, max_overflow=20)
        _ping_idle(engine)
    except (ArgumentError, ValueError) as exc:
        raise InvalidInput(f"database URL {url!r} is not usable: {exc}", field="database_url") from None
    if schema is not None:
        _pg_schema(engine, schema)
    return engine


def _ping_idle(engine: Engine) -> None:
    """Ping a pooled connection before use only when it has been idle for ``PING_IDLE_S``.

    A ping on every checkout (``pool_pre_ping``) was one more round trip for every session, two or
    three per request. A connection busy a moment ago is very likely alive; if the server went
    away meanwhile, that one request fails with a 503 and SQLAlchemy invalidates the pool's older
    connections at once, so the client's retry gets a fresh one.
    """

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get(_LAST_USED, 0.0) > PING_IDLE_S:
            try:
                engine.dialect.do_ping(dbapi_conn)
            except Exception as exc:  # the pool replaces the connection and tries again
                raise DisconnectionError(str(exc)) from exc

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_conn: Any, record: Any) -> None:
        record.info[_LAST_USED] = time.monotonic()


class WriteGate:
    """The SQLite writers' queue: a thread lock for this process's threads, then, for a database
    file, an exclusive ``flock`` on ``<file>-writer.lock`` for the processes sharing the file.

    Only the thread holding the thread lock waits in ``flock`` (the kernel wakes it the moment
    another process lets go, with no polling); the lock file holds no data and is never removed, so
    every process locks the same inode. A process that dies holding it releases it with its file
    descriptor. Where the file cannot be opened (a read-only directory), only this process's
    writers are ordered and SQLite's busy handler orders the rest, as before.
    """

    def __init__(self, path: str | None) -> None:
        self._lock = threading.Lock()
        self._fd: int | None = None
        if path:
            try:
                self._fd = os.open(f"{path}-writer.lock", os.O_RDWR | os.O_CREAT, 0o600)
            except OSError as exc:
                log.warning("no writer lock file beside %s (%s): other processes wait in SQLite", path, exc)
            else:  # closed with the gate; not at exit, where a daemon thread may still use it
                weakref.finalize(self, os.close, self._fd).atexit = False

    def acquire(self, timeout: float) -> bool:
        if not self._lock.acquire(timeout=timeout):
            return False
        if self._fd is not None:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX)  # releases the GIL while it waits
            except BaseException:
                self._lock.release()
                raise
        return True

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._lock.release()


def _sqlite_setup(engine: Engine, gate: WriteGate) -> None:
    """Pragmas on every connection; write transactions queue on ``gate``."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_S * 1000:.0f}")
        cur.execute("PRAGMA wal_autocheckpoint=0")  # checkpoints run in _Checkpointer instead
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # readers (see session_factory(read_only=True)) take no write lock: WAL lets them run
        # beside the one writer
        if conn.get_execution_options().get(READ_ONLY):
            conn.exec_driver_sql("BEGIN")
            return
        info = conn.connection.info  # the pooled connection's, kept until it goes back
        if not info.get(_GATE):
            if not gate.acquire(timeout=SQLITE_BUSY_S):
                raise OperationalError("BEGIN IMMEDIATE", None, Exception("database is locked"))
            info[_GATE] = True
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_conn: Any, record: Any) -> None:
        if record.info.pop(_GATE, False):
            gate.release()


class _Checkpointer(threading.Thread):
    """Copies the WAL back into the database file every second, from its own connection, and keeps
    the WAL file short.

    SQLite's automatic checkpoint runs inside the commit that crosses 1,000 WAL pages, and that
    writer holds the write lock meanwhile: under a steady load (tracks) that was a 300 ms stall of
    every writer each ~17 s. So a PASSIVE checkpoint from this connection first copies what it can
    while writers go on. Under a steady load that alone never lets the WAL start over (some frame is
    always newer than the checkpoint): in a 10-minute surge it grew past a gigabyte, each checkpoint
    copying more and its fsyncs stalling the writers' commits. So then, holding the write gate, a
    RESTART checkpoint copies the few frames written meanwhile and the next writer starts the
    WAL from its beginning. The thread ends when its engine is garbage collected.
    """

    def __init__(self, engine: Engine, gate: WriteGate) -> None:
        super().__init__(name="sqlite-checkpoint", daemon=True)
        self._engine = weakref.ref(engine)
        self._path = str(engine.url.database)
        self._gate = gate

    def run(self) -> None:
        con: sqlite3.Connection | None = None
        restarted = True
        while self._engine() is not None:
            # a RESTART that found a reader still on the WAL is tried again soon, not in a second
            time.sleep(CHECKPOINT_EVERY_S if restarted else CHECKPOINT_RETRY_S)
            try:
                con = con or sqlite3.connect(self._path, timeout=0.05, check_same_thread=False)
                con.execute("PRAGMA wal_checkpoint(PASSIVE)")
                restarted = self._restart(con)
            except (sqlite3.Error, OSError) as exc:  # the file is gone or locked: try again later
                log.debug("checkpoint skipped: %s", exc)
        if con is not None:
            con.close()

    def _restart(self, con: sqlite3.Connection) -> bool:
        if not self._gate.acquire(timeout=CHECKPOINT_EVERY_S):
            return False
        try:
            busy = con.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()[0]
        finally:
            self._gate.release()
        return not busy


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


def session_factory(engine: Engine, *, read_only: bool = False) -> sessionmaker[Session]:
    """Sessions on ``engine``; ``read_only`` ones start a plain (deferred) transaction on SQLite
    instead of taking the write lock, so reads never queue behind writes. Writing in such a
    session is a bug (SQLite may answer "database is locked" on the upgrade)."""
    bind = engine.execution_options(**{READ_ONLY: True}) if read_only else engine
    return sessionmaker(bind, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with factory() as session, session.begin():
        yield session
