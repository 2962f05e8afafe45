"""Recommendation policy (M13) as a pure function: incident + unit states + road engine → candidates.

Units are ranked by road travel time from the network engine; every candidate says why it is or
is not eligible, so a dispatcher can overrule with open eyes:

* status — only ``available`` units are proposed;
* position — a unit without a fix, or whose last fix is older than the stale limit, is not trusted;
* shift — a unit outside its shift is not proposed;
* powers — at a criminal incident a non-sworn unit (volunteer, guard, grid worker, …) is eligible
  only once a sworn unit is already assigned; a drone may always be sent but only observes: its
  arrival does not stop the response clock, so it meets no tier.

Units are ranked by road through :mod:`xunfang.dispatch.fleet` — the same code the simulator
dispatches with. The list holds the ``limit`` nearest eligible units and the ineligible units
nearer than the last of them (the ``busy_limit`` nearest), so the dispatcher sees who is close but
busy. The cap matters when most of the fleet is busy: listing every busy unit nearer than the
tenth free one grew the answer, and its cost, with the backlog it was part of.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from xunfang.dispatch import fleet as fl
from xunfang.forces.types import ForceType, UnitStatus
from xunfang.incidents.sla import tier_met
from xunfang.network.engine import NetworkEngine


class UnitState(NamedTuple):
    """One unit as the service sees it (a tuple: the service builds one per unit per request)."""

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
    limit: int = 10
    busy_limit: int = 20  # ineligible units listed, at most (the nearest)
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


def _reasons(bits: int, u: UnitState, age_s: float, policy: Policy) -> list[str]:
    out = []
    if bits & fl.NOT_AVAILABLE:
        out.append(f"status: {u.status.value} (only available units are proposed)")
    if bits & fl.NO_FIX:
        out.append("position: no fix received")
    if bits & fl.STALE:
        out.append(f"position: stale, last fix {age_s:.0f} s ago (limit {policy.stale_after_s:.0f} s)")
    if bits & fl.OFF_SHIFT:
        out.append(f"shift: off shift (shift {_hm(u.shift_start_min)}–{_hm(u.shift_end_min)})")
    if bits & fl.POWERS:
        out.append(
            f"powers: a {u.force_type.spec.en} may not be the only unit at a criminal incident; "
            "send sworn police first"
        )
    return out


def _hm(minutes: int) -> str:
    return f"{minutes // 60 % 24:02d}:{minutes % 60:02d}"


def _fleet(units: Sequence[UnitState], now: datetime) -> fl.Fleet:
    nan = float("nan")
    return fl.Fleet.build(
        [u.unit_id for u in units],
        [u.force_type for u in units],
        np.array([u.lon if u.lon is not None else nan for u in units], dtype=float),
        np.array([u.lat if u.lat is not None else nan for u in units], dtype=float),
        status=[u.status for u in units],
        fix_s=np.array([(u.fix_at - now).total_seconds() if u.fix_at else nan for u in units], dtype=float),
        shift_start=[u.shift_start_min for u in units],
        shift_end=[u.shift_end_min for u in units],
    )


def _ranked(
    incident: IncidentView,
    fleet: fl.Fleet,
    bits: NDArray[np.int8],
    engine: NetworkEngine,
    *,
    limit: int,
    busy_limit: int,
    hour: int,
) -> tuple[fl.I64, fl.F64, fl.F64]:
    """The ``limit`` nearest eligible units and the ``busy_limit`` nearest ineligible units no
    farther than the last of them, in order of (ETA, index).

    Two bounded searches: first the eligible units (stopping at the limit-th), then the ineligible
    ones out to that ETA only. One search over every unit had to go on until it had met every busy
    unit, which in a busy hour meant the whole city in every travel mode."""
    located = np.isfinite(fleet.lon)
    target = fl.snap_target(engine, incident.lon, incident.lat)
    lon, lat = incident.lon, incident.lat
    free = np.flatnonzero(located & (bits == 0))
    idx_e, eta_e, dist_e = fl.rank_fleet(
        engine, fleet, lon, lat, hour=hour, units=free, k=limit, target=target
    )
    bound = float(eta_e[-1]) if eta_e.size >= limit else np.inf
    busy = np.flatnonzero(located & (bits != 0))
    idx_b, eta_b, dist_b = fl.rank_fleet(
        engine, fleet, lon, lat, hour=hour, units=busy, k=busy_limit, cutoff_s=bound, target=target
    )
    idx, eta = np.concatenate((idx_e, idx_b)), np.concatenate((eta_e, eta_b))
    order = np.lexsort((idx, eta))
    return idx[order], eta[order], np.concatenate((dist_e, dist_b))[order]


def recommend(
    incident: IncidentView,
    units: Sequence[UnitState],
    engine: NetworkEngine,
    *,
    now: datetime,
    policy: Policy = Policy(),
    snaps: fl.SnapMemo | None = None,
) -> list[Candidate]:
    """Candidates ordered by ETA, each with ETA, distance, tier and the reasons for its eligibility.

    ``snaps`` (kept by a long-running caller) saves snapping units that have not moved."""
    if not units:
        return []
    fleet = _fleet(units, now)
    if snaps is not None and snaps.engine is engine:
        snaps.fill(fleet)
    bits = fl.blockers(
        fleet,
        now_s=0.0,
        minute=now.hour * 60 + now.minute,
        stale_after_s=policy.stale_after_s,
        criminal=incident.criminal,
        sworn_present=any(f.spec.sworn for f in incident.assigned),
    )
    hour = policy.hour if policy.hour is not None else now.hour
    idx, eta, dist = _ranked(
        incident, fleet, bits, engine, limit=policy.limit, busy_limit=policy.busy_limit, hour=hour
    )
    eligible = bits[idx] == 0
    cut = len(idx)
    if eligible.sum() >= policy.limit:
        cut = int(np.flatnonzero(eligible)[policy.limit - 1]) + 1
    out = []
    for j in range(cut):
        u = units[int(idx[j])]
        reasons = _reasons(int(bits[idx[j]]), u, -float(fleet.fix_s[idx[j]]), policy)
        counts = u.force_type.spec.counts_as_arrival
        tier = tier_met(float(eta[j])) if counts else None
        if not counts:
            reasons.append("observes only: a drone's arrival does not count as arrival on scene")
        if not reasons or (not counts and len(reasons) == 1):
            reasons.insert(0, "available" + (f", meets the {tier}-minute tier" if tier else ""))
        out.append(
            Candidate(
                u.unit_id, u.force_type, float(eta[j]), float(dist[j]), tier, bool(eligible[j]), reasons
            )
        )
    return out
