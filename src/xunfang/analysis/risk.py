"""Red / yellow / blue risk classes (M2) for grid cells and for polygons, as GeoJSON.

Classes come from a forecast (expected incidents in the next window). By default the thresholds are
quantiles of the units' forecast density: the top 5 % red, the next 15 % yellow, the rest blue;
absolute thresholds (incidents per km² per window) can be given instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

import numpy as np
import pandas as pd
import shapely

from xunfang.analysis.backtest import GRID_METHODS
from xunfang.analysis.grid import Events, Grid
from xunfang.analysis.sources import Districts
from xunfang.core.errors import InvalidInput


class RiskClass(Enum):
    """Value, English and Chinese label, display colour."""

    RED = ("red", "high", "红色", "#d7191c")
    YELLOW = ("yellow", "elevated", "黄色", "#fdae61")
    BLUE = ("blue", "normal", "蓝色", "#2c7bb6")

    @property
    def code(self) -> str:
        return self.value[0]

    @property
    def label_en(self) -> str:
        return self.value[1]

    @property
    def label_zh(self) -> str:
        return self.value[2]

    @property
    def colour(self) -> str:
        return self.value[3]


@dataclass(frozen=True)
class Thresholds:
    """Quantile mode: red above ``red`` quantile, yellow above ``yellow``; else absolute densities."""

    red: float = 0.95
    yellow: float = 0.80
    mode: str = "quantile"

    def check(self) -> None:
        if self.mode not in ("quantile", "absolute"):
            raise InvalidInput(f"--mode: expected quantile or absolute, got {self.mode!r}")
        if self.mode == "quantile" and not 0 <= self.yellow <= self.red <= 1:
            raise InvalidInput(f"thresholds: need 0 <= yellow ({self.yellow}) <= red ({self.red}) <= 1")
        if self.mode == "absolute" and self.red < self.yellow:
            raise InvalidInput(f"thresholds: red ({self.red}) must be at least yellow ({self.yellow})")


def classify(density: np.ndarray, th: Thresholds) -> list[RiskClass]:
    """A class per unit from its forecast density."""
    th.check()
    if th.mode == "quantile":
        order = np.argsort(np.argsort(-density, kind="stable"), kind="stable")
        share = (order + 1) / max(density.size, 1)
        red = share <= 1 - th.red + 1e-9
        yellow = ~red & (share <= 1 - th.yellow + 1e-9)
    else:
        red = density >= th.red
        yellow = ~red & (density >= th.yellow)
    return [
        RiskClass.RED if r else RiskClass.YELLOW if y else RiskClass.BLUE
        for r, y in zip(red, yellow, strict=True)
    ]


def forecast(
    history: pd.DataFrame,
    *,
    at: pd.Timestamp,
    horizon: int = 7,
    cell: float = 250.0,
    method: str = "ensemble",
    districts: Districts | None = None,
) -> tuple[Grid, np.ndarray]:
    """Fit ``method`` on all history before ``at`` and forecast ``[at, at + horizon)`` per cell."""
    if method not in GRID_METHODS:
        raise InvalidInput(f"--method: unknown grid method {method!r}; choose from {', '.join(GRID_METHODS)}")
    t = pd.to_datetime(history["time"])
    past = history[t < at]
    if past.empty:
        raise InvalidInput(f"--at {at.date()}: no incidents before that date to forecast from")
    area = districts.area if districts is not None else None
    grid = Grid.build(past["lon"].to_numpy(float), past["lat"].to_numpy(float), cell=cell, area=area)
    day0 = pd.Timestamp(t.min()).normalize()
    events, _ = Events.from_history(past, grid, day0)
    t_at = (at.normalize() - day0).days
    model = GRID_METHODS[method]().fit(events, t_at, horizon)
    return grid, model.predict(events, t_at, horizon)


def feature(geometry: dict[str, Any], cls: RiskClass, props: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": geometry,
        "properties": {
            "risk": cls.code,
            "label_en": cls.label_en,
            "label_zh": cls.label_zh,
            "colour": cls.colour,
            **props,
        },
    }


def cell_classes(
    grid: Grid, pred: np.ndarray, th: Thresholds, *, include_blue: bool = False
) -> dict[str, Any]:
    """GeoJSON FeatureCollection of in-area cells with their class (blue cells only on request)."""
    cells = np.flatnonzero(grid.mask)
    km2 = grid.cell**2 / 1e6
    density = pred[cells] / km2
    classes = classify(density, th)
    feats = [
        feature(
            {"type": "Polygon", "coordinates": [grid.cell_polygon(int(c))]},
            k,
            {"cell": int(c), "expected": round(float(pred[c]), 4), "per_km2": round(float(d), 4)},
        )
        for c, k, d in zip(cells, classes, density, strict=True)
        if include_blue or k is not RiskClass.BLUE
    ]
    counts = {k.code: sum(1 for x in classes if x is k) for k in RiskClass}
    return {
        "type": "FeatureCollection",
        "features": feats,
        "properties": {"cell_m": grid.cell, "counts": counts},
    }


def polygon_classes(grid: Grid, pred: np.ndarray, districts: Districts, th: Thresholds) -> dict[str, Any]:
    """Classes for polygons (districts, patrol zones) from the forecast summed over their cells."""
    lon, lat = grid.centres()
    cells = np.flatnonzero(grid.mask)
    owner = districts.locate(lon[cells], lat[cells]).astype(str)
    names = list(dict.fromkeys(districts.names))
    expected = np.array([float(pred[cells][owner == n].sum()) for n in names])
    ncell = np.array([int((owner == n).sum()) for n in names])
    density = expected / np.maximum(ncell * grid.cell**2 / 1e6, 1e-9)
    classes = classify(density, th)
    feats = []
    for n, k, e, d in zip(names, classes, expected, density, strict=True):
        geom = shapely.union_all(
            [p for m, p in zip(districts.names, districts.polygons, strict=True) if m == n]
        )
        feats.append(
            feature(
                shapely.geometry.mapping(shapely.set_precision(geom, 1e-6)),
                k,
                {"name": n, "expected": round(e, 3), "per_km2": round(float(d), 4)},
            )
        )
    return {"type": "FeatureCollection", "features": feats}
