"""Bulletin figures as PNG bytes: matplotlib (Agg, no pyplot state) with the Noto CJK font so that
Chinese labels render; maps drawn from the district polygons and the hotspot cells."""

from __future__ import annotations

import io
import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import shapely
from matplotlib import font_manager, rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Polygon

from xunfang.analysis.sources import Districts

CJK_FAMILY = "Noto Sans CJK SC"
NAVY, GREY, LIGHT = "#0b3d6e", "#8c99a6", "#c9d3dd"
CLASS_FILL = {"red": "#f4c2c2", "yellow": "#fbe3b4", "blue": "#dbe7f3"}
CELL_FILL = {"red": "#d7191c", "yellow": "#fdae61"}


def cjk_available() -> bool:
    """Whether matplotlib knows the CJK font (rebuilding its cache once if it was made before)."""
    names = {f.name for f in font_manager.fontManager.ttflist}
    if CJK_FAMILY in names:
        return True
    loader = getattr(font_manager, "_load_fontmanager")  # noqa: B009  (private, no public rebuild)
    fresh = loader(try_read_cache=False)
    font_manager.fontManager = fresh  # the font was installed after matplotlib cached its list
    return CJK_FAMILY in {f.name for f in fresh.ttflist}


@contextmanager
def _style() -> Iterator[None]:
    families = [CJK_FAMILY, "DejaVu Sans"] if cjk_available() else ["DejaVu Sans"]
    with rc_context(
        {
            "font.family": families,
            "font.size": 9,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.edgecolor": GREY,
            "axes.titlesize": 10,
            "axes.titleweight": "bold",
            "axes.unicode_minus": False,
        }
    ):
        yield


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=150, bbox_inches="tight", facecolor="white")
    return buf.getvalue()


def trend(series: pd.Series, *, period: str, title: str) -> bytes:
    """Counts per day/week/month up to and including the bulletin period (highlighted)."""
    with _style():
        fig = Figure(figsize=(7.0, 1.9))
        ax = fig.add_subplot()
        labels = [pd.Timestamp(t).strftime("%m-%d" if period != "month" else "%y/%m") for t in series.index]
        colours = [LIGHT] * max(len(series) - 1, 0) + [NAVY]
        ax.bar(range(len(series)), series.to_numpy(), color=colours[-len(series) :] if len(series) else [])
        step = max(1, len(labels) // 14)
        ax.set_xticks(range(0, len(labels), step), labels[::step], rotation=0)
        ax.set_title(title, loc="left")
        ax.grid(axis="y", color="#e6e9ed", linewidth=0.6)
        ax.set_axisbelow(True)
        return _png(fig)


def districts_bars(
    rows: list[tuple[str, int, int, int]], *, labels: tuple[str, str, str], title: str
) -> bytes:
    """This period, the previous period and last year, per district."""
    with _style():
        fig = Figure(figsize=(7.0, 2.1))
        ax = fig.add_subplot()
        x = np.arange(len(rows))
        w = 0.28
        for i, (lab, colour) in enumerate(zip(labels, (NAVY, GREY, LIGHT), strict=True)):
            ax.bar(x + (i - 1) * w, [r[i + 1] for r in rows], width=w, color=colour, label=lab)
        ax.set_xticks(x, [r[0] for r in rows])
        ax.legend(frameon=False, ncols=3, loc="upper right")
        ax.set_title(title, loc="left")
        ax.grid(axis="y", color="#e6e9ed", linewidth=0.6)
        ax.set_axisbelow(True)
        return _png(fig)


def hours_bars(hours: np.ndarray, window: dict[str, Any] | None, *, title: str) -> bytes:
    """Incidents by hour of day with the key patrol window shaded."""
    with _style():
        fig = Figure(figsize=(7.0, 1.6))
        ax = fig.add_subplot()
        if window:
            s, n = int(window["start"][:2]), int(window["hours"])
            for h in range(s, s + n):
                ax.axvspan((h % 24) - 0.5, (h % 24) + 0.5, color="#fde9c8", zorder=0)
        ax.bar(range(24), hours, color=NAVY, zorder=2)
        ax.set_xticks(range(0, 24, 2), [f"{h:02d}" for h in range(0, 24, 2)])
        ax.set_xlim(-0.6, 23.6)
        ax.set_title(title, loc="left")
        return _png(fig)


def _rings(geom: shapely.Geometry) -> list[np.ndarray]:
    polys = getattr(geom, "geoms", [geom])
    return [np.asarray(p.exterior.coords) for p in polys if p.geom_type == "Polygon"]


def hotspot_map(
    districts: Districts,
    classes: dict[str, str],
    cells: dict[str, Any],
    events: pd.DataFrame,
    *,
    legend: dict[str, str],
    title: str,
) -> bytes:
    """Districts shaded by class, forecast red/yellow cells on top, this period's incidents as dots."""
    with _style():
        fig = Figure(figsize=(7.0, 7.6))
        ax = fig.add_subplot()
        for name, geom in zip(districts.names, districts.polygons, strict=True):
            fill = CLASS_FILL.get(classes.get(name, "blue"), CLASS_FILL["blue"])
            for ring in _rings(geom):
                ax.add_patch(Polygon(ring, closed=True, facecolor=fill, edgecolor="#5b6b7b", linewidth=0.6))
        for feat in cells.get("features", []):
            risk = feat["properties"]["risk"]
            if risk in CELL_FILL:
                ring = np.asarray(feat["geometry"]["coordinates"][0])
                ax.add_patch(
                    Polygon(ring, closed=True, facecolor=CELL_FILL[risk], edgecolor="none", alpha=0.9)
                )
        if len(events):
            ax.scatter(
                events["lon"], events["lat"], s=2.5, color="#1d2733", alpha=0.55, linewidths=0, zorder=5
            )
        seen: set[str] = set()
        for name in districts.names:
            if name in seen:
                continue
            seen.add(name)
            whole = shapely.union_all(
                [p for n, p in zip(districts.names, districts.polygons, strict=True) if n == name]
            )
            pt = whole.representative_point()
            ax.text(pt.x, pt.y, name, ha="center", va="center", fontsize=7, color="#1d2733", zorder=6)
        minx, miny, maxx, maxy = shapely.total_bounds(districts.polygons)
        ax.set_xlim(minx - 0.005, maxx + 0.005)
        ax.set_ylim(miny - 0.005, maxy + 0.005)
        ax.set_aspect(1.0 / math.cos(math.radians((miny + maxy) / 2)))
        ax.set_axis_off()
        handles = [
            Patch(facecolor=CELL_FILL["red"], label=legend["red_cell"]),
            Patch(facecolor=CELL_FILL["yellow"], label=legend["yellow_cell"]),
            Patch(facecolor=CLASS_FILL["red"], edgecolor="#5b6b7b", label=legend["red"]),
            Patch(facecolor=CLASS_FILL["yellow"], edgecolor="#5b6b7b", label=legend["yellow"]),
            Patch(facecolor=CLASS_FILL["blue"], edgecolor="#5b6b7b", label=legend["blue"]),
        ]
        ax.legend(handles=handles, loc="lower left", frameon=True, fontsize=7)
        ax.set_title(title, loc="left")
        return _png(fig)
