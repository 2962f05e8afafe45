"""Safe shops and compounds (M20): registry, participation, half-yearly ranking, compound ratings.

Half-yearly score of a shop (or compound), each part explained in the answer:

* security (0–100): incidents recorded by the service within 200 m in the half-year, normalised by
  the mean over all registered places of the same kind: ``100 / (1 + n / max(mean, 1))`` — no
  incidents give 100, an average record about 50;
* contribution (0–100): ``min(100, 10 × (reports + participations))`` in the half-year;
* total = 0.7 × security + 0.3 × contribution. Compounds are rated A (≥ 80), B (≥ 60), C otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from xunfang.community.policy import SHOP_KINDS, check_time, choice
from xunfang.core.errors import Conflict, InvalidInput, NotFound
from xunfang.core.geo import MetricProjection, check_lonlat
from xunfang.jurisdiction.model import Jurisdiction
from xunfang.store import audit
from xunfang.store.community import CommunityReport, Shop, ShopParticipation
from xunfang.store.models import Incident

RADIUS_M = 200.0
W_SECURITY, W_CONTRIBUTION = 0.7, 0.3
PARTICIPATION_KINDS = ("joint_patrol", "meeting", "drill", "camera_sharing", "alarm_link")
_HALF = re.compile(r"^(\d{4})H([12])$")


def half_bounds(text: str, *, now: datetime) -> tuple[datetime, datetime]:
    """``2026H1`` → [2026-01-01, 2026-07-01) UTC; halves not yet begun or before 2000 are refused."""
    m = _HALF.match(text)
    if not m:
        raise InvalidInput(f"half {text!r}: expected YEARH1 or YEARH2, e.g. 2026H1", field="half")
    year, h = int(m.group(1)), int(m.group(2))
    lo = datetime(year, 1 if h == 1 else 7, 1, tzinfo=UTC)
    hi = datetime(year, 7, 1, tzinfo=UTC) if h == 1 else datetime(year + 1, 1, 1, tzinfo=UTC)
    if year < 2000 or lo > now:
        raise InvalidInput(f"half {text!r} is outside the data (2000H1 .. the current half)", field="half")
    return lo, hi


def register(
    session: Session,
    *,
    code: str,
    name: str,
    kind: str,
    lon: float,
    lat: float,
    actor: str,
    jur: Jurisdiction,
    now: datetime,
) -> Shop:
    choice(kind, SHOP_KINDS, "kind")
    check_lonlat(lon, lat, name="lon")
    loc = jur.locate(lon, lat)
    with session.begin():
        shop = Shop(
            code=code, name=name, kind=kind, lon=lon, lat=lat, station_code=loc.station, created_at=now
        )
        session.add(shop)
        try:
            session.flush()
        except IntegrityError:
            raise Conflict(f"shop code {code!r} is already registered", field="code") from None
        audit.append(session, actor=actor, action="shop.register", target=f"shop:{code}")
    return shop


def by_code(session: Session, code: str) -> Shop:
    shop = session.execute(select(Shop).where(Shop.code == code)).scalar_one_or_none()
    if shop is None:
        raise NotFound(f"shop {code!r} is not registered", field="shop")
    return shop


def listing(session: Session, kind: str | None, station: str | None) -> Sequence[Shop]:
    stmt = select(Shop).order_by(Shop.code)
    if kind is not None:
        stmt = stmt.where(Shop.kind == choice(kind, SHOP_KINDS, "kind"))
    if station is not None:
        stmt = stmt.where(Shop.station_code == station)
    return session.execute(stmt).scalars().all()


def participate(
    session: Session, *, code: str, kind: str, at: datetime, actor: str, now: datetime
) -> ShopParticipation:
    choice(kind, PARTICIPATION_KINDS, "kind")
    check_time(at, "at", now=now)
    with session.begin():
        shop = by_code(session, code)
        row = ShopParticipation(shop_id=shop.id, kind=kind, at=at)
        session.add(row)
        session.flush()
        audit.append(
            session, actor=actor, action="shop.participation", target=f"shop:{code}", detail={"kind": kind}
        )
    return row


def _near_counts(shops: Sequence[Shop], inc_lon: np.ndarray, inc_lat: np.ndarray) -> np.ndarray:
    if not shops or inc_lon.size == 0:
        return np.zeros(len(shops), dtype=np.int64)
    lon = np.array([s.lon for s in shops])
    lat = np.array([s.lat for s in shops])
    proj = MetricProjection.for_points(np.concatenate([lon, inc_lon]), np.concatenate([lat, inc_lat]))
    sx, sy = proj.to_xy(lon, lat)
    ix, iy = proj.to_xy(inc_lon, inc_lat)
    d2 = (sx[:, None] - ix[None, :]) ** 2 + (sy[:, None] - iy[None, :]) ** 2
    return np.asarray((d2 <= RADIUS_M**2).sum(axis=1), dtype=np.int64)


def ranking(session: Session, *, half: str, kind: str, now: datetime, top: int = 10) -> dict[str, Any]:
    """The half-year ranking of ``kind`` (shop or compound), top ``top``, every score explained."""
    choice(kind, SHOP_KINDS, "kind")
    lo, hi = half_bounds(half, now=now)
    shops = listing(session, kind, None)
    inc = session.execute(
        select(Incident.lon, Incident.lat).where(Incident.reported_at >= lo, Incident.reported_at < hi)
    ).all()
    inc_lon = np.array([r[0] for r in inc], dtype=float)
    inc_lat = np.array([r[1] for r in inc], dtype=float)
    near = _near_counts(shops, inc_lon, inc_lat)
    mean = float(near.mean()) if near.size else 0.0
    reports = _count_by(session, CommunityReport.shop_id, CommunityReport.created_at, lo, hi)
    parts = _count_by(session, ShopParticipation.shop_id, ShopParticipation.at, lo, hi)
    rows = [
        _score(s, int(n), mean, reports.get(s.id, 0), parts.get(s.id, 0))
        for s, n in zip(shops, near, strict=True)
    ]
    rows.sort(key=lambda r: (-r["total"], r["code"]))
    for i, r in enumerate(rows, 1):
        r["rank"] = i
    return {
        "half": half,
        "kind": kind,
        "from": lo.isoformat(),
        "to": hi.isoformat(),
        "ranked": len(rows),
        "incidents_considered": int(inc_lon.size),
        "method": __doc__.split("Half-yearly score", 1)[1].strip() if __doc__ else "",
        "top": rows[:top],
    }


def _count_by(session: Session, key: Any, when: Any, lo: datetime, hi: datetime) -> dict[int, int]:
    stmt = select(key, func.count()).where(key.is_not(None), when >= lo, when < hi).group_by(key)
    return {int(k): int(n) for k, n in session.execute(stmt).all()}


def _score(s: Shop, near: int, mean: float, reports: int, parts: int) -> dict[str, Any]:
    norm = max(mean, 1.0)
    security = round(100.0 / (1.0 + near / norm), 1)
    contribution = float(min(100, 10 * (reports + parts)))
    total = round(W_SECURITY * security + W_CONTRIBUTION * contribution, 1)
    rating = "A" if total >= 80 else "B" if total >= 60 else "C"
    return {
        "code": s.code,
        "name": s.name,
        "station": s.station_code,
        "incidents_near": near,
        "security": security,
        "reports": reports,
        "participations": parts,
        "contribution": contribution,
        "total": total,
        "rating": rating,
        "explanation": (
            f"{near} incident(s) within {RADIUS_M:g} m (normaliser: mean {mean:.2f}, floor 1) → security "
            f"100/(1+{near}/{norm:.2f}) = {security}; {reports} report(s) + {parts} participation(s) → "
            f"contribution {contribution:g}; total {W_SECURITY}×{security} + "
            f"{W_CONTRIBUTION}×{contribution:g} = {total}"
        ),
    }
