"""Charts of a plan comparison: response-time distribution per plan, coverage per hour.

Small self-contained SVG files (matplotlib, no pyplot state, no fonts or scripts fetched); the same
inputs give byte-identical files (fixed hash salt, no date in the metadata).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure

from xunfang.core.errors import InvalidInput
from xunfang.simulation.compare import PlanScore

METADATA = {"Date": None, "Creator": "xunfang simulate compare"}


def _save(fig: Figure, path: Path) -> Path:
    with mpl.rc_context({"svg.hashsalt": "xunfang", "svg.fonttype": "none"}):
        fig.savefig(path, format="svg", metadata=METADATA, bbox_inches="tight")
    return path


def response_chart(scores: list[PlanScore], path: Path, *, max_min: float = 15.0) -> Path:
    """Share of incidents reached within x minutes (empirical CDF over all days), per plan."""
    fig = Figure(figsize=(7, 4.2))
    ax = fig.add_subplot()
    x = np.linspace(0.0, max_min, 301)
    for s in scores:
        r = np.concatenate(s.response_s) / 60.0 if s.response_s else np.zeros(0)
        r = np.nan_to_num(r, nan=np.inf)
        if r.size:
            ax.plot(x, np.searchsorted(np.sort(r), x, side="right") / r.size, label=s.name, lw=1.6)
    for m in (1, 3, 5):
        ax.axvline(m, color="0.75", lw=0.8, ls="--")
    ax.set_xlim(0, max_min)
    ax.set_ylim(0, 1)
    ax.set_xlabel("response time (minutes: wait for a unit + drive)")
    ax.set_ylabel("share of incidents reached")
    ax.set_title("Response-time distribution per plan")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    return _save(fig, path)


def coverage_chart(scores: list[PlanScore], path: Path) -> Path:
    """Mean share of incident weight (solid) and of road length (dashed) within 3 minutes of an
    available unit, per hour of the day, per plan."""
    fig = Figure(figsize=(7, 4.2))
    ax = fig.add_subplot()
    hours = np.arange(24) + 0.5
    for k, s in enumerate(scores):
        colour = f"C{k % 10}"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            demand = np.nanmean(np.array(s.coverage_demand), axis=0) if s.coverage_demand else None
            road = np.nanmean(np.array(s.coverage_road), axis=0) if s.coverage_road else None
        if demand is not None:
            ax.plot(hours, demand, color=colour, lw=1.6, label=f"{s.name}: incidents")
        if road is not None:
            ax.plot(hours, road, color=colour, lw=1.0, ls="--", label=f"{s.name}: roads")
    ax.set_xlim(0, 24)
    ax.set_xticks(range(0, 25, 3))
    ax.set_ylim(0, 1)
    ax.set_xlabel("hour of the day")
    ax.set_ylabel("share within 3 minutes of an available unit")
    ax.set_title("Coverage over the day")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=7, ncol=2)
    return _save(fig, path)


def write_charts(scores: list[PlanScore], directory: Path) -> list[str]:
    """Both charts into ``directory`` (created if missing); returns the paths written."""
    if directory.exists() and not directory.is_dir():
        raise InvalidInput(f"--charts {directory}: exists and is not a directory")
    directory.mkdir(parents=True, exist_ok=True)
    return [
        str(response_chart(scores, directory / "response_times.svg")),
        str(coverage_chart(scores, directory / "coverage_by_hour.svg")),
    ]
