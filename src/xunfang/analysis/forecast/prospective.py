"""Prospective hotspotting (Bowers, Johnson & Pease 2004, "Prospective hot-spotting: the future
of crime mapping?", British Journal of Criminology 44(5):641-658).

Near-repeat victimisation makes risk flow from each recent incident to nearby places for a few
weeks. Each incident within the spatial bandwidth and the last ``weeks`` weeks adds
``1 / (1 + d) * 1 / (1 + w)`` to a cell, with ``d`` the distance in cell widths and ``w`` the
whole weeks elapsed (the published weights; 400 m and 2 months were the published bandwidths).
The bandwidths are chosen on the training period from a small set. The surface is a risk score;
for the likelihood it is scaled to the last year's incident rate.
"""

from __future__ import annotations

from typing import Self

import numpy as np

from xunfang.analysis.forecast.base import (
    F64,
    Forecaster,
    hit_rate_5,
    recent_total,
    smooth,
    to_total,
    validation_origins,
)
from xunfang.analysis.grid import Events

SPACE_M = (400.0, 800.0, 1200.0)
WEEKS = (8, 16, 52)


def ph_kernel(bandwidth_m: float, cell: float) -> F64:
    """``1/(1+d)`` with d in cell widths, zero beyond the bandwidth."""
    r = max(0, int(np.floor(bandwidth_m / cell)))
    ax = np.arange(-r, r + 1, dtype=np.float64)
    d = np.hypot(ax[:, None], ax[None, :])
    return np.where(d * cell <= bandwidth_m, 1.0 / (1.0 + d), 0.0)


def ph_surface(events: Events, t: int, bandwidth_m: float, weeks: int) -> F64:
    lo, hi = events.between(t - 7 * weeks, t)
    w_ago = (t - 1 - events.day[lo:hi]) // 7
    weights = np.zeros(events.size)
    weights[lo:hi] = 1.0 / (1.0 + w_ago)
    counts = events.counts(t - 7 * weeks, t, weights)
    return smooth(counts, events.grid, ph_kernel(bandwidth_m, events.grid.cell))


class ProspectiveHotspot(Forecaster):
    name = "prospective"
    reference = "Bowers, Johnson & Pease (2004) Br J Criminol 44(5):641-658"

    def __init__(self, bandwidth_m: float = 400.0, weeks: int = 8, *, tune: bool = True) -> None:
        super().__init__()
        self.bandwidth_m = bandwidth_m
        self.weeks = weeks
        self.tune = tune

    def fit(self, events: Events, t: int, horizon: int) -> Self:
        if self.tune:
            origins = validation_origins(t, horizon)
            scores = {
                (b, w): hit_rate_5(events, origins, horizon, lambda ev, o, b=b, w=w: ph_surface(ev, o, b, w))
                for b in SPACE_M
                for w in WEEKS
            }
            self.bandwidth_m, self.weeks = max(scores, key=lambda k: scores[k])
            self.params["validation_hit_rate_5"] = {
                f"{b:g}m/{w}w": round(v, 4) for (b, w), v in scores.items()
            }
        self.params.update(bandwidth_m=self.bandwidth_m, weeks=self.weeks)
        return self

    def predict(self, events: Events, t: int, horizon: int) -> F64:
        surface = ph_surface(events, t, self.bandwidth_m, self.weeks)
        return to_total(surface, events.grid, recent_total(events, t, horizon))
