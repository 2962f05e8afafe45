"""The square grid forecasts are made on, and the events binned onto it.

The grid lives in the city's metric projection (UTM of the incidents' median point). Only cells
inside the study area count: cells whose centre lies in the jurisdiction polygons when they are
known, else in the convex hull of the training incidents. Area shares (1 %, 5 %, 10 %) are shares
of those cells, so the denominator does not depend on the forecasting method.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from xunfang.core.errors import InvalidInput
from xunfang.core.geo import MetricProjection

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class Grid:
    """``ny`` × ``nx`` square cells of ``cell`` metres from (``x0``, ``y0``); flat index ``iy*nx+ix``."""

    proj: MetricProjection
    x0: float
    y0: float
    cell: float
    nx: int
    ny: int
    mask: NDArray[np.bool_]

    @property
    def n_cells(self) -> int:
        return self.nx * self.ny

    @property
    def shape(self) -> tuple[int, int]:
        return (self.ny, self.nx)

    @classmethod
    def build(cls, lon: F64, lat: F64, *, cell: float = 250.0, area: shapely.Geometry | None = None) -> Grid:
        """A grid covering the area (WGS84 polygon) or the convex hull of the points."""
        if not cell > 0:
            raise InvalidInput(f"--cell: cell size must be positive metres, got {cell}")
        if lon.size == 0:
            raise InvalidInput("cannot build a grid: the history has no incidents in the training period")
        proj = MetricProjection.for_points(lon, lat)
        x, y = proj.to_xy(lon, lat)
        poly: Any
        if area is not None:
            poly = shapely.transform(area, lambda xy: np.column_stack(proj.to_xy(xy[:, 0], xy[:, 1])))
        else:
            hull = shapely.convex_hull(shapely.multipoints(np.column_stack([x, y])))
            poly = shapely.buffer(hull, cell / 2)
        minx, miny, maxx, maxy = (float(v) for v in shapely.bounds(poly))
        minx, miny = min(minx, float(x.min())), min(miny, float(y.min()))
        maxx, maxy = max(maxx, float(x.max())), max(maxy, float(y.max()))
        nx = int(np.ceil((maxx - minx) / cell)) + 1
        ny = int(np.ceil((maxy - miny) / cell)) + 1
        if nx * ny > 4_000_000:
            raise InvalidInput(f"--cell {cell:g}: the grid would have {nx * ny} cells; use a larger cell")
        cx = minx + (np.arange(nx) + 0.5) * cell
        cy = miny + (np.arange(ny) + 0.5) * cell
        gx, gy = np.meshgrid(cx, cy)
        mask = shapely.contains_xy(poly, gx.ravel(), gy.ravel())
        return cls(proj, float(minx), float(miny), float(cell), nx, ny, np.asarray(mask, dtype=bool))

    def cell_of(self, lon: F64, lat: F64) -> I64:
        """Flat cell index of each point, -1 outside the study area."""
        x, y = self.proj.to_xy(lon, lat)
        ix = np.floor((x - self.x0) / self.cell).astype(np.int64)
        iy = np.floor((y - self.y0) / self.cell).astype(np.int64)
        ok = (ix >= 0) & (ix < self.nx) & (iy >= 0) & (iy < self.ny)
        flat = np.where(ok, iy * self.nx + ix, -1)
        flat[ok] = np.where(self.mask[flat[ok]], flat[ok], -1)
        return flat

    def centres(self) -> tuple[F64, F64]:
        """Cell centres (lon, lat), flat order."""
        cx = self.x0 + (np.arange(self.nx) + 0.5) * self.cell
        cy = self.y0 + (np.arange(self.ny) + 0.5) * self.cell
        gx, gy = np.meshgrid(cx, cy)
        return self.proj.to_lonlat(gx.ravel(), gy.ravel())

    def cell_polygon(self, flat: int) -> list[list[float]]:
        """The ring of one cell in lon/lat (GeoJSON order, closed)."""
        iy, ix = divmod(int(flat), self.nx)
        x0, y0 = self.x0 + ix * self.cell, self.y0 + iy * self.cell
        xs = np.array([x0, x0 + self.cell, x0 + self.cell, x0, x0])
        ys = np.array([y0, y0, y0 + self.cell, y0 + self.cell, y0])
        lon, lat = self.proj.to_lonlat(xs, ys)
        return [[round(float(a), 6), round(float(b), 6)] for a, b in zip(lon, lat, strict=False)]


@dataclass(frozen=True, eq=False)
class Events:
    """Incidents as (day, cell) pairs sorted by day; ``day`` counts days from ``day0`` (local)."""

    grid: Grid
    day0: pd.Timestamp
    day: I64
    cell: I64
    hour: NDArray[np.float64]
    x: F64
    y: F64
    segment: I64 | None = None

    @classmethod
    def from_history(cls, history: pd.DataFrame, grid: Grid, day0: pd.Timestamp) -> tuple[Events, int]:
        """Bin a history frame; also returns how many incidents fell outside the study area."""
        t = pd.to_datetime(history["time"]).to_numpy()
        day = ((t - np.datetime64(day0.normalize())) // np.timedelta64(1, "D")).astype(np.int64)
        hour = (t - t.astype("datetime64[D]")) / np.timedelta64(1, "h")
        lon, lat = history["lon"].to_numpy(np.float64), history["lat"].to_numpy(np.float64)
        cell = grid.cell_of(lon, lat)
        x, y = grid.proj.to_xy(lon, lat)
        keep = cell >= 0
        o = np.argsort(day[keep], kind="stable")
        ev = cls(
            grid,
            day0.normalize(),
            day[keep][o],
            cell[keep][o],
            np.asarray(hour[keep][o], dtype=np.float64),
            x[keep][o],
            y[keep][o],
        )
        return ev, int((~keep).sum())

    @property
    def size(self) -> int:
        return int(self.day.size)

    def upto(self, t: int) -> Events:
        """Only events strictly before day ``t`` (what a forecaster standing at ``t`` may see)."""
        k = int(np.searchsorted(self.day, t, side="left"))
        seg = None if self.segment is None else self.segment[:k]
        return Events(
            self.grid, self.day0, self.day[:k], self.cell[:k], self.hour[:k], self.x[:k], self.y[:k], seg
        )

    def between(self, lo: int, hi: int) -> tuple[int, int]:
        return int(np.searchsorted(self.day, lo)), int(np.searchsorted(self.day, hi))

    def counts(self, lo: int, hi: int, weights: F64 | None = None) -> F64:
        """Events per cell with ``lo <= day < hi`` (optionally weighted)."""
        a, b = self.between(lo, hi)
        w = None if weights is None else weights[a:b]
        return np.bincount(self.cell[a:b], weights=w, minlength=self.grid.n_cells).astype(np.float64)

    def with_segments(self, segment: I64) -> Events:
        return Events(self.grid, self.day0, self.day, self.cell, self.hour, self.x, self.y, segment)

    def describe(self) -> dict[str, Any]:
        return {"events": self.size, "cells": int(self.grid.mask.sum()), "cell_m": self.grid.cell}
