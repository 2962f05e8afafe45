"""Recommendation policy (M13) as a pure function: incident + unit states + road engine → candidates.

Units are ranked by road travel time from the network engine; every candidate says why it is or
is not eligible, so a dispatcher can overrule with open eyes:

* status — only ``available`` units are proposed;
* position — a unit without a fix, or whose last fix is older than the stale limit, is not trusted;
* shift — a unit outside its shift is not proposed;
* powers — at a criminal incident a non-sworn unit (volunteer, guard, grid worker, …) is eligible
  only once a sworn unit is already assigned; a drone may always be sent but only observes: its
  arrival does not stop the response clock, so it meets no tier.

To keep a recommendation fast on a large fleet the road ranking runs on the ``prefilter`` units
nearest in a straight line; the rest are not listed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from xunfang.core.errors import InvalidInput
from xunfang.core.geo import haversine_m
from xunfang.forces.types import ForceType, UnitStatus, in_shift
from xunfang.incidents.sla import tier_met
from xunfang.network.engine import NetworkEngine, UnitPosition


@dataclass(frozen=True)
class UnitState:
    unit_id: str
    force_type: ForceType
    status: UnitStatus
    lon: float | None
    lat: float | None
    fix_at: datetime | None
    shift_start_min: int = 0
    shift_end_min: int = 1440


@dataclass(frozen=True)
class IncidentView:
    lon: float
    lat: float
    criminal: bool
    assigned: tuple[ForceType, ...] = ()  # force types already actively assigned


@dataclass(frozen=True)
class Policy:
    stale_after_s: float = 120.0
    prefilter: int = 12
    hour: int | None = None  # None: the hour of ``now``


@dataclass(frozen=True)
class Candidate:
    unit_id: str
    force_type: ForceType
    eta_s: float
    distance_m: float
    tier_min: int | None
    eligible: bool
    reasons: list[str] = field(default_factory=list)


def _blockers(u: UnitState, inc: IncidentView, now: datetime, policy: Policy) -> list[str]:
    out = []
    if u.status is not UnitStatus.AVAILABLE:
        out.append(f"status: {u.status.value} (only available units are proposed)")
    if u.fix_at is None:
        out.append("position: no fix received")
    else:
        age = (now - u.fix_at).total_seconds()
        if age > policy.stale_after_s:
            out.append(f"position: stale, last fix {age:.0f} s ago (limit {policy.stale_after_s:.0f} s)")
    minute = now.hour * 60 + now.minute
    if not in_shift(minute, u.shift_start_min, u.shift_end_min):
        out.append(f"shift: off shift (shift {_hm(u.shift_start_min)}–{_hm(u.shift_end_min)})")
    spec = u.force_type.spec
    sworn_present = any(f.spec.sworn for f in inc.assigned)
    if inc.criminal and not spec.sworn and spec.counts_as_arrival and not sworn_present:
        out.append(
            f"powers: a {spec.en} may not be the only unit at a criminal incident; send sworn police first"
        )
    return out


def _hm(minutes: int) -> str:
    return f"{minutes // 60 % 24:02d}:{minutes % 60:02d}"


def recommend(
    incident: IncidentView,
    units: Sequence[UnitState],
    engine: NetworkEngine,
    *,
    now: datetime,
    policy: Policy = Policy(),
) -> list[Candidate]:
    """Candidates ordered by ETA (unreachable last), each with ETA, distance, tier and reasons."""
    located = [u for u in units if u.lon is not None and u.lat is not None]
    if not located:
        return []
    lon = np.array([u.lon for u in located], dtype=float)
    lat = np.array([u.lat for u in located], dtype=float)
    near = np.argsort(haversine_m(lon, lat, incident.lon, incident.lat), kind="stable")[: policy.prefilter]
    chosen = [located[i] for i in near]
    ranked = _rank(engine, incident, chosen, policy.hour if policy.hour is not None else now.hour)
    out = []
    for u in chosen:
        eta, dist = ranked.get(u.unit_id, (float("inf"), float("inf")))
        reasons = _blockers(u, incident, now, policy)
        eligible = not reasons
        tier = tier_met(eta) if u.force_type.spec.counts_as_arrival else None
        if not u.force_type.spec.counts_as_arrival:
            reasons.append("observes only: a drone's arrival does not count as arrival on scene")
        if not np.isfinite(eta):
            reasons.append("unreachable: position is not near the road network")
            eligible = False
        if eligible:
            reasons.insert(0, "available" + (f", meets the {tier}-minute tier" if tier else ""))
        out.append(Candidate(u.unit_id, u.force_type, eta, dist, tier, eligible, reasons))
    out.sort(key=lambda c: (c.eta_s, c.unit_id))
    return out


def _rank(
    engine: NetworkEngine, inc: IncidentView, units: list[UnitState], hour: int
) -> dict[str, tuple[float, float]]:
    pos = [
        UnitPosition(u.unit_id, float(u.lon or 0.0), float(u.lat or 0.0), u.force_type.spec.mode)
        for u in units
    ]
    try:
        ranked = engine.rank_units(inc.lon, inc.lat, pos, hour=hour)
    except InvalidInput:
        # one unit far off the network fails the batch: keep those the snapper accepts
        ok = []
        for p in pos:
            try:
                engine.snapper.snap(p.lon, p.lat, name="unit position")
                ok.append(p)
            except InvalidInput:
                continue
        ranked = engine.rank_units(inc.lon, inc.lat, ok, hour=hour)
    return {r.unit_id: (r.eta_s, r.distance_m) for r in ranked}
