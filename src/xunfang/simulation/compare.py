"""Plan comparison over real days: does a plan get more incidents a unit within 3 minutes?

Each plan is simulated on the same real days (common random numbers: the same seed per day), so
the per-day differences are paired; the mean gain and its 95% t-interval over the days are
reported. The optimised-posts plan is placed by maximal covering (xunfang.planning.posts) on
demand from a training year that ends before the test days begin, so the test days never inform
the plan that is scored on them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from scipy import stats

from xunfang.core.errors import InvalidInput
from xunfang.network.engine import NetworkEngine
from xunfang.planning.coverage import coverage_matrix
from xunfang.planning.posts import MaximalCovering
from xunfang.simulation.city import CitySimulator
from xunfang.simulation.scenario import DayIncidents, Plan


@dataclass(frozen=True)
class PlanScore:
    name: str
    share: dict[int, list[float]]  # minutes → share reached per day
    mean_response_s: list[float]


def score_plan(engine: NetworkEngine, plan: Plan, days: list[DayIncidents], *, seed: int = 1) -> PlanScore:
    sim = CitySimulator(engine, plan)
    shares: dict[int, list[float]] = {1: [], 3: [], 5: []}
    mean_resp: list[float] = []
    for k, day in enumerate(days):
        res = sim.run(day, seed=seed + k)
        for minutes, per_day in shares.items():
            per_day.append(res.share_within(60.0 * minutes))
        mean_resp.append(float(np.nanmean(res.response_s)))
    return PlanScore(plan.name, shares, mean_resp)


def paired_gain(a: list[float], b: list[float]) -> dict[str, float]:
    """Mean of b − a with its 95% t-interval over the paired days."""
    d = np.asarray(b) - np.asarray(a)
    if d.size < 2:
        raise InvalidInput("plan comparison needs at least two days (replications)")
    mean = float(d.mean())
    half = float(stats.t.ppf(0.975, d.size - 1) * d.std(ddof=1) / np.sqrt(d.size))
    return {"gain": mean, "ci_low": mean - half, "ci_high": mean + half, "days": int(d.size)}


def optimised_posts(
    engine: NetworkEngine,
    history: pd.DataFrame,
    *,
    posts: int,
    standard_s: float = 180.0,
    train: tuple[date, date],
    hour: int = 20,
    time_limit_s: float = 60.0,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Lon/lat of ``posts`` posts maximising training-period incidents reached within the standard.

    Candidates are all network nodes; demand is incident counts per node over ``train``.
    Returns (lon, lat, proven gap).
    """
    t = history["time"]
    rows = history[(t >= pd.Timestamp(train[0])) & (t < pd.Timestamp(train[1]))]
    if rows.empty:
        raise InvalidInput(f"no incidents in the training window {train[0]} .. {train[1]}")
    g = engine.graph
    nodes, _ = engine.snapper.nearest(rows["lon"].to_numpy(), rows["lat"].to_numpy())
    weights = np.bincount(nodes[nodes >= 0], minlength=g.n_nodes).astype(np.float64)
    demand = np.flatnonzero(weights > 0)
    candidates = np.arange(g.n_nodes)
    cover = coverage_matrix(g, engine.weights("car", hour), demand, candidates, standard_s)
    model = MaximalCovering(cover, weights[demand], posts).solve(time_limit_s=time_limit_s)
    chosen = candidates[model.selected]
    return g.node_lon[chosen], g.node_lat[chosen], float(model.gap)
