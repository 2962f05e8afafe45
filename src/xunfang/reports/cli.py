"""``xunfang report``: one bulletin (day, week or month) as HTML and/or PDF."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from xunfang.core.cli_support import print_json
from xunfang.reports.build import Request, build, parse_date, parse_formats


def report(  # noqa: PLR0917
    period: Annotated[str, typer.Option(help="day, week or month")] = "week",
    date: Annotated[str, typer.Option(help="a day inside the period, YYYY-MM-DD")] = "2019-12-23",
    lang: Annotated[str, typer.Option(help="zh or en")] = "zh",
    format_: Annotated[str, typer.Option("--format", help="html,pdf")] = "html,pdf",
    out: Annotated[Path, typer.Option(help="output folder")] = Path("bulletins"),
    incidents: Annotated[str, typer.Option(help="incident history: preset or file")] = "chicago",
    db: Annotated[str | None, typer.Option(help="service database URL (optional)")] = None,
    method: Annotated[str, typer.Option(help="hotspot forecaster")] = "ensemble",
) -> None:
    """Build the 日研判 / 周分析 / 月通报 bulletin from the history (and the service database)."""
    req = Request(
        period=period,
        date=parse_date(date),
        lang=lang,
        formats=parse_formats(format_),
        out=out,
        source=incidents,
        database_url=db,
        method=method,
    )
    print_json({"written": [str(p) for p in build(req)]})


def report_due(
    out: Annotated[Path, typer.Option(help="output folder")] = Path("bulletins"),
    today: Annotated[str | None, typer.Option(help="run as if on this day (YYYY-MM-DD)")] = None,
    incidents: Annotated[str, typer.Option(help="incident history: preset or file")] = "chicago",
    db: Annotated[str | None, typer.Option(help="service database URL (optional)")] = None,
) -> None:
    """Build the bulletins due today (day; Mondays also week; the 1st also month) — for cron."""
    from datetime import UTC, datetime

    from xunfang.reports.schedule import run_due

    day = parse_date(today).date() if today else datetime.now(UTC).date()
    print_json({"written": [str(p) for p in run_due(day, out=out, source=incidents, database_url=db)]})
