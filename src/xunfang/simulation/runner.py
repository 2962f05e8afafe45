"""Glue for the simulation commands: resolve a city, its history and a plan spec; summarise runs."""

from __future__ import annotations

import warnings
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from xunfang.analysis.sources import load_incidents
from xunfang.core.errors import InvalidInput
from xunfang.core.settings import get_settings
from xunfang.network.engine import NetworkEngine
from xunfang.network.io import load_city
from xunfang.simulation.city import CitySimulator, SimResult
from xunfang.simulation.scenario import DayIncidents, Plan

CITIES = {"chicago": ("chicago", "chicago/chicago_police_stations.csv")}
TRAIN_YEARS = 1  # optimised posts learn from the year before the simulated date


@lru_cache(maxsize=2)
def city(name: str) -> tuple[NetworkEngine, pd.DataFrame]:
    """The road engine and incident history of a city with a real history."""
    if name not in CITIES:
        raise InvalidInput(
            f"--city {name!r}: simulation needs a real incident history; available: {', '.join(CITIES)}"
        )
    history, _, _ = load_incidents(CITIES[name][0])
    return NetworkEngine(load_city(name)), history


def stations(name: str) -> tuple[np.ndarray, np.ndarray]:
    frame = pd.read_csv(get_settings().data_dir / CITIES[name][1])
    return frame["lng"].to_numpy(np.float64), frame["lat"].to_numpy(np.float64)


KINDS = ("stations", "optimised", "routes", "staffing")


@lru_cache(maxsize=4)
def optimised(city_name: str, n: int, year: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` posts placed by maximal covering on the incidents of the years before ``year``."""
    from xunfang.simulation.compare import optimised_posts

    engine, history = city(city_name)
    train = (date(year - TRAIN_YEARS, 1, 1), date(year, 1, 1))
    lon, lat, _ = optimised_posts(engine, history, posts=n, train=train)
    return lon, lat


def resolve_plan(spec: str, city_name: str, on: date) -> Plan:
    """``stations:N`` (N units at the stations), ``optimised:N`` (N units at N optimised posts),
    ``routes:N`` (those units patrolling loops off-peak), ``staffing:N`` (demand-following staffing
    with N units' hours) or a plan JSON file."""
    kind, sep, count = spec.partition(":")
    if sep and kind in KINDS:
        try:
            n = int(count)
        except ValueError:
            raise InvalidInput(f"--plan {spec!r}: expected {kind}:N with N a number of units") from None
        if n <= 0:
            raise InvalidInput(f"--plan {spec!r}: zero units; a simulation needs at least one")
        if kind == "stations":
            lon, lat = stations(city_name)
            return Plan.at_points(f"stations:{n}", lon, lat, n)
        from xunfang.simulation import builders

        engine, _ = city(city_name)
        if kind == "staffing":
            return builders.staffing_plan(engine, city_name, on, n)
        lon, lat = optimised(city_name, n, on.year)
        if kind == "routes":
            return builders.routes_plan(engine, city_name, on, (lon, lat), n)
        return Plan.at_points(f"optimised:{n}", lon, lat, n)
    if sep and not Path(spec).exists():
        raise InvalidInput(f"--plan {spec!r}: unknown plan kind {kind!r}; expected one of {', '.join(KINDS)}")
    return Plan.read(Path(spec))


def coverage_weights(engine: NetworkEngine, city_name: str, on: date) -> np.ndarray:
    """Incident weight per road node for the demand coverage: the training year's incidents."""
    from xunfang.simulation import builders

    return builders.node_demand(engine, city_name, *builders.train_window(on))


def day_for(history: pd.DataFrame, on: date, volume: int, seed: int) -> DayIncidents:
    """The real day, or ``volume`` simulated calls drawn from the year before it."""
    if volume <= 0:
        return DayIncidents.real(history, on)
    DayIncidents.real(history, on)  # refuses dates outside the history
    t = history["time"]
    past = history[(t >= pd.Timestamp(on) - pd.Timedelta(days=365)) & (t < pd.Timestamp(on))]
    return DayIncidents.sampled(past if len(past) else history, on, volume, seed=seed)


def summarise(results: list[SimResult], day: DayIncidents) -> dict[str, Any]:
    """Response-time figures with the spread over replications."""

    def agg(values: list[float]) -> dict[str, float]:
        a = np.asarray(values, dtype=float)
        half = 1.96 * a.std(ddof=1) / np.sqrt(a.size) if a.size > 1 else 0.0
        return {"mean": round(float(a.mean()), 4), "ci_low": round(float(a.mean() - half), 4),
                "ci_high": round(float(a.mean() + half), 4)}  # fmt: skip

    out: dict[str, Any] = {
        "incidents": len(day),
        "simulated_incidents": int(day.simulated.sum()),
        "replications": len(results),
        "share_within": {f"{m}min": agg([r.share_within(60.0 * m) for r in results]) for m in (1, 3, 5)},
        "response_s": {
            q: agg([float(np.nanpercentile(r.response_s, p)) for r in results])
            for q, p in (("p50", 50), ("p90", 90))
        },
        "by_priority": {},
        "by_district": {},
        "utilisation": {
            "mean": agg([float(r.utilisation.mean()) for r in results]),
            "max": agg([float(r.utilisation.max()) for r in results]),
        },
        "waited_share": agg([float(np.nanmean(r.wait_s > 0)) for r in results]),
        "handed_over_share": agg([float(r.handed_over.mean()) for r in results]),
        "outside_network": results[0].outside,
        "coverage": coverage_summary(results, agg),
    }
    for p in np.unique(day.priority):
        mask = day.priority == p
        out["by_priority"][str(int(p))] = {
            f"{m}min": agg([r.share_within(60.0 * m, mask) for r in results]) for m in (1, 3, 5)
        }
    for d in np.unique(day.district):
        mask = day.district == d
        out["by_district"][str(d)] = {
            "incidents": int(mask.sum()),
            "3min": agg([r.share_within(180.0, mask) for r in results]),
        }
    return out


def coverage_summary(results: list[SimResult], agg: Any) -> dict[str, Any]:
    """Shares of road length and of incident weight within 3 minutes of an available unit: the
    day's mean (with its spread over replications) and the mean per hour of the day."""
    out: dict[str, Any] = {}
    for key, attr in (("road", "coverage_road"), ("demand", "coverage_demand")):
        per_hour = np.array([getattr(r, attr) for r in results])
        if np.isnan(per_hour).all():
            continue
        out[f"{key}_3min"] = agg([float(np.nanmean(h)) for h in per_hour])
        with warnings.catch_warnings():  # hours without a sample (a step over an hour) stay None
            warnings.simplefilter("ignore", RuntimeWarning)
            out[f"{key}_3min_by_hour"] = [
                None if np.isnan(v) else round(float(v), 4) for v in np.nanmean(per_hour, axis=0)
            ]
    return out


def simulate(
    city_name: str, plan: Plan, on: date, *, replications: int, seed: int, volume: int
) -> dict[str, Any]:
    if replications < 1:
        raise InvalidInput("--replications must be at least 1")
    engine, history = city(city_name)
    day = day_for(history, on, volume, seed)
    sim = CitySimulator(engine, plan, demand_weights=coverage_weights(engine, city_name, on))
    results = [sim.run(day, seed=seed + r) for r in range(replications)]
    return {"plan": plan.name, "units": len(plan), "date": on.isoformat(), **summarise(results, day)}
