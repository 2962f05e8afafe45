"""`xunfang bench reliability` backup scenario: dump and restore a PostgreSQL database of N incidents.

The incidents are *generated rows* (``generate_series``: Chicago-like coordinates, fixed categories,
one ``received`` event each), not real cases: the figure is about how long the tools take for that
many rows and their indexes, which does not depend on what the rows say.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text

from xunfang.store import backup as bk
from xunfang.store.db import make_engine
from xunfang.store.migrate import upgrade
from xunfang.store.models import Incident

GENERATE = """
INSERT INTO incidents (category, priority, source, lon, lat, description, reported_at, received_at,
    status, tier_min, deadline_at, station_code, subbureau_code, grid_code, deadline_missed,
    handover_prompted, updated_at)
SELECT (ARRAY['theft','dispute','traffic','public_order'])[1 + g % 4], 1 + g % 3, 'call_110',
    -87.9 + (g % 1000) * 0.0005, 41.65 + (g / 1000 % 1000) * 0.0005, 'generated ' || g,
    t, t, 'closed', 15, t + interval '15 minutes', 'CHI-D' || lpad((1 + g % 22)::text, 2, '0'),
    'CHI', 'CHI-G' || (g % 500), false, false, t
FROM generate_series(1, :n) AS g, LATERAL (SELECT now() - (g || ' seconds')::interval AS t) AS ts
"""
EVENTS = """
INSERT INTO incident_events (incident_id, type, actor, at, before_status, after_status, note)
SELECT id, 'received', 'bench', received_at, NULL, 'received', '' FROM incidents
"""


@contextlib.contextmanager
def _database(pg_url: str, schema: str) -> Iterator[str]:
    """A new, empty database on the same server; yields its URL (search_path = ``schema``)."""
    name = "xfrestore_" + secrets.token_hex(4)
    admin = create_engine(pg_url.split("?", 1)[0], isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield f"{pg_url.split('?', 1)[0].rsplit('/', 1)[0]}/{name}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def restore_timing(url: str, schema: str, pg_url: str, tmp: Path, n: int) -> dict[str, Any]:
    """Fill ``url`` (an empty schema) with ``n`` generated incidents, dump it, restore it elsewhere."""
    engine = make_engine(url)
    upgrade(engine)
    t0 = time.monotonic()
    with engine.begin() as conn:
        conn.execute(text(GENERATE), {"n": n})
        conn.execute(text(EVENTS))
    generate_s = time.monotonic() - t0
    engine.dispose()
    dump = tmp / "restore-bench.dump"
    dump_s = bk.backup(url, dump)
    with _database(pg_url, schema) as target:
        restore_s = bk.restore(target, dump, make_engine(target))
        restored = make_engine(target)
        with restored.connect() as conn:
            count = int(conn.execute(select(func.count()).select_from(Incident)).scalar_one())
        restored.dispose()
    out: dict[str, Any] = {
        "incidents": n,
        "generated_rows": True,
        "restored_incidents": count,
        "generate_s": round(generate_s, 1),
        "dump_s": round(dump_s, 1),
        "dump_mb": round(dump.stat().st_size / 1e6, 1),
        "restore_s": round(restore_s, 1),
        "restore_jobs": bk.RESTORE_JOBS,
    }
    if n == 1_000_000:
        out["restore_1m_s"] = out["restore_s"]
    dump.unlink(missing_ok=True)
    return out
