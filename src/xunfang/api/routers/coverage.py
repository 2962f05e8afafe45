"""GET /api/v1/coverage: the live 1/3/5-minute response circles as GeoJSON plus covered shares."""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Depends
from sqlalchemy import select

from xunfang.api.deps import COVERAGE, CtxDep, SessionDep, require_role
from xunfang.api.security import Principal
from xunfang.forces.types import ForceType, UnitStatus
from xunfang.network.engine import NetworkEngine, UnitPosition
from xunfang.network.travel import Mode
from xunfang.store.models import Unit, utcnow

router = APIRouter(tags=["coverage"])
Viewer = Annotated[Principal, Depends(require_role(*COVERAGE))]


@router.get("/coverage")
def coverage(ctx: CtxDep, session: SessionDep, _user: Viewer) -> dict[str, Any]:
    """Road reached by the available, freshly located units that count as arrival (driving times)."""
    network = ctx.need_network()
    now = utcnow()
    with session.begin():
        units = session.execute(select(Unit).where(Unit.status == UnitStatus.AVAILABLE.value)).scalars().all()
    fixes = ctx.positions.snapshot()
    stale = ctx.settings.stale_position_s
    pos = []
    for u in units:
        f = fixes.get(u.id)
        if (
            f is None
            or (now - f.at).total_seconds() > stale
            or not ForceType(u.force_type).spec.counts_as_arrival
        ):
            continue
        pos.append(UnitPosition(u.id, f.lon, f.lat, Mode.CAR))
    th = tuple(ctx.settings.coverage_thresholds_s)
    fractions = {f"{int(t // 60)}min": 0.0 for t in th}
    features: list[dict[str, Any]] = []
    if pos:
        cov = network.coverage(pos, hour=now.hour, thresholds_s=th)
        fractions = {f"{int(t // 60)}min": round(v, 4) for t, v in cov.fraction.items()}
        features = [_tier_feature(network, cov.edge_tier, i, t) for i, t in enumerate(th)]
    return {
        "type": "FeatureCollection",
        "features": features,
        "fractions": fractions,
        "units": len(pos),
        "computed_at": now.isoformat(),
    }


def _tier_feature(network: NetworkEngine, edge_tier: np.ndarray, i: int, t: float) -> dict[str, Any]:
    g = network.graph
    edges = np.flatnonzero((edge_tier >= 0) & (edge_tier <= i))
    lines = []
    for e in edges:
        lo, hi = g.geom_ptr[e], g.geom_ptr[e + 1]
        lines.append(np.column_stack([g.geom_lon[lo:hi], g.geom_lat[lo:hi]]).round(6).tolist())
    return {
        "type": "Feature",
        "geometry": {"type": "MultiLineString", "coordinates": lines},
        "properties": {"minutes": int(t // 60), "threshold_s": t, "edges": int(edges.size)},
    }
