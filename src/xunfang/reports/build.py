"""Build one bulletin: load the history, collect both parts, render HTML and/or PDF into a folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from xunfang.analysis.sources import PRESETS, Districts, load_incidents
from xunfang.core.errors import InvalidInput, XunfangError
from xunfang.reports import history_part, service_part
from xunfang.reports.render import render_html, view_model, write_pdf
from xunfang.store.db import make_engine

FORMATS = ("html", "pdf")
LANGS = ("zh", "en")


@dataclass(frozen=True)
class Request:
    period: str
    date: pd.Timestamp
    lang: str
    formats: tuple[str, ...]
    out: Path
    source: str = "chicago"
    database_url: str | None = None
    method: str = "ensemble"
    horizon: int = 7


def parse_formats(text: str) -> tuple[str, ...]:
    parts = tuple(dict.fromkeys(p.strip().lower() for p in text.split(",") if p.strip()))
    bad = [p for p in parts if p not in FORMATS]
    if not parts or bad:
        raise InvalidInput(f"--format {text!r}: expected a comma-separated subset of {', '.join(FORMATS)}")
    return parts


def parse_date(text: str) -> pd.Timestamp:
    try:
        return pd.Timestamp(pd.to_datetime(text, format="%Y-%m-%d")).normalize()
    except (ValueError, TypeError):
        raise InvalidInput(f"--date {text!r}: expected YYYY-MM-DD") from None


def _places(source: str) -> pd.DataFrame | None:
    """The same history with the place type as category, when the source has one (Chicago)."""
    if source != "chicago":
        return None
    try:
        frame, _, _ = load_incidents(source, mapping={"category": "loc_cat", "category_value": ""})
    except XunfangError:
        return None
    return frame


def load(source: str) -> tuple[pd.DataFrame, Districts, pd.DataFrame | None]:
    history, _, districts = load_incidents(source)
    if districts is None:
        raise InvalidInput(f"--incidents {source}: bulletins need a source with district polygons")
    return history, districts, _places(source)


def build(
    req: Request, loaded: tuple[pd.DataFrame, Districts, pd.DataFrame | None] | None = None
) -> list[Path]:
    """Write the requested files; returns their paths."""
    if req.period not in ("day", "week", "month"):
        raise InvalidInput(f"--period {req.period!r}: expected day, week or month")
    if req.lang not in LANGS:
        raise InvalidInput(f"--lang {req.lang!r}: expected zh or en")
    history, districts, places = loaded or load(req.source)
    hist = history_part.collect(
        history,
        districts,
        period=req.period,
        date=req.date,
        places=places,
        method=req.method,
        horizon=req.horizon,
    )
    lo = pd.Timestamp(hist.stats["start"]).tz_localize("UTC").to_pydatetime()
    hi = pd.Timestamp(hist.stats["end"]).tz_localize("UTC").to_pydatetime()
    engine = make_engine(req.database_url) if req.database_url else None
    try:
        svc = service_part.collect(engine, lo, hi)
    finally:
        if engine is not None:
            engine.dispose()
    preset = PRESETS.get(req.source)
    label = f"{preset.description} ({req.source})" if preset else req.source
    vm = view_model(hist, svc, districts, lang=req.lang, source=label, horizon=req.horizon)
    html = render_html(vm)
    req.out.mkdir(parents=True, exist_ok=True)
    stem = f"bulletin-{req.period}-{pd.Timestamp(hist.stats['start']).date()}-{req.lang}"
    written = []
    if "html" in req.formats:
        path = req.out / f"{stem}.html"
        path.write_text(html, encoding="utf-8")
        written.append(path)
    if "pdf" in req.formats:
        path = req.out / f"{stem}.pdf"
        write_pdf(html, path)
        written.append(path)
    return written
