"""``xunfang bench simulation``: the simulator's speed, determinism, validity and the plan gain.

* engine — the M/M/c dispatch-queue model (100,000 calls) on xunfang's event engine and on SimPy,
  same samples, same run; both must give identical statistics.
* cityday — Chicago, 12,000 simulated calls (places from the year before), 1,000 units at the
  stations, road travel times by hour; two runs with one seed must be identical (determinism).
* hypercube — one district, 8 units: simulator against Larson's approximate hypercube.
* compare — the same units at the 23 stations vs at optimised posts (maximal covering on the
  previous year's incidents) over consecutive real days of 2019: the gain in the share reached
  within 3 minutes, with its 95% paired t-interval.
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import Any

import numpy as np

from xunfang.simulation import runner
from xunfang.simulation.city import CitySimulator
from xunfang.simulation.compare import optimised_posts, paired_gain, score_plan
from xunfang.simulation.queue_model import run_engine, run_simpy
from xunfang.simulation.scenario import DayIncidents, Plan
from xunfang.simulation.validate import hypercube_check


def _engine(calls: int) -> dict[str, Any]:
    t = time.perf_counter()
    ours = run_engine(n_calls=calls)
    ours_s = time.perf_counter() - t
    t = time.perf_counter()
    theirs = run_simpy(n_calls=calls)
    simpy_s = time.perf_counter() - t
    return {
        "calls": calls,
        "events": ours.events,
        "events_per_s": round(ours.events / ours_s),
        "simpy_events_per_s": round(theirs.events / simpy_s),
        "speedup_vs_simpy": round(simpy_s / ours_s, 2),
        "same_statistics": ours.mean_wait_s == theirs.mean_wait_s and ours.max_queue == theirs.max_queue,
    }


def _cityday(volume: int, units: int, on: date) -> tuple[dict[str, Any], bool]:
    engine, history = runner.city("chicago")
    lon, lat = runner.stations("chicago")
    plan = Plan.at_points("stations", lon, lat, units)
    day = runner.day_for(history, on, volume, seed=1)
    sim = CitySimulator(engine, plan)
    t = time.perf_counter()
    first = sim.run(day, seed=1)
    seconds = time.perf_counter() - t
    second = sim.run(day, seed=1)
    same = bool(
        np.array_equal(first.response_s, second.response_s, equal_nan=True)
        and np.array_equal(first.unit_index, second.unit_index)
        and np.array_equal(first.busy_s, second.busy_s)
    )
    return {
        "incidents": len(day),
        "units": units,
        "seconds": round(seconds, 2),
        "events": first.events,
        "share_3min": round(first.share_within(180.0), 4),
        "utilisation_mean": round(float(first.utilisation.mean()), 4),
    }, same


def _compare(units: int, days: int, start: date) -> dict[str, Any]:
    engine, history = runner.city("chicago")
    lon, lat = runner.stations("chicago")
    at_stations = Plan.at_points("stations", lon, lat, units)
    t = time.perf_counter()
    plon, plat, gap = optimised_posts(engine, history, posts=units, train=(date(start.year - 1, 1, 1), start))
    place_s = time.perf_counter() - t
    at_posts = Plan.at_points("optimised", plon, plat, units)
    real = [DayIncidents.real(history, start + timedelta(days=k)) for k in range(days)]
    a, b = score_plan(engine, at_stations, real), score_plan(engine, at_posts, real)
    gain = paired_gain(a.share[3], b.share[3])
    return {
        "units": units,
        "days": days,
        "from": start.isoformat(),
        "incidents": int(sum(len(d) for d in real)),
        "stations_share_3min": round(float(np.mean(a.share[3])), 4),
        "optimised_share_3min": round(float(np.mean(b.share[3])), 4),
        "share_3min_gain": round(gain["gain"], 4),
        "share_3min_gain_ci_low": round(gain["ci_low"], 4),
        "share_3min_gain_ci_high": round(gain["ci_high"], 4),
        "posts_gap": gap,
        "posts_seconds": round(place_s, 2),
    }


def run(*, quick: bool = False) -> dict[str, Any]:
    start = time.perf_counter()
    engine = _engine(20_000 if quick else 100_000)
    cityday, same = _cityday(2_000 if quick else 12_000, 200 if quick else 1_000, date(2019, 7, 4))
    engine_g, history = runner.city("chicago")
    hyper = hypercube_check(
        engine_g.graph, history, district="12", units=8, calls=10_000 if quick else 60_000
    )
    compare = _compare(100, 10 if quick else 14, date(2019, 7, 1))
    return {
        "engine": engine,
        "cityday": cityday,
        "determinism": same,
        "hypercube": {
            "district": hyper.district,
            "units": hyper.units,
            "calls": hyper.calls,
            "max_util_diff": hyper.max_util_diff,
            "sim_utilisation": hyper.sim_utilisation,
            "model_utilisation": hyper.model_utilisation,
            "sim_mean_travel_s": hyper.sim_mean_travel_s,
            "model_mean_travel_s": hyper.model_mean_travel_s,
        },
        "compare": compare,
        "wall_s": round(time.perf_counter() - start, 1),
    }
