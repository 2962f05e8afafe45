"""xunfang's own forecaster: a learned non-negative mixture of long-term and recent surfaces.

Why: long-term counts capture the stable places (the best single predictor of next week in most
cities), smoothing at several bandwidths trades noise against location precision, and recent
incidents add the near-repeat effect. No single bandwidth or window is right everywhere, so the
mixture weights are learned per city on rolling origins at the end of the training period by
maximising the Poisson log-likelihood of next-window counts (a proper score) under the linear
intensity ``lambda = sum_k w_k f_k``, ``w >= 0``, solved with the multiplicative ML-EM update
(Shepp & Vardi 1982; Lucy 1974), which keeps weights non-negative and never decreases the
likelihood. The hit rate only depends on the ranking near the flagged-area threshold, so a second
weight vector is fitted on the rows of the cells that matter for it (the top ``FOCUS`` of cells by
long-term counts, four times the 5 % target area) and the fit with the better hit rate at 5 % on
the same training windows is kept (a ranking-relevant choice made on training data only; on
Chicago 2010-15 → 2016-17 the focused fit gains +2.0 % over naive against +1.6 % for the plain one).
Nothing is Chicago-specific: the features are defined in metres and days and the
weights come from each city's own history.
"""

from __future__ import annotations

from typing import Self

import numpy as np

from xunfang.analysis.forecast.base import F64, Forecaster, gaussian_kernel, recent_total, smooth, to_total
from xunfang.analysis.forecast.naive import naive_counts
from xunfang.analysis.forecast.prospective import ph_surface
from xunfang.analysis.grid import Events
from xunfang.analysis.scoring import flagged_hits

# (window in days or None for all history, Gaussian bandwidth in metres)
SURFACES: tuple[tuple[int | None, float], ...] = (
    (None, 0.0),
    (None, 125.0),
    (None, 250.0),
    (None, 500.0),
    (None, 1000.0),
    (365, 0.0),
    (365, 250.0),
    (365, 500.0),
    (90, 250.0),
    (90, 500.0),
)
HALF_LIVES_D = (365.0, 730.0)  # exponentially decayed long-term counts: places change slowly
TRAINING_WINDOWS = 52
FOCUS = 0.20  # share of cells (highest long-term counts) whose rows the focused fit uses


def decayed_counts(events: Events, t: int, horizon: int, half_life: float) -> F64:
    """Counts weighted by ``0.5 ** (age / half_life)``, scaled to expected counts per horizon."""
    w = 0.5 ** ((t - events.day) / half_life)
    counts = np.bincount(events.cell, weights=w, minlength=events.grid.n_cells)
    span = float(w.sum()) or 1.0
    return np.asarray(counts, dtype=np.float64) * (recent_total(events, t, horizon) / span)


class Ensemble(Forecaster):
    name = "ensemble"
    reference = "xunfang: Poisson-likelihood-weighted mixture (ML-EM, Shepp & Vardi 1982) of KDE surfaces"

    def __init__(self, *, windows: int = TRAINING_WINDOWS, iterations: int = 300) -> None:
        super().__init__()
        self.windows = windows
        self.iterations = iterations
        self.weights = np.zeros(0)

    def features(self, events: Events, t: int, horizon: int) -> list[F64]:
        """Each surface as expected counts per cell over the horizon (flat)."""
        grid = events.grid
        out = []
        for days, bw in SURFACES:
            counts = naive_counts(events, t, horizon, days)
            total = float(counts[grid.mask].sum())
            out.append(to_total(smooth(counts, grid, gaussian_kernel(bw / grid.cell)), grid, total))
        for hl in HALF_LIVES_D:
            for bw in (0.0, 125.0):
                decayed = decayed_counts(events, t, horizon, hl)
                out.append(
                    to_total(
                        smooth(decayed, grid, gaussian_kernel(bw / grid.cell)),
                        grid,
                        float(decayed[grid.mask].sum()),
                    )
                )
        total = recent_total(events, t, horizon)
        out.append(to_total(ph_surface(events, t, 400.0, 8), grid, total))
        out.append(to_total(np.ones(grid.n_cells), grid, total))
        return out

    def _names(self) -> list[str]:
        names = [f"{d or 'all'}d/{bw:g}m" for d, bw in SURFACES]
        names += [f"decay{hl:g}d/{bw:g}m" for hl in HALF_LIVES_D for bw in (0.0, 125.0)]
        return [*names, "near-repeat", "uniform"]

    def fit(self, events: Events, t: int, horizon: int) -> Self:
        events = events.upto(t)  # never learn from the future, whatever the caller passes
        grid = events.grid
        mats, ys = [], []
        for k in range(self.windows, 0, -1):
            o = t - k * horizon
            feats = self.features(events.upto(o), o, horizon)
            mats.append(np.column_stack([f[grid.mask] for f in feats]))
            ys.append(events.counts(o, o + horizon)[grid.mask])
        focus = [m[:, 0] >= np.quantile(m[:, 0], 1.0 - FOCUS) for m in mats]
        fits = {
            "all cells": self._em(np.vstack(mats), np.concatenate(ys)),
            f"top {FOCUS:.0%} cells": self._em(
                np.vstack([m[s] for m, s in zip(mats, focus, strict=True)]),
                np.concatenate([y[s] for y, s in zip(ys, focus, strict=True)]),
            ),
        }
        size = np.ones(int(grid.mask.sum()))
        scores = {}
        for label, w in fits.items():
            hits = sum(flagged_hits(m @ w, size, y, 0.05)[0] for m, y in zip(mats, ys, strict=True))
            scores[label] = hits / max(float(sum(y.sum() for y in ys)), 1.0)
        chosen = max(scores, key=lambda k: scores[k])
        self.weights = fits[chosen]
        names = self._names()
        self.params["fit_on"] = chosen
        self.params["training_hit_rate_5"] = {k: round(v, 4) for k, v in scores.items()}
        self.params["weights"] = {
            n: round(float(v), 4) for n, v in zip(names, self.weights, strict=True) if v > 1e-4
        }
        self.params["training_windows"] = self.windows
        return self

    def _em(self, F: F64, y: F64) -> F64:
        """Non-negative weights maximising the Poisson likelihood of ``y`` under ``F @ w`` (ML-EM)."""
        w = np.full(F.shape[1], 1.0 / F.shape[1])
        colsum = F.sum(axis=0) + 1e-12
        for _ in range(self.iterations):
            lam = F @ w + 1e-12
            w = w * (F.T @ (y / lam)) / colsum
        return np.asarray(w, dtype=np.float64)

    def predict(self, events: Events, t: int, horizon: int) -> F64:
        events = events.upto(t)  # decayed counts would weight later incidents above 1
        feats = self.features(events, t, horizon)
        pred = np.zeros(events.grid.n_cells)
        for wk, f in zip(self.weights, feats, strict=False):
            if wk > 0:
                pred += wk * f
        return pred
