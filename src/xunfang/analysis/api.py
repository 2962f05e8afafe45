"""FastAPI routes for the analysis domain (not mounted here; the API app mounts ``router``).

Thin handlers over the pure functions: each takes the incident source (a preset name or a path
on the server) and returns the same dicts the CLI prints. ``XunfangError`` subclasses carry their
HTTP status (InvalidInput → 422, DataNotFound → 404); the app's exception handler maps them.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Query, Request

from xunfang.analysis.sources import Districts, load_incidents
from xunfang.core.errors import InvalidInput

router = APIRouter(prefix="/api/v1/analysis", tags=["analysis"])

Source = Annotated[
    str | None,
    Query(description="incident source: preset name or server-side path (default: the service's city)"),
]


@lru_cache(maxsize=4)
def history_of(source: str) -> tuple[pd.DataFrame, Districts | None]:
    """The history of a preset or file (read from settings.data_dir), read once per process."""
    history, _, districts = load_incidents(source)
    return history, districts


def _history(source: str | None, request: Request) -> tuple[pd.DataFrame, Districts | None]:
    """Without ``source``, the served city's own history (the jurisdiction loaded in the service)."""
    if source is None:
        ctx = getattr(request.app.state, "ctx", None)
        from xunfang.store.cities import city_of

        source = city_of(ctx.jurisdiction if ctx is not None else None)
        if source is None:
            raise InvalidInput("source: no city is served here; name an incident source", field="source")
    return history_of(source)


def _day(text: str | None, name: str, history: pd.DataFrame) -> pd.Timestamp:
    if text is None:
        return pd.Timestamp(pd.to_datetime(history["time"]).max()).normalize() + pd.Timedelta(days=1)
    try:
        return pd.Timestamp(text).normalize()
    except (ValueError, TypeError):
        raise InvalidInput(
            f"{name}: cannot read {text!r} as a date; expected YYYY-MM-DD", field=name
        ) from None


@router.get("/hotspots")
def hotspots(
    source: Source = None,
    *,
    request: Request,
    at: str | None = None,
    horizon_days: int = Query(7, ge=1, le=90),
    cell_m: float = Query(250.0, gt=10, le=5000),
    method: str = "ensemble",
    top: int = Query(50, ge=1, le=5000),
) -> dict[str, Any]:
    """The ``top`` cells by expected incidents in ``[at, at + horizon)``."""
    from xunfang.analysis.risk import forecast

    history, districts = _history(source, request)
    day = _day(at, "at", history)
    grid, pred = forecast(
        history, at=day, horizon=horizon_days, cell=cell_m, method=method, districts=districts
    )
    order = [int(c) for c in pred.argsort()[::-1][:top] if grid.mask[c]]
    lon, lat = grid.centres()
    return {
        "at": day.isoformat(),
        "horizon_days": horizon_days,
        "method": method,
        "cells": [
            {
                "cell": c,
                "lon": round(float(lon[c]), 6),
                "lat": round(float(lat[c]), 6),
                "expected": float(pred[c]),
            }
            for c in order
        ],
    }


@router.get("/risk-classes")
def risk_classes(
    source: Source = None,
    *,
    request: Request,
    at: str | None = None,
    horizon_days: int = Query(7, ge=1, le=90),
    cell_m: float = Query(250.0, gt=10, le=5000),
    method: str = "ensemble",
    red: float = 0.95,
    yellow: float = 0.80,
    mode: str = "quantile",
    level: str = Query("cell", pattern="^(cell|district)$"),
) -> dict[str, Any]:
    """Red/yellow/blue GeoJSON for cells or districts."""
    from xunfang.analysis.risk import Thresholds, cell_classes, forecast, polygon_classes

    th = Thresholds(red=red, yellow=yellow, mode=mode)
    th.check()
    history, districts = _history(source, request)
    grid, pred = forecast(
        history,
        at=_day(at, "at", history),
        horizon=horizon_days,
        cell=cell_m,
        method=method,
        districts=districts,
    )
    if level == "district":
        if districts is None:
            raise InvalidInput(f"level=district: source {source!r} has no district polygons", field="level")
        return polygon_classes(grid, pred, districts, th)
    return cell_classes(grid, pred, th)


@router.get("/stats")
def stats(request: Request, date: str, source: Source = None, period: str = "week") -> dict[str, Any]:
    """Counts per category and district with 环比 and 同比."""
    from xunfang.analysis.stats import period_stats

    history, _ = _history(source, request)
    return period_stats(history, period=period, date=_day(date, "date", history))


@router.get("/warnings")
def warnings(
    request: Request, source: Source = None, at: str | None = None, weeks: int = Query(15, ge=2, le=104)
) -> dict[str, Any]:
    """Incident-surge warnings per district."""
    from xunfang.analysis.alerts import surge_warnings

    history, _ = _history(source, request)
    return surge_warnings(history, at=_day(at, "at", history), weeks=weeks)


@router.get("/profiles")
def profiles(
    request: Request,
    source: Source = None,
    zone: str | None = None,
    category: str | None = None,
    share: float = Query(0.5, gt=0, le=1),
) -> dict[str, Any]:
    """Hour × weekday heatmap and the key patrol window."""
    from xunfang.analysis.profiles import profile

    history, _ = _history(source, request)
    return profile(history, zone=zone, category=category, share=share)
