"""The map's posts layer: the active posts plan projected to GeoJSON, else the stations as posts.

What the command centre sees as posts must be what the bureau decided, so the layer follows the
plan activated through ``POST /api/v1/plans/{id}/activate`` (kind ``posts``). Before any plan is
active, the police stations stand in for posts (every unit starts from one), and the response says
so in its top-level ``source`` (``plan`` or ``stations``) so nobody mistakes them for a plan.
"""

from __future__ import annotations

import logging
from typing import Any

import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from xunfang.core.settings import get_settings
from xunfang.jurisdiction.model import Jurisdiction, Level
from xunfang.planning.postplan import plan_features
from xunfang.store.cities import city_of
from xunfang.store.plans import StoredPlan

log = logging.getLogger(__name__)


def active_posts_plan_id(session: Session) -> int | None:
    """Id of the active plan of kind ``posts`` (None when none is active)."""
    with session.begin():
        q = select(StoredPlan.id).where(StoredPlan.kind == "posts", StoredPlan.active.is_(True))
        return session.execute(q.order_by(StoredPlan.id.desc())).scalars().first()


def plan_layer(plan: StoredPlan) -> dict[str, Any]:
    body: dict[str, Any] = plan.as_dict()["body"]
    return {
        "type": "FeatureCollection",
        "source": "plan",
        "plan": {"id": plan.id, "name": plan.name, "version": plan.version},
        "features": plan_features(body),
    }


def station_layer(jur: Jurisdiction | None) -> dict[str, Any]:
    """The stations as posts: the real station buildings of a demo city, else each station area's
    representative point."""
    feats = []
    for code, lon, lat, zh, en in _stations(jur):
        props = {"kind": "station", "id": code, "name_zh": zh, "name_en": en, "source": "stations"}
        geom = {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]}
        feats.append({"type": "Feature", "geometry": geom, "properties": props})
    return {"type": "FeatureCollection", "source": "stations", "plan": None, "features": feats}


def _stations(jur: Jurisdiction | None) -> list[tuple[str, float, float, str, str]]:
    if jur is None:
        return []
    areas = jur.of_level(Level.STATION)
    known = _buildings(city_of(jur))
    out = []
    for a in areas:
        if a.code in known:
            lon, lat = known[a.code]
        else:
            lon, lat = shapely.get_coordinates(a.geometry.representative_point())[0]
        out.append((a.code, float(lon), float(lat), a.name_zh, a.name_en))
    return out


def _buildings(city: str | None) -> dict[str, tuple[float, float]]:
    """Station building positions of a demo city by station code ({} when they cannot be read)."""
    from xunfang.jurisdiction import loaders

    data_dir = get_settings().data_dir
    try:
        if city == "chicago":
            stations = loaders.chicago_stations(data_dir)
        elif city == "beijing":
            stations = loaders.beijing_stations(data_dir)[1]
        else:
            return {}
    except Exception as exc:  # a missing data file degrades to area points, never to a 500
        log.warning("station buildings of %s unavailable: %s", city, exc)
        return {}
    return {s.code: (s.lon, s.lat) for s in stations}
