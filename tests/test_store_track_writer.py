"""Positions off the request path: the batch writer, the known-unit check, SQLite's write gate."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import OperationalError

from svc_world import jurisdiction, seed
from xunfang.core.errors import NotFound
from xunfang.store import track_writer
from xunfang.store.db import WriteGate, make_engine, session_factory
from xunfang.store.migrate import upgrade
from xunfang.store.models import UnitPosition, UnitTrack
from xunfang.store.track_writer import TrackWriter
from xunfang.store.units import Fix, KnownUnits

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def _fixes(n: int) -> list[Fix]:
    return [Fix("U-PAT-1", -87.65 + i * 1e-4, 41.86, T0 + timedelta(seconds=i)) for i in range(n)]


def _tracks(engine: Engine) -> int:
    with session_factory(engine)() as s, s.begin():
        return int(s.execute(select(func.count()).select_from(UnitTrack)).scalar_one())


def test_writer_stores_every_fix_and_the_newest_position(engine: Engine) -> None:
    seed(engine, jurisdiction())
    writer = TrackWriter(session_factory(engine), interval_s=0.01)
    writer.submit(_fixes(30))
    writer.submit([Fix("U-PAT-1", 0.0, 0.0, T0 - timedelta(hours=1))])  # older: track only
    deadline = time.monotonic() + 30
    while _tracks(engine) < 31 and time.monotonic() < deadline:  # the thread writes on its own
        time.sleep(0.05)
    writer.close()
    assert _tracks(engine) == 31 and writer.pending == 0 and writer.written == 31
    with session_factory(engine)() as s, s.begin():
        row = s.get_one(UnitPosition, "U-PAT-1")
    assert row.at == T0 + timedelta(seconds=29)


def test_a_failed_write_keeps_the_batch(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    seed(engine, jurisdiction())
    writer = TrackWriter(session_factory(engine), interval_s=3600)  # no background write here
    real = track_writer.ingest

    def refuse(*_a: object, **_k: object) -> None:
        raise OperationalError("INSERT", None, Exception("disk I/O error"))

    monkeypatch.setattr(track_writer, "ingest", refuse)
    writer.submit(_fixes(5))
    with pytest.raises(OperationalError):
        writer.flush()
    assert writer.pending == 5 and _tracks(engine) == 0
    monkeypatch.setattr(track_writer, "ingest", real)
    writer.submit(_fixes(2))
    writer.close()
    assert writer.pending == 0 and _tracks(engine) == 7


def test_writer_bounds_its_queue(engine: Engine) -> None:
    seed(engine, jurisdiction())
    writer = TrackWriter(session_factory(engine), interval_s=3600, max_pending=10)
    writer.submit(_fixes(25))
    assert writer.pending == 10 and writer.dropped == 15
    writer.close()
    assert _tracks(engine) == 10


def test_known_units_names_the_unknown(engine: Engine) -> None:
    seed(engine, jurisdiction())
    known = KnownUnits()
    known.check(session_factory(engine), {"U-PAT-1", "U-PAT-2"})
    with pytest.raises(NotFound, match="U-NOPE"):
        known.check(session_factory(engine), {"U-PAT-1", "U-NOPE"})


def test_sqlite_writers_queue_and_readers_do_not_wait(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'gate.db'}")
    upgrade(engine)
    with engine.begin() as c:
        c.execute(text("CREATE TABLE t (v INTEGER)"))
    sessions, reads = session_factory(engine), session_factory(engine, read_only=True)
    holding, release = threading.Event(), threading.Event()

    def long_writer() -> None:
        with sessions() as s, s.begin():
            s.execute(text("INSERT INTO t VALUES (1)"))
            holding.set()
            release.wait(30)

    first = threading.Thread(target=long_writer)
    first.start()
    assert holding.wait(30)
    with reads() as s, s.begin():  # a reader gets in while the write lock is held
        assert s.execute(text("SELECT count(*) FROM t")).scalar_one() == 0
    errors: list[Exception] = []

    def writer(v: int) -> None:
        try:
            with sessions() as s, s.begin():
                s.execute(text("INSERT INTO t VALUES (:v)"), {"v": v})
        except Exception as exc:
            errors.append(exc)

    others = [threading.Thread(target=writer, args=(v,)) for v in range(2, 12)]
    for t in others:
        t.start()
    release.set()
    for t in [first, *others]:
        t.join(60)
    assert errors == []
    with reads() as s, s.begin():
        assert s.execute(text("SELECT count(*) FROM t")).scalar_one() == 11


_INCREMENTS = """
import sys
from sqlalchemy import text
from xunfang.store.db import make_engine
engine = make_engine(sys.argv[1])
for _ in range(int(sys.argv[2])):
    with engine.begin() as c:  # read, then write: only correct if the writers take turns
        v = c.execute(text("SELECT v FROM counter")).scalar_one()
        c.execute(text("UPDATE counter SET v = :v"), {"v": v + 1})
print("done")
"""


def test_sqlite_writers_of_several_processes_take_turns_on_the_writer_lock(tmp_path: Path) -> None:
    """`serve --workers N` on SQLite: another process's writer waits for the lock file this process
    holds (not for SQLite's polling busy handler), and two processes' read-modify-write
    transactions never interleave."""
    path = tmp_path / "shared.db"
    url = f"sqlite:///{path}"
    with make_engine(url).begin() as c:
        c.execute(text("CREATE TABLE counter (v INTEGER)"))
        c.execute(text("INSERT INTO counter VALUES (0)"))
    gate = WriteGate(str(path))
    assert gate.acquire(timeout=5)
    waiting = subprocess.Popen([sys.executable, "-c", _INCREMENTS, url, "1"], stdout=subprocess.PIPE)
    try:
        time.sleep(1.5)
        assert waiting.poll() is None, "the other process wrote while this one held the writer lock"
    finally:
        gate.release()
    assert waiting.communicate(timeout=60)[0].strip() == b"done"
    both = [subprocess.Popen([sys.executable, "-c", _INCREMENTS, url, "150"]) for _ in range(2)]
    assert [p.wait(120) for p in both] == [0, 0]
    with make_engine(url).connect() as c:
        assert c.execute(text("SELECT v FROM counter")).scalar_one() == 301
