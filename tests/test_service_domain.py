"""Pure domain rules: force types, taxonomy, SLA tiers, recommendation policy, jurisdiction lookup."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from svc_world import LAT0, LON0, STEP, N, grid_graph, jurisdiction
from xunfang.core.errors import Conflict, InvalidInput
from xunfang.dispatch import IncidentView, Policy, UnitState, recommend
from xunfang.forces import FORCE_SPECS, ForceType, UnitStatus, in_shift
from xunfang.incidents.categories import Taxonomy
from xunfang.incidents.lifecycle import EventType, Status, apply
from xunfang.incidents.sla import response_tier, tier_met
from xunfang.jurisdiction import Jurisdiction, Level, loaders
from xunfang.network.engine import NetworkEngine

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def test_twelve_force_types_with_names_modes_and_rules() -> None:
    assert len(ForceType) == 12 == len(FORCE_SPECS)
    assert all(f.zh and f.en for f in ForceType)
    assert not ForceType.DRONE.spec.counts_as_arrival
    assert {f for f in ForceType if not f.spec.sworn} >= {
        ForceType.VOLUNTEER_POLICE,
        ForceType.PROPERTY_GUARD,
        ForceType.GRID_WORKER,
    }
    with pytest.raises(InvalidInput, match="patrol_police"):
        ForceType.parse("ninja")


def test_shifts_wrap_midnight() -> None:
    assert in_shift(23 * 60, 20 * 60, 6 * 60) and in_shift(60, 20 * 60, 6 * 60)
    assert not in_shift(12 * 60, 20 * 60, 6 * 60)
    assert in_shift(0, 0, 1440)


def test_taxonomy_and_tiers() -> None:
    tax = Taxonomy()
    assert tax.get("theft").criminal and tax.get("theft").zh == "盗窃"
    with pytest.raises(InvalidInput, match="valid categories"):
        tax.get("nope")
    assert [response_tier(p) for p in (1, 2, 3)] == [1, 3, 5]
    assert response_tier(1, "outer") == 3 and response_tier(3, "outer") == 5
    assert tier_met(59) == 1 and tier_met(170) == 3 and tier_met(301) is None


def test_lifecycle_refuses_wrong_steps_naming_allowed_ones() -> None:
    assert apply(Status.RECEIVED, EventType.ASSIGN) is Status.DISPATCHED
    with pytest.raises(Conflict, match="allowed: assign, cancel"):
        apply(Status.RECEIVED, EventType.RESOLVED)
    with pytest.raises(Conflict, match="finished"):
        apply(Status.CLOSED, EventType.CANCEL)


def _unit(uid: str, ft: ForceType, dx: float, **kw: object) -> UnitState:
    base = {"status": UnitStatus.AVAILABLE, "fix_at": NOW - timedelta(seconds=10)}
    base.update(kw)
    return UnitState(uid, ft, base["status"], LON0 + dx, LAT0 + 0.01, base["fix_at"])  # type: ignore[arg-type]


def test_recommendation_reasons() -> None:
    engine = NetworkEngine(grid_graph())
    units = [
        _unit("near-vol", ForceType.VOLUNTEER_POLICE, 0.011),
        _unit("near-busy", ForceType.PATROL_POLICE, 0.012, status=UnitStatus.ON_SCENE),
        _unit("stale", ForceType.PATROL_POLICE, 0.013, fix_at=NOW - timedelta(minutes=10)),
        _unit("drone", ForceType.DRONE, 0.014),
        _unit("far-pat", ForceType.PATROL_POLICE, 0.03),
    ]
    crim = IncidentView(LON0 + 0.01, LAT0 + 0.01, criminal=True)
    out = {c.unit_id: c for c in recommend(crim, units, engine, now=NOW, policy=Policy(stale_after_s=120))}
    etas = [c.eta_s for c in recommend(crim, units, engine, now=NOW)]
    assert etas == sorted(etas)
    assert not out["near-vol"].eligible and "criminal" in out["near-vol"].reasons[0]
    assert not out["near-busy"].eligible and "status" in out["near-busy"].reasons[0]
    assert not out["stale"].eligible and "stale" in out["stale"].reasons[0]
    assert out["drone"].eligible and out["drone"].tier_min is None
    assert out["far-pat"].eligible and out["far-pat"].eta_s > out["near-vol"].eta_s
    with_sworn = IncidentView(crim.lon, crim.lat, True, assigned=(ForceType.PATROL_POLICE,))
    again = {c.unit_id: c for c in recommend(with_sworn, units, engine, now=NOW)}
    assert again["near-vol"].eligible


def test_synthetic_jurisdiction_lookup_is_vectorised() -> None:
    jur = jurisdiction()
    loc = jur.locate(LON0 + 0.01, LAT0 + 0.01)
    assert loc.station == "ST-W" and loc.sub_bureau == "SB" and set(loc.codes) == set(Level)
    res = jur.locate_many(
        np.array([LON0 + 0.01, LON0 + 0.039, 0.0]), np.array([LAT0 + 0.01, LAT0 + 0.03, 0.0])
    )
    assert [r.station if r else None for r in res] == ["ST-W", "ST-E", None]
    with pytest.raises(InvalidInput, match="outside the service area"):
        jur.locate(0.0, 0.0)


@pytest.mark.data
def test_chicago_jurisdiction(data_dir: Path) -> None:
    jur = Jurisdiction(loaders.chicago(data_dir, cell_size_m=1000, zone_size_m=3000))
    stations = loaders.chicago_stations(data_dir)
    assert len(jur.of_level(Level.STATION)) == len(stations) == 23
    located = jur.locate_many([s.lon for s in stations], [s.lat for s in stations])
    inside = sum(1 for s, loc in zip(stations, located, strict=True) if loc and loc.station == s.code)
    assert inside == 23  # each station building (or generated point) lies in its own district


@pytest.mark.data
def test_beijing_jurisdiction(data_dir: Path) -> None:
    subs, stations = loaders.beijing_stations(data_dir)
    assert len(subs) == 16 and len(stations) == 331
    assert any(s.name_en == "建外街道" for s in stations) and all(
        s.name_zh.endswith("派出所") for s in stations
    )
    jur = Jurisdiction(loaders.beijing(data_dir, cell_size_m=3000, zone_size_m=6000))
    loc = jur.locate(116.397, 39.908)  # Tian'anmen
    assert jur.get(loc.sub_bureau).name_zh == "东城区分局" and loc.place_class == "core"


def test_bounded_ranking_lists_what_ranking_every_unit_would() -> None:
    """The recommendation's two bounded searches (the nearest eligible units, then the nearest
    busy ones out to the last of them) and the mode-by-mode bound of ``rank_snapped`` give exactly
    the list cut from a ranking of every unit in every mode."""
    from xunfang.dispatch import fleet as fl
    from xunfang.dispatch.recommend import _fleet

    engine = NetworkEngine(grid_graph())
    rng = np.random.default_rng(7)
    forces = [f for f in ForceType]
    statuses = [UnitStatus.AVAILABLE] * 3 + [UnitStatus.ON_SCENE, UnitStatus.EN_ROUTE]
    span = STEP * (N - 1)
    for trial in range(40):
        units = [
            UnitState(
                f"u{i}",
                forces[rng.integers(len(forces))],
                statuses[rng.integers(len(statuses))],
                LON0 + rng.uniform(0, span),
                LAT0 + rng.uniform(0, span),
                NOW - timedelta(seconds=float(rng.choice([10, 10, 10, 900]))),
            )
            for i in range(int(rng.integers(5, 60)))
        ]
        inc = IncidentView(LON0 + rng.uniform(0, span), LAT0 + rng.uniform(0, span), criminal=bool(trial % 2))
        policy = Policy(limit=int(rng.integers(1, 12)), busy_limit=int(rng.integers(0, 8)))
        got = [
            (c.unit_id, c.eta_s, c.eligible) for c in recommend(inc, units, engine, now=NOW, policy=policy)
        ]
        fleet = _fleet(units, NOW)
        bits = fl.blockers(
            fleet, now_s=0.0, minute=720, stale_after_s=policy.stale_after_s, criminal=inc.criminal,
            sworn_present=False,
        )  # fmt: skip
        idx, eta, _ = fl.rank_fleet(engine, fleet, inc.lon, inc.lat, hour=NOW.hour)  # every unit
        ok = np.flatnonzero(bits[idx] == 0)
        cut = int(ok[policy.limit - 1]) + 1 if ok.size >= policy.limit else idx.size
        busy = np.flatnonzero(bits[idx[:cut]] != 0)[: policy.busy_limit]  # the nearest busy ones
        keep = np.sort(np.concatenate((ok[ok < cut], busy)))
        want = [
            (units[i].unit_id, float(eta[j]), bool(bits[i] == 0))
            for j, i in zip(keep, idx[keep], strict=True)
        ]
        assert got == want
        for k in (1, 3, 10):  # k best of all modes: the prefix of the full ranking
            k_idx, k_eta, _ = fl.rank_fleet(engine, fleet, inc.lon, inc.lat, hour=NOW.hour, k=k)
            assert k_idx.tolist() == idx[:k].tolist() and k_eta.tolist() == eta[:k].tolist()
