"""Persist the jurisdiction tree (polygons as WKT) and load it back for lookups."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from xunfang.jurisdiction.model import Area, Jurisdiction, Level
from xunfang.store.models import JurisdictionNode


def count(session: Session) -> int:
    return int(session.execute(select(func.count()).select_from(JurisdictionNode)).scalar_one())


def save(session: Session, areas: Sequence[Area]) -> None:
    wkt = shapely.to_wkt([a.geometry for a in areas], rounding_precision=7)
    rows = [
        {
            "code": a.code,
            "level": a.level.value,
            "name_zh": a.name_zh,
            "name_en": a.name_en,
            "parent_code": a.parent,
            "place_class": a.place_class,
            "wkt": w,
        }
        for a, w in zip(areas, wkt, strict=True)
    ]
    session.execute(insert(JurisdictionNode), rows)


def load(session: Session) -> Jurisdiction | None:
    rows = session.execute(select(JurisdictionNode).order_by(JurisdictionNode.id)).scalars().all()
    if not rows:
        return None
    # an object array: a list of strings would become a fixed-width array as wide as the longest WKT
    geoms = shapely.from_wkt(np.array([r.wkt for r in rows], dtype=object))
    areas = [
        Area(r.code, Level(r.level), r.name_zh, r.name_en, r.parent_code, g, r.place_class)
        for r, g in zip(rows, geoms, strict=True)
    ]
    return Jurisdiction(areas)
