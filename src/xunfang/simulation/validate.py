"""Validation of the simulator against Larson's approximate hypercube model.

On one small district (≤ 15 units) the simulator runs in hypercube mode: Poisson calls at demand
atoms (network nodes weighted by the district's real incident history), units dispatched from
their posts by road ETA (a fixed preference order), exponential busy times, an infinite FCFS
line. The hypercube model is solved for the same atoms, rates and road travel times; per-unit
utilisations and the mean travel time of the two are compared. A flat congestion profile keeps
travel times constant over the day, as the hypercube assumes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from xunfang.core.errors import InvalidInput
from xunfang.forces.types import ForceType
from xunfang.network.engine import NetworkEngine
from xunfang.network.graph import RoadGraph
from xunfang.network.travel import TravelModel
from xunfang.simulation.city import CitySimulator, SimConfig
from xunfang.simulation.hypercube import approximate_hypercube
from xunfang.simulation.scenario import DayIncidents, Plan


@dataclass(frozen=True)
class HypercubeCheck:
    district: str
    units: int
    atoms: int
    calls: int
    rho: float
    sim_utilisation: list[float]
    model_utilisation: list[float]
    max_util_diff: float
    sim_mean_travel_s: float
    model_mean_travel_s: float
    travel_diff_s: float


def hypercube_check(
    graph: RoadGraph,
    history: pd.DataFrame,
    *,
    district: str,
    units: int = 8,
    rho: float = 0.5,
    busy_mean_s: float = 1800.0,
    calls: int = 60_000,
    seed: int = 1,
) -> HypercubeCheck:
    """Simulate and solve the same district; see the module docstring."""
    if not 1 <= units <= 15:
        raise InvalidInput("hypercube check: 1 to 15 units (the model's validity range here)")
    engine = NetworkEngine(graph, TravelModel(congestion=(1.0,) * 24))
    rows = history[history["district"].astype(str) == district]
    if rows.empty:
        raise InvalidInput(f"hypercube check: no incidents in district {district!r}")
    nodes, _ = engine.snapper.nearest(rows["lon"].to_numpy(), rows["lat"].to_numpy())
    nodes = nodes[nodes >= 0]
    atoms, counts = np.unique(nodes, return_counts=True)
    lam_share = counts / counts.sum()
    rng = np.random.default_rng(seed)
    homes = rng.choice(atoms, size=units, replace=False, p=lam_share)
    plan = Plan(
        "hypercube", [f"H{i}" for i in range(units)], [ForceType.PATROL_POLICE] * units,
        graph.node_lon[homes], graph.node_lat[homes],
    )  # fmt: skip
    travel = engine.router("car", 12).matrix(homes, atoms)
    mu = 1.0 / busy_mean_s
    lam_total = rho * units * mu
    model = approximate_hypercube(lam_share * lam_total, mu, travel)

    t = np.cumsum(rng.exponential(1.0 / lam_total, calls))
    pick = rng.choice(atoms.size, calls, p=lam_share)
    day = DayIncidents(
        day=date(2000, 1, 1), t_s=t, lon=graph.node_lon[atoms[pick]], lat=graph.node_lat[atoms[pick]],
        priority=np.ones(calls, np.int8), criminal=np.zeros(calls, bool), scene_mean_s=np.zeros(calls),
        category=np.full(calls, "validation", dtype=np.str_),
        district=np.full(calls, district, dtype=np.str_),
        simulated=np.ones(calls, bool),
    )  # fmt: skip
    sim = CitySimulator(engine, plan, SimConfig(home_dispatch=True, busy_mean_s=busy_mean_s))
    res = sim.run(day, seed=seed)
    util = res.busy_s / float(t[-1])
    return HypercubeCheck(
        district=district,
        units=units,
        atoms=int(atoms.size),
        calls=calls,
        rho=rho,
        sim_utilisation=[round(float(x), 4) for x in util],
        model_utilisation=[round(float(x), 4) for x in model.utilisation],
        max_util_diff=round(float(np.max(np.abs(util - model.utilisation))), 4),
        sim_mean_travel_s=round(float(np.nanmean(res.travel_s)), 2),
        model_mean_travel_s=round(model.mean_travel_s, 2),
        travel_diff_s=round(abs(float(np.nanmean(res.travel_s)) - model.mean_travel_s), 2),
    )
