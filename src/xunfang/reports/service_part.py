"""The service-database sections of a bulletin: response times against the 1/3/5-minute standard,
patrol compliance and visible-police rate, force person-times and hours by type, volunteer
contributions, disputes, hazards and community reports. Each section is ``None`` when nothing was
recorded in the period, so the bulletin says so instead of printing zeros it cannot vouch for.

Definitions (stated in the bulletin too):

* response time = first arrival on scene − receipt; within standard when ≤ the incident's tier;
* patrol compliance = patrol zones with at least one unit position fix in the period ÷ all zones;
* visible-police rate = tracked unit-hours more than 200 m from the unit's home post ÷ all tracked
  unit-hours (10-minute buckets holding a fix count as 1/6 hour);
* person-times = distinct (unit, day) pairs with fixes, by force type.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from xunfang.community import disputes, hazards, volunteers
from xunfang.core.geo import haversine_m
from xunfang.jurisdiction.model import Level
from xunfang.store import jurisdiction as jstore
from xunfang.store.community import CommunityReport, Hazard
from xunfang.store.db import session_factory
from xunfang.store.models import Incident, Unit, UnitTrack

BUCKET_S = 600
ON_STREET_M = 200.0


@dataclass
class ServicePart:
    response: dict[str, Any] | None = None
    patrol: dict[str, Any] | None = None
    forces: list[dict[str, Any]] | None = None
    volunteers: list[dict[str, Any]] | None = None
    disputes: dict[str, Any] | None = None
    hazards: dict[str, Any] | None = None
    reports: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)


def collect(engine: Engine | None, lo: datetime, hi: datetime) -> ServicePart:
    """Read the service database for [lo, hi) (UTC); a missing database yields an empty part."""
    if engine is None:
        return ServicePart(notes=["no service database was given"])
    with session_factory(engine)() as s, s.begin():
        return ServicePart(
            response=_response(s, lo, hi),
            patrol=_patrol(s, lo, hi),
            forces=_forces(s, lo, hi),
            volunteers=[r for r in volunteers.contributions(s, lo, hi) if r["points"] > 0][:10] or None,
            disputes=_disputes(s, lo, hi),
            hazards=_hazards(s, lo, hi),
            reports=_reports(s, lo, hi),
        )


def _response(s: Session, lo: datetime, hi: datetime) -> dict[str, Any] | None:
    rows = s.execute(
        select(Incident.tier_min, Incident.received_at, Incident.on_scene_at, Incident.deadline_missed).where(
            Incident.received_at >= lo, Incident.received_at < hi
        )
    ).all()
    if not rows:
        return None
    tiers: dict[int, dict[str, Any]] = {}
    for tier in (1, 3, 5):
        sel = [r for r in rows if r[0] == tier]
        secs = [(r[2] - r[1]).total_seconds() for r in sel if r[2] is not None]
        within = sum(1 for x in secs if x <= tier * 60)
        tiers[tier] = {
            "incidents": len(sel),
            "arrived": len(secs),
            "within": within,
            "share": round(within / len(secs), 4) if secs else None,
            "median_s": round(float(np.median(secs)), 1) if secs else None,
            "missed": sum(1 for r in sel if r[3]),
        }
    arrived = sum(t["arrived"] for t in tiers.values())
    within = sum(t["within"] for t in tiers.values())
    return {
        "incidents": len(rows),
        "arrived": arrived,
        "within": within,
        "share": round(within / arrived, 4) if arrived else None,
        "tiers": tiers,
    }


def _tracks(s: Session, lo: datetime, hi: datetime) -> list[Any]:
    return list(
        s.execute(
            select(
                UnitTrack.unit_id,
                UnitTrack.lon,
                UnitTrack.lat,
                UnitTrack.at,
                Unit.force_type,
                Unit.home_lon,
                Unit.home_lat,
            )
            .join(Unit, Unit.id == UnitTrack.unit_id)
            .where(UnitTrack.at >= lo, UnitTrack.at < hi)
        ).all()
    )


def _patrol(s: Session, lo: datetime, hi: datetime) -> dict[str, Any] | None:
    tracks = _tracks(s, lo, hi)
    jur = jstore.load(s)
    if not tracks or jur is None:
        return None
    zones = [a.code for a in jur.of_level(Level.PATROL_ZONE)]
    lon = np.array([t[1] for t in tracks])
    lat = np.array([t[2] for t in tracks])
    visited = {loc.codes.get(Level.PATROL_ZONE) for loc in jur.locate_many(lon, lat) if loc is not None}
    home_lon = np.array([t[5] for t in tracks])
    home_lat = np.array([t[6] for t in tracks])
    far = np.asarray(haversine_m(lon, lat, home_lon, home_lat)) > ON_STREET_M
    buckets: dict[tuple[str, int], bool] = {}
    for t, f in zip(tracks, far, strict=True):
        key = (t[0], int(t[3].timestamp()) // BUCKET_S)
        buckets[key] = buckets.get(key, False) or bool(f)
    return {
        "zones": len(zones),
        "zones_patrolled": len(visited & set(zones)),
        "compliance": round(len(visited & set(zones)) / len(zones), 4) if zones else None,
        "tracked_hours": round(len(buckets) * BUCKET_S / 3600, 1),
        "visible_rate": round(sum(buckets.values()) / len(buckets), 4) if buckets else None,
    }


def _forces(s: Session, lo: datetime, hi: datetime) -> list[dict[str, Any]] | None:
    tracks = _tracks(s, lo, hi)
    if not tracks:
        return None
    days: dict[str, set[tuple[str, str]]] = defaultdict(set)
    buckets: dict[str, set[tuple[str, int]]] = defaultdict(set)
    for t in tracks:
        days[t[4]].add((t[0], t[3].date().isoformat()))
        buckets[t[4]].add((t[0], int(t[3].timestamp()) // BUCKET_S))
    return [
        {
            "force_type": ft,
            "person_times": len(days[ft]),
            "hours": round(len(buckets[ft]) * BUCKET_S / 3600, 1),
        }
        for ft in sorted(days)
    ]


def _disputes(s: Session, lo: datetime, hi: datetime) -> dict[str, Any] | None:
    rates = disputes.resolution_rates(s, lo.date(), hi.date())
    return rates if rates["total"]["opened"] else None


def _hazards(s: Session, lo: datetime, hi: datetime) -> dict[str, Any] | None:
    found = s.execute(
        select(func.count()).select_from(Hazard).where(Hazard.found_at >= lo, Hazard.found_at < hi)
    ).scalar_one()
    rect = s.execute(
        select(func.count()).select_from(Hazard).where(Hazard.rectified_at >= lo, Hazard.rectified_at < hi)
    ).scalar_one()
    ver = s.execute(
        select(func.count()).select_from(Hazard).where(Hazard.verified_at >= lo, Hazard.verified_at < hi)
    ).scalar_one()
    open_rows = s.execute(select(Hazard).where(Hazard.found_at < hi)).scalars().all()
    overdue = [
        h for h in open_rows if (h.rectified_at is None or h.rectified_at >= hi) and hazards.is_overdue(h, hi)
    ]
    if not (found or rect or ver or overdue):
        return None
    return {"found": int(found), "rectified": int(rect), "verified": int(ver), "overdue_at_end": len(overdue)}


def _reports(s: Session, lo: datetime, hi: datetime) -> dict[str, Any] | None:
    rows = s.execute(
        select(CommunityReport.status, func.count())
        .where(CommunityReport.created_at >= lo, CommunityReport.created_at < hi)
        .group_by(CommunityReport.status)
    ).all()
    if not rows:
        return None
    by = {str(k): int(n) for k, n in rows}
    return {"total": sum(by.values()), "by_status": by}
