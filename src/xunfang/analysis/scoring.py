"""Hit rate, PAI, PEI* and the Poisson log-likelihood, for cells (by area) or segments (by length).

Conventions (the ones crime analysts use, e.g. Chainey, Tompson & Uhlig 2008; Hunt 2016):

* flag the highest-scoring units until their size (cell count, or street length) reaches the
  share ``s`` of the study area; ties at the threshold are taken fractionally, so the result is
  the expected score under a random tie-break and no method gains from the order of cell ids;
* hit rate = hits / incidents; PAI = hit rate / s;
* PEI* = a* / a, with a the flagged size and a* the smallest size that could have held the same
  hits (the units with most incidents first). 1 means no better choice of units existed.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.special import gammaln

F64 = NDArray[np.float64]


def flagged_hits(score: F64, size: F64, actual: F64, share: float) -> tuple[float, float]:
    """(hits, flagged size) when units are taken by score density until ``share`` of total size."""
    total = float(size.sum())
    budget = share * total
    density = score / size
    order = np.argsort(-density, kind="stable")
    d, s, a = density[order], size[order], actual[order]
    # Group equal densities: a tie group is taken fractionally by size.
    starts = np.flatnonzero(np.r_[True, d[1:] != d[:-1]])
    g_size = np.add.reduceat(s, starts)
    g_hits = np.add.reduceat(a, starts)
    cum = np.cumsum(g_size)
    full = int(np.searchsorted(cum, budget, side="right"))
    hits = float(g_hits[:full].sum())
    taken = float(cum[full - 1]) if full else 0.0
    if full < g_size.size and taken < budget:
        frac = (budget - taken) / float(g_size[full])
        hits += frac * float(g_hits[full])
        taken = budget
    return hits, taken


def min_size_for(hits: float, size: F64, actual: F64) -> float:
    """Smallest total size of units that holds ``hits`` incidents (densest units first)."""
    if hits <= 0:
        return 0.0
    order = np.argsort(-(actual / size), kind="stable")
    a, s = actual[order], size[order]
    cum_a = np.cumsum(a)
    k = int(np.searchsorted(cum_a, hits - 1e-9))
    if k >= a.size:
        return float(s.sum())
    before_a = float(cum_a[k - 1]) if k else 0.0
    before_s = float(s[:k].sum())
    return before_s + (hits - before_a) / float(a[k]) * float(s[k])


def poisson_loglik(rate: F64, actual: F64, *, floor: float = 1e-4) -> float:
    """Sum over units of log P(actual | Poisson(rate)), rate floored so that one surprise is finite."""
    lam = np.maximum(rate, floor)
    return float(np.sum(actual * np.log(lam) - lam - gammaln(actual + 1.0)))


class Scorer:
    """Accumulates scores over the rolling origins of a backtest."""

    def __init__(self, size: F64, shares: tuple[float, ...], curve: tuple[float, ...]) -> None:
        self.size = size
        self.shares = shares
        self.curve = curve
        self.events = 0.0
        self.hits = np.zeros(len(shares))
        self.flagged = np.zeros(len(shares))
        self.best = np.zeros(len(shares))
        self.curve_hits = np.zeros(len(curve))
        self.loglik = 0.0
        self.windows = 0
        self.weekly: list[float] = []

    def add(self, score: F64, actual: F64, *, intensity: bool, total: float | None = None) -> None:
        """Score one window; ``total`` counts incidents that no unit could hold (off-network)."""
        self.windows += 1
        n = float(actual.sum()) if total is None else total
        self.events += n
        for i, s in enumerate(self.shares):
            h, a = flagged_hits(score, self.size, actual, s)
            self.hits[i] += h
            self.flagged[i] += a
            self.best[i] += min_size_for(h, self.size, actual)
            if abs(s - 0.05) < 1e-9 and n > 0:
                self.weekly.append(h / n)
        for i, s in enumerate(self.curve):
            self.curve_hits[i] += flagged_hits(score, self.size, actual, s)[0]
        if intensity:
            self.loglik += poisson_loglik(score, actual)

    def result(self, *, intensity: bool) -> dict[str, object]:
        key = [f"{s * 100:g}" for s in self.shares]
        hr = self.hits / max(self.events, 1.0)
        out: dict[str, object] = {
            "hit_rate": {k: round(float(v), 4) for k, v in zip(key, hr, strict=False)},
            "pai": {k: round(float(v / s), 3) for k, v, s in zip(key, hr, self.shares, strict=False)},
            "pei": {
                k: round(float(b / f) if f else 0.0, 4)
                for k, b, f in zip(key, self.best, self.flagged, strict=True)
            },
            "curve": {
                f"{s * 100:g}": round(float(h / max(self.events, 1.0)), 4)
                for s, h in zip(self.curve, self.curve_hits, strict=False)
            },
            "test_events": round(self.events),
            "windows": self.windows,
            "hit_rate_5_weekly_sd": round(float(np.std(self.weekly)), 4) if self.weekly else None,
        }
        out["loglik_per_event"] = round(self.loglik / max(self.events, 1.0), 4) if intensity else None
        return out
