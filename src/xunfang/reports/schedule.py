"""The bulletin schedule: every morning the day bulletin (日研判) of yesterday, on Mondays the week
bulletin (周分析) of last week, on the 1st the month bulletin (月通报) of last month.

Two ways to run it:

* inside the service: set ``XUNFANG_BULLETIN_DIR`` and ``xunfang serve`` starts :func:`loop` as a
  background task (it wakes at ``XUNFANG_BULLETIN_HOUR`` UTC, builds in a worker thread so the
  event loop keeps serving, and logs failures without stopping the service);
* from cron or a timer: call :func:`run_due` once a day (``xunfang report-due``).

When the incident history ends before the due date (a replayed history such as Chicago 2010–2019),
the bulletin is built for the last period the history covers and the log says so; nothing is
invented for days without data.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd

from xunfang.core.errors import XunfangError
from xunfang.reports.build import Request, build, load

log = logging.getLogger("xunfang.reports.schedule")


def due(today: date) -> list[tuple[str, date]]:
    """(period, a day inside it) of every bulletin due on ``today``."""
    yesterday = today - timedelta(days=1)
    jobs = [("day", yesterday)]
    if today.weekday() == 0:
        jobs.append(("week", yesterday))
    if today.day == 1:
        jobs.append(("month", yesterday))
    return jobs


def run_due(
    today: date,
    *,
    out: Path,
    source: str = "chicago",
    database_url: str | None = None,
    langs: tuple[str, ...] = ("zh",),
    method: str = "ensemble",
) -> list[Path]:
    """Build every bulletin due on ``today``; returns the files written."""
    loaded = load(source)
    last = pd.to_datetime(loaded[0]["time"]).max().normalize()
    written: list[Path] = []
    for period, day in due(today):
        when = pd.Timestamp(day)
        if when > last:
            log.warning(
                "history %s ends %s; %s bulletin built for that date instead", source, last.date(), period
            )
            when = last
        for lang in langs:
            req = Request(period, when, lang, ("html", "pdf"), out, source, database_url, method)
            written += build(req, loaded)
    return written


def _seconds_until(hour: int, now: datetime) -> float:
    target = now.replace(hour=hour, minute=0, second=0, microsecond=0)
    if target <= now:
        target += timedelta(days=1)
    return (target - now).total_seconds()


async def loop(*, out: Path, hour: int, database_url: str | None, source: str = "chicago") -> None:
    """Run :func:`run_due` every day at ``hour`` UTC until cancelled."""
    while True:
        await asyncio.sleep(_seconds_until(hour, datetime.now(UTC)))
        today = datetime.now(UTC).date()
        try:
            files = await asyncio.to_thread(run_due, today, out=out, source=source, database_url=database_url)
            log.info("bulletins written: %s", ", ".join(map(str, files)))
        except XunfangError as exc:
            log.error("bulletins for %s failed: %s", today, exc.message)
