"""Rolling-origin backtests: fit on the training period, forecast window after window through the
test period, score each window against what happened (see :mod:`xunfang.analysis.scoring`).

Every method sees exactly the same origins and test incidents, only history strictly before each
origin (``events.upto``), and is timed from fit to last forecast.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from xunfang.analysis.forecast.base import Forecaster
from xunfang.analysis.forecast.ensemble import Ensemble
from xunfang.analysis.forecast.kde import KDE
from xunfang.analysis.forecast.naive import Naive
from xunfang.analysis.forecast.prospective import ProspectiveHotspot
from xunfang.analysis.forecast.sepp import SEPP
from xunfang.analysis.grid import Events, Grid
from xunfang.analysis.scoring import Scorer
from xunfang.analysis.sources import Districts
from xunfang.core.errors import InvalidInput

SHARES = (0.01, 0.05, 0.10)
CURVE = tuple(s / 100 for s in (0.5, 1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20))
GRID_METHODS: dict[str, Callable[[], Forecaster]] = {
    "naive": Naive,
    "kde": KDE,
    "prospective": ProspectiveHotspot,
    "sepp": SEPP,
    "ensemble": Ensemble,
}
ALL_METHODS = ("naive", "kde", "prospective", "sepp", "network", "ensemble")


def parse_period(text: str, option: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``FROM:TO`` (ISO dates, both inclusive) → (start, end-exclusive) at midnight."""
    parts = str(text).split(":")
    if len(parts) != 2:
        raise InvalidInput(
            f"{option}: expected FROM:TO with ISO dates, e.g. 2010-01-01:2017-12-31; got {text!r}"
        )
    try:
        start, end = (pd.Timestamp(p.strip()).normalize() for p in parts)
    except (ValueError, TypeError):
        raise InvalidInput(
            f"{option}: cannot read dates in {text!r}; expected YYYY-MM-DD:YYYY-MM-DD"
        ) from None
    if end < start:
        raise InvalidInput(f"{option}: the period {text!r} ends before it starts")
    return start, end + pd.Timedelta(days=1)


def parse_horizon(text: str) -> int:
    """``7d``, ``2w`` or a number of days → days."""
    m = re.fullmatch(r"\s*(\d+)\s*([dw]?)\s*", str(text).lower())
    if not m or int(m.group(1)) == 0:
        raise InvalidInput(f"--horizon: expected a positive number of days like 7d or 1w, got {text!r}")
    return int(m.group(1)) * (7 if m.group(2) == "w" else 1)


@dataclass
class BacktestConfig:
    train: tuple[pd.Timestamp, pd.Timestamp]
    test: tuple[pd.Timestamp, pd.Timestamp]
    horizon: int = 7
    cell: float = 250.0
    methods: tuple[str, ...] = ALL_METHODS
    shares: tuple[float, ...] = SHARES
    network: Any = None  # a RoadGraph for the street-segment method
    extra: dict[str, Any] = field(default_factory=dict)

    def check(self) -> None:
        unknown = [m for m in self.methods if m not in ALL_METHODS]
        if unknown:
            raise InvalidInput(
                f"--methods: unknown method(s) {', '.join(unknown)}; choose from {', '.join(ALL_METHODS)}"
            )
        if self.test[0] < self.train[1]:
            raise InvalidInput(
                f"--test starts {self.test[0].date()}, before the training period ends "
                f"{(self.train[1] - pd.Timedelta(days=1)).date()}; "
                "the test period must follow the training period"
            )
        if (self.test[1] - self.test[0]).days < self.horizon:
            raise InvalidInput(
                f"--test: the test period is shorter than one --horizon of {self.horizon} days"
            )


def prepare(
    history: pd.DataFrame, cfg: BacktestConfig, districts: Districts | None
) -> tuple[Events, int, list[int]]:
    """Bin the history onto the grid; return events, the train-end day and the test origins."""
    cfg.check()
    t = pd.to_datetime(history["time"])
    train = history[(t >= cfg.train[0]) & (t < cfg.train[1])]
    if train.empty:
        raise InvalidInput(
            f"--train {cfg.train[0].date()}:{(cfg.train[1] - pd.Timedelta(days=1)).date()}: no incidents in "
            f"the training period (the history spans {t.min()} to {t.max()})"
        )
    used = history[(t >= cfg.train[0]) & (t < cfg.test[1])]
    test_n = int(((t >= cfg.test[0]) & (t < cfg.test[1])).sum())
    if test_n == 0:
        raise InvalidInput(f"--test: no incidents in the test period (the history ends {t.max()})")
    area = districts.area if districts is not None else None
    grid = Grid.build(train["lon"].to_numpy(float), train["lat"].to_numpy(float), cell=cfg.cell, area=area)
    events, _ = Events.from_history(used, grid, cfg.train[0])
    t_end = (cfg.train[1] - cfg.train[0]).days
    first = (cfg.test[0] - cfg.train[0]).days
    last = (cfg.test[1] - cfg.train[0]).days
    origins = list(range(first, last - cfg.horizon + 1, cfg.horizon))
    return events, t_end, origins


