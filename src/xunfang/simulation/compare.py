"""Plan comparison over real days: does a plan get more incidents a unit within 3 minutes?

Each plan is simulated on the same real days (common random numbers: the same seed per day), so
the per-day differences are paired; the mean gain and its 95% t-interval over the days are
reported. The optimised-posts plan is placed by maximal covering (xunfang.planning.posts) on
demand from a training year that ends before the test days begin, so the test days never inform
the plan that is scored on them.

Besides the response shares, each plan's coverage over the day (share of roads and of incident
weight within 3 minutes of an available unit, per hour) is compared the same way, and the
per-incident response times are kept for the charts (:mod:`xunfang.simulation.charts`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from xunfang.core.errors import InvalidInput
from xunfang.network.engine import NetworkEngine
from xunfang.planning.coverage import coverage_matrix
from xunfang.planning.posts import MaximalCovering
from xunfang.simulation.city import CitySimulator, SimConfig
from xunfang.simulation.scenario import DayIncidents, Plan


@dataclass(frozen=True)
class PlanScore:
    name: str
    share: dict[int, list[float]]  # minutes → share reached per day
    mean_response_s: list[float]
    units: int = 0
    response_s: list[np.ndarray] = field(default_factory=list)  # per day, per incident (NaN: unserved)
    coverage_road: list[np.ndarray] = field(default_factory=list)  # per day, 24 hourly shares
    coverage_demand: list[np.ndarray] = field(default_factory=list)

    def daily_coverage(self, kind: str) -> list[float]:
        rows = self.coverage_road if kind == "road" else self.coverage_demand
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return [float(np.nanmean(r)) for r in rows]


def score_plan(
    engine: NetworkEngine,
    plan: Plan,
    days: list[DayIncidents],
    *,
    seed: int = 1,
    demand_weights: np.ndarray | None = None,
    config: SimConfig | None = None,
) -> PlanScore:
    """Run ``plan`` on each day with seed ``seed + k`` (the same seeds for every plan)."""
    sim = CitySimulator(engine, plan, config, demand_weights=demand_weights)
    score = PlanScore(plan.name, {1: [], 3: [], 5: []}, [], units=len(plan))
    for k, day in enumerate(days):
        res = sim.run(day, seed=seed + k)
        for minutes, per_day in score.share.items():
            per_day.append(res.share_within(60.0 * minutes))
        score.mean_response_s.append(float(np.nanmean(res.response_s)))
        score.response_s.append(res.response_s)
        score.coverage_road.append(res.coverage_road)
        score.coverage_demand.append(res.coverage_demand)
    return score


def mean_ci(values: list[float]) -> dict[str, float]:
    """Mean with its 95% t-interval over the days."""
    a = np.asarray(values, dtype=float)
    mean = float(a.mean())
    half = float(stats.t.ppf(0.975, a.size - 1) * a.std(ddof=1) / np.sqrt(a.size)) if a.size > 1 else 0.0
    return {"mean": round(mean, 4), "ci_low": round(mean - half, 4), "ci_high": round(mean + half, 4)}


def _rounded(gain: dict[str, float]) -> dict[str, float]:
    return {k: (v if k == "days" else round(v, 4)) for k, v in gain.items()}


def comparison(scores: list[PlanScore]) -> dict[str, Any]:
    """Each plan's figures with 95% intervals over the days, and its paired gain on the first plan."""
    base = scores[0]
    out: dict[str, Any] = {}
    for s in scores:
        entry: dict[str, Any] = {"units": s.units}
        entry.update({f"share_{m}min": round(float(np.mean(v)), 4) for m, v in s.share.items()})
        entry["share_ci"] = {f"{m}min": mean_ci(v) for m, v in s.share.items()}
        entry["mean_response_s"] = mean_ci(s.mean_response_s)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            entry["coverage"] = {
                f"{kind}_3min": mean_ci(s.daily_coverage(kind)) for kind in ("road", "demand")
            } | {
                f"{kind}_3min_by_hour": [
                    None if np.isnan(v) else round(float(v), 4) for v in np.nanmean(rows, axis=0)
                ]
                for kind, rows in (("road", s.coverage_road), ("demand", s.coverage_demand))
            }
        if s is not base:
            gains = {f"{m}min": _rounded(paired_gain(base.share[m], s.share[m])) for m in s.share}
            for kind in ("road", "demand"):
                gains[f"coverage_{kind}_3min"] = _rounded(
                    paired_gain(base.daily_coverage(kind), s.daily_coverage(kind))
                )
            entry["gain_vs_first"] = gains
        out[s.name] = entry
    return out


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
