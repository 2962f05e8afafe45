"""AVL ingest: an older fix never overwrites a newer one; every fix lands in the track."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, func, select

from svc_world import jurisdiction, seed
from xunfang.store.db import session_factory
from xunfang.store.models import UnitPosition, UnitTrack
from xunfang.store.units import Fix, PositionCache, ingest

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def test_out_of_order_batches_keep_the_newest(engine: Engine) -> None:
    seed(engine, jurisdiction())
    sessions = session_factory(engine)
    cache = PositionCache()
    newer = [Fix("U-PAT-1", -87.65, 41.86, T0 + timedelta(seconds=10)), Fix("U-PAT-2", -87.66, 41.87, T0)]
    older = [Fix("U-PAT-1", -87.60, 41.80, T0), Fix("U-PAT-1", -87.61, 41.81, T0 + timedelta(seconds=5))]
    for batch in (newer, older):
        with sessions() as s:
            cache.offer(ingest(s, batch))
    with sessions() as s, s.begin():
        row = s.get_one(UnitPosition, "U-PAT-1")
        tracks = s.execute(select(func.count()).select_from(UnitTrack)).scalar_one()
    assert (row.lon, row.at) == (-87.65, T0 + timedelta(seconds=10))
    assert cache.get("U-PAT-1") == newer[0]
    assert tracks == 4
    fresh = PositionCache()
    with sessions() as s:
        fresh.load(s)
    assert fresh.snapshot() == cache.snapshot()