def run_method(
    method: Forecaster,
    events: Events,
    *,
    t_end: int,
    origins: list[int],
    cfg: BacktestConfig,
    keep: bool = False,
) -> tuple[dict[str, Any], list[np.ndarray]]:
    """Fit, forecast every window, score; returns the result and (optionally) the forecasts."""
    grid = events.grid
    start = time.perf_counter()
    method.fit(events.upto(t_end), t_end, cfg.horizon)
    fit_s = time.perf_counter() - start
    scorer = Scorer(method.units_size(grid), cfg.shares, CURVE)
    kept = []
    for o in origins:
        pred = method.restrict(method.predict(events.upto(o), o, cfg.horizon), grid)
        actual = method.restrict(actual_counts(method, events, o, cfg.horizon), grid)
        lo, hi = events.between(o, o + cfg.horizon)
        scorer.add(pred, actual, intensity=method.intensity, total=float(hi - lo))
        if keep:
            kept.append(pred)
    res = scorer.result(intensity=method.intensity)
    res["runtime_s"] = round(time.perf_counter() - start, 2)
    res["fit_s"] = round(fit_s, 2)
    res["unit"] = method.unit
    res["params"] = method.params
    res["reference"] = method.reference
    return res, kept


def actual_counts(method: Forecaster, events: Events, o: int, horizon: int) -> np.ndarray:
    if method.unit == "cell":
        return events.counts(o, o + horizon)
    return method.actual(events, o, horizon)  # type: ignore[attr-defined,no-any-return]


def make_method(name: str, cfg: BacktestConfig) -> Forecaster:
    if name == "network":
        from xunfang.analysis.forecast.network import NetworkProspective

        return NetworkProspective(cfg.network)
    return GRID_METHODS[name]()


def exposure(
    events: Events, forecasts: list[np.ndarray], origins: list[int], horizon: int, districts: Districts
) -> dict[str, Any]:
    """Share of flagged area (top 5 % of cells, all windows) per district vs share of incidents.

    A ratio well above 1 means the district gets more patrol attention than its incidents warrant:
    the start of the feedback loop (more patrols → more recorded incidents → more patrols).
    """
    grid = events.grid
    lon, lat = grid.centres()
    name = districts.locate(lon[grid.mask], lat[grid.mask]).astype(str)
    flagged = np.zeros(name.size)
    incidents = np.zeros(name.size)
    k = 0.05 * name.size
    for pred, o in zip(forecasts, origins, strict=True):
        order = np.argsort(-pred, kind="stable")[: round(k)]
        flagged[order] += 1
        incidents += events.counts(o, o + horizon)[grid.mask]
    out: dict[str, Any] = {}
    for d in sorted(set(name), key=lambda s: (len(s), s)):
        sel = name == d
        f = float(flagged[sel].sum() / max(flagged.sum(), 1))
        i = float(incidents[sel].sum() / max(incidents.sum(), 1))
        a = float(sel.sum() / name.size)
        out[d or "(none)"] = {
            "area_share": round(a, 4),
            "flagged_share": round(f, 4),
            "incident_share": round(i, 4),
            "ratio": round(f / i, 3) if i > 0 else None,
        }
    return out


def run_backtest(
    history: pd.DataFrame, cfg: BacktestConfig, *, districts: Districts | None = None, source: str = ""
) -> dict[str, Any]:
    """The whole backtest as the JSON-ready dict the CLI prints."""
    events, t_end, origins = prepare(history, cfg, districts)
    methods: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    kept: dict[str, list[np.ndarray]] = {}
    for name in cfg.methods:
        if name == "network" and cfg.network is None:
            skipped[name] = "no road network for this source (pass --network GMNS_DIR)"
            continue
        method = make_method(name, cfg)
        ev = events
        start = time.perf_counter()
        if name == "network":
            ev = method.attach(events)  # type: ignore[attr-defined]
        setup_s = time.perf_counter() - start
        res, preds = run_method(method, ev, t_end=t_end, origins=origins, cfg=cfg, keep=method.unit == "cell")
        res["runtime_s"] = round(res["runtime_s"] + setup_s, 2)
        methods[name] = res
        kept[name] = preds
    scored = {n: m for n, m in methods.items() if "hit_rate" in m and m["unit"] == "cell"}
    best = max(scored, key=lambda n: scored[n]["hit_rate"]["5"]) if scored else None
    out: dict[str, Any] = {"methods": methods, "best": best}
    if skipped:
        out["skipped"] = skipped
    out["config"] = {
        "source": source,
        "train": [str(cfg.train[0].date()), str((cfg.train[1] - pd.Timedelta(days=1)).date())],
        "test": [str(cfg.test[0].date()), str((cfg.test[1] - pd.Timedelta(days=1)).date())],
        "horizon_days": cfg.horizon,
        "cell_m": cfg.cell,
        "windows": len(origins),
        "study_area_cells": int(events.grid.mask.sum()),
        "study_area": "district polygons" if districts is not None else "convex hull of training incidents",
        "best_among": "grid methods (segment forecasts are scored by street length, not area)",
    }
    if best and "naive" in scored:
        out["best_vs_naive_5pct"] = round(
            scored[best]["hit_rate"]["5"] / scored["naive"]["hit_rate"]["5"] - 1, 4
        )
    if districts is not None and best:
        out["exposure"] = {
            "method": best,
            "districts": exposure(events, kept[best], origins, cfg.horizon, districts),
        }
    return out
