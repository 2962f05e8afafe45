"""The forecasting interface and helpers shared by the methods.

A forecaster is fitted once on the history up to the end of the training period (``fit`` tunes
its hyper-parameters on rolling origins *inside* the training period, so the test period is never
seen), then asked at each origin ``t`` for the expected counts in ``[t, t + horizon)`` given the
history strictly before ``t`` (``predict``; the backtest passes ``events.upto(t)``, so a method
cannot look ahead even by mistake). Predictions are one number per grid cell (flat order, zero
outside the study area) or per street segment (``unit = "segment"``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar, Self

import numpy as np
from numpy.typing import NDArray
from scipy.signal import fftconvolve

from xunfang.analysis.grid import Events, Grid
from xunfang.analysis.scoring import flagged_hits

F64 = NDArray[np.float64]

VALIDATION_WINDOWS = 26  # rolling origins at the end of the training period used for tuning


class Forecaster(ABC):
    """Fit on history up to ``t``; predict expected counts for ``[t, t + horizon)``."""

    name: ClassVar[str]
    unit: ClassVar[str] = "cell"
    intensity: ClassVar[bool] = True  # True when predictions are expected counts (scored by likelihood)
    reference: ClassVar[str] = ""

    def __init__(self) -> None:
        self.params: dict[str, Any] = {}

    def fit(self, events: Events, t: int, horizon: int) -> Self:
        """Learn parameters from events before day ``t`` (default: nothing to learn)."""
        return self

    @abstractmethod
    def predict(self, events: Events, t: int, horizon: int) -> F64:
        """Expected counts per unit in ``[t, t + horizon)`` from events before ``t``."""

    def units_size(self, grid: Grid) -> F64:
        """Size of each scored unit (1 per in-area cell)."""
        return np.ones(int(grid.mask.sum()))

    def restrict(self, pred: F64, grid: Grid) -> F64:
        """The prediction on the scored units only (cells inside the study area)."""
        return pred[grid.mask] if self.unit == "cell" else pred


def gaussian_kernel(sigma_cells: float) -> F64:
    """A normalised 2-D Gaussian kernel truncated at 3 sigma (a single 1 for sigma 0)."""
    if sigma_cells <= 0:
        return np.ones((1, 1))
    r = max(1, int(np.ceil(3 * sigma_cells)))
    ax = np.arange(-r, r + 1, dtype=np.float64)
    k = np.exp(-(ax[:, None] ** 2 + ax[None, :] ** 2) / (2 * sigma_cells**2))
    return np.asarray(k / k.sum(), dtype=np.float64)


def smooth(values: F64, grid: Grid, kernel: F64) -> F64:
    """Convolve flat per-cell values with a kernel by FFT (binned KDE), keeping the grid's shape."""
    if kernel.size == 1:
        return np.asarray(values * float(kernel[0, 0]), dtype=np.float64)
    out = fftconvolve(values.reshape(grid.shape), kernel, mode="same")
    return np.asarray(np.maximum(out, 0.0).ravel(), dtype=np.float64)


def to_total(score: F64, grid: Grid, total: float) -> F64:
    """Scale a risk surface so that the study area holds ``total`` expected incidents."""
    inside = float(score[grid.mask].sum())
    out = np.zeros_like(score)
    if inside > 0:
        out[grid.mask] = score[grid.mask] * (total / inside)
    else:
        out[grid.mask] = total / max(int(grid.mask.sum()), 1)
    return out


def recent_total(events: Events, t: int, horizon: int, days: int = 365) -> float:
    """Expected incidents in a window from the mean daily rate of the last ``days`` days."""
    a, b = events.between(t - days, t)
    span = min(days, max(t - int(events.day[0]) if events.size else 1, 1))
    return (b - a) / span * horizon


def validation_origins(t: int, horizon: int, n: int = VALIDATION_WINDOWS) -> list[int]:
    """The last ``n`` origins of the training period (the window ``[o, o+h)`` ends by ``t``)."""
    return [t - k * horizon for k in range(n, 0, -1)]


def hit_rate_5(events: Events, origins: list[int], horizon: int, predict: Any) -> float:
    """Pooled hit rate at 5 % of the area over validation origins: the tuning criterion."""
    grid = events.grid
    size = np.ones(int(grid.mask.sum()))
    hits = total = 0.0
    for o in origins:
        actual = events.counts(o, o + horizon)[grid.mask]
        pred = predict(events.upto(o), o)[grid.mask]
        hits += flagged_hits(pred, size, actual, 0.05)[0]
        total += float(actual.sum())
    return hits / max(total, 1.0)
