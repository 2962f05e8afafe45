"""`serve --demo` seeding: real jurisdiction, ≥200 mixed units, one user per role; idempotent."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from svc_support import DB
from xunfang.store import demo
from xunfang.store import jurisdiction as jstore
from xunfang.store.db import session_factory
from xunfang.store.models import JurisdictionNode, Unit, User

CELL = {"chicago": 1000.0, "beijing": 4000.0}


@pytest.mark.data
@pytest.mark.parametrize("city", ["chicago", "beijing"])
def test_demo_seed_is_idempotent(db: DB, data_dir: Path, city: str) -> None:
    engine = db.engine()
    sessions = session_factory(engine)
    with sessions() as s:
        users = demo.seed(s, city, data_dir, cell_size_m=CELL[city])
    with sessions() as s, s.begin():
        first = [
            s.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (JurisdictionNode, Unit, User)
        ]
        kinds = Counter(s.execute(select(Unit.force_type)).scalars())
    assert first[1] >= 200 and len(kinds) >= 10 and first[2] == len(users) == 8
    with sessions() as s:
        demo.seed(s, city, data_dir, cell_size_m=CELL[city])
    with sessions() as s, s.begin():
        again = [
            s.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (JurisdictionNode, Unit, User)
        ]
        jur = jstore.load(s)
    assert again == first
    assert jur is not None and len(jur.areas) == first[0]
    engine.dispose()
