"""Naive counts: last N days' incidents per cell, N tuned on the training period.

The baseline every hotspot method must beat (e.g. Chainey, Tompson & Uhlig 2008, "The utility of
hotspot mapping for predicting spatial patterns of crime"; Mohler et al. 2015 compare against it
as "analyst hotspots"). N is chosen from {28, 90, 365, all} by hit rate at 5 % of the area on
rolling origins at the end of the training period.
"""

from __future__ import annotations

from typing import Self

from xunfang.analysis.forecast.base import F64, Forecaster, hit_rate_5, validation_origins
from xunfang.analysis.grid import Events

CHOICES: tuple[int | None, ...] = (28, 90, 365, None)  # None = all history


def naive_counts(events: Events, t: int, horizon: int, days: int | None) -> F64:
    """Counts over the last ``days`` (all history for None), scaled to the horizon."""
    start = int(events.day[0]) if events.size else t - 1
    lo = start if days is None else max(t - days, start)
    span = max(t - lo, 1)
    return events.counts(lo, t) * (horizon / span)


class Naive(Forecaster):
    name = "naive"
    reference = "Chainey, Tompson & Uhlig (2008) Security Journal 21:4-28; counts over the last N days"

    def __init__(self, days: int | None = None, *, tune: bool = True) -> None:
        super().__init__()
        self.days = days
        self.tune = tune

    def fit(self, events: Events, t: int, horizon: int) -> Self:
        if self.tune:
            origins = validation_origins(t, horizon)
            scores = {
                d: hit_rate_5(events, origins, horizon, lambda ev, o, d=d: naive_counts(ev, o, horizon, d))
                for d in CHOICES
            }
            self.days = max(scores, key=lambda d: scores[d])
            self.params["validation_hit_rate_5"] = {str(d or "all"): round(v, 4) for d, v in scores.items()}
        self.params["days"] = self.days or "all"
        return self

    def predict(self, events: Events, t: int, horizon: int) -> F64:
        return naive_counts(events, t, horizon, self.days)
