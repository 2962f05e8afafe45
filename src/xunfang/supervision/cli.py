"""``xunfang supervise``: check GPS tracks against a patrol plan and print the compliance report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from xunfang.core.cli_support import print_json


def supervise(
    tracks: Annotated[Path, typer.Option("--tracks", help="GPS tracks: CSV (unit,time,lon,lat) or GPX")],
    plan: Annotated[Path, typer.Option("--plan", help="plan JSON (points, lines, red_zones, units)")],
    city: Annotated[str, typer.Option("--city", help="road network: a known city or a path")] = "beijing",
    max_speed: Annotated[float, typer.Option(help="fixes implying a faster speed (m/s) are dropped")] = 60.0,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Point visits, line coverage, missed/late patrols, visible-police rate and compliance."""
    from xunfang.network.io import load_city
    from xunfang.supervision.plan import read_plan
    from xunfang.supervision.service import supervise as run
    from xunfang.supervision.tracks import read_gpx, read_tracks_csv

    data = read_gpx(tracks) if tracks.suffix.lower() == ".gpx" else read_tracks_csv(tracks)
    report = run(load_city(city), data, read_plan(plan), max_speed_mps=max_speed)
    if as_json:
        print_json(report)
        return
    typer.echo(f"fixes: {report['cleaning']['fixes_in']} in, {report['cleaning']['fixes_out']} kept")
    typer.echo(
        f"points: {len(report['points'])}, lines: {len(report['lines'])}, "
        f"missed: {len(report['missed'])}, late: {len(report['late'])}"
    )
    for unit, row in report["compliance"]["unit"].items():
        typer.echo(f"  {unit}: {row['met']}/{row['required']} ({row['compliance']:.0%})")
