# ruff: noqa: PLR0917
"""``xunfang plan …``: posts, routes, staffing and the day plan (JSON out)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

import numpy as np
import typer

from xunfang.core.cli_support import print_json
from xunfang.core.errors import DataNotFound, InvalidInput
from xunfang.core.settings import get_settings
from xunfang.network.graph import RoadGraph
from xunfang.network.io import load_city
from xunfang.network.travel import Mode, TravelModel

app = typer.Typer(
    help="Plan posts, patrol routes, staffing and the day's duty schedule.", no_args_is_help=True
)

CityOpt = Annotated[str, typer.Option("--city", help="network: a known city or a path")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]
INCIDENTS = {"chicago": "chicago/chicago_aggravated_assaults_2010_2019.csv.gz"}


def _incidents(city: str) -> Any:
    rel = INCIDENTS.get(city.lower())
    if rel is None:
        raise DataNotFound(
            f"no incident history for city '{city}'; planning weights exist for: {', '.join(INCIDENTS)}"
        )
    return get_settings().data_dir / rel


def _weights(g: RoadGraph, city: str, end: date, days: int) -> np.ndarray:
    from xunfang.planning.demand import demand_weights

    return demand_weights(g, _incidents(city), start=end - timedelta(days=days), end=end)


def _emit(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(result)
    else:
        for k, v in result.items():
            if not isinstance(v, list | dict):
                typer.echo(f"{k}: {v}")


@app.command()
def posts(
    city: CityOpt = "chicago",
    n_posts: Annotated[int, typer.Option("--posts", help="number of posts")] = 40,
    standard: Annotated[float, typer.Option(help="response standard, minutes by road")] = 3.0,
    mode: Annotated[str, typer.Option(help="travel mode of the posts' units")] = "car",
    hour: Annotated[int, typer.Option(help="hour of day for travel times")] = 12,
    method: Annotated[str, typer.Option(help="exact | heuristic")] = "exact",
    candidates: Annotated[str, typer.Option(help="nodes (every network node) | stations")] = "nodes",
    time_limit: Annotated[float, typer.Option(help="seconds for the exact solve")] = 60.0,
    gap: Annotated[float, typer.Option(help="stop once the proven relative gap is at most this")] = 0.005,
    until: Annotated[str, typer.Option(help="training window end (YYYY-MM-DD)")] = "2019-01-01",
    days: Annotated[int, typer.Option(help="training window length in days")] = 365,
    as_json: JsonOpt = False,
) -> None:
    """Place posts to cover the most expected incidents within the standard (maximal covering)."""
    from xunfang.planning.coverage import coverage_matrix
    from xunfang.planning.posts import MaximalCovering

    g = load_city(city)
    w = _weights(g, city, date.fromisoformat(until), days)
    demand = np.flatnonzero(w > 0)
    if candidates not in ("nodes", "stations"):
        raise InvalidInput(f"--candidates must be nodes or stations, got {candidates!r}", field="candidates")
    from xunfang.planning.sites import station_nodes

    sites = np.arange(g.n_nodes) if candidates == "nodes" else station_nodes(g)
    A = coverage_matrix(
        g, TravelModel().edge_seconds(g, Mode.parse(mode), hour), demand, sites, standard * 60
    )
    m = MaximalCovering.from_coverage(A, w[demand], n_posts).solve(
        method="exact" if method == "exact" else "heuristic", time_limit_s=time_limit, mip_gap=gap
    )
    sel = sites[m.selected]
    _emit(
        {
            "city": city,
            "posts": n_posts,
            "standard_min": standard,
            "mode": mode,
            "method": m.result.method,
            "status": m.result.status,
            "gap": round(m.gap, 6),
            "seconds": round(m.result.seconds, 2),
            "covered_share": round(m.covered_share, 4),
            "incidents": int(w.sum()),
            "sites": [
                {"node": int(v), "lon": round(float(g.node_lon[v]), 6), "lat": round(float(g.node_lat[v]), 6)}
                for v in sel
            ],
        },
        as_json,
    )


@app.command()
def routes(
    city: CityOpt = "chicago",
    station: Annotated[int, typer.Option(help="index of the police station used as base")] = 0,
    shift_h: Annotated[float, typer.Option(help="shift length in hours")] = 4.0,
    n_points: Annotated[int, typer.Option("--points", help="must-patrol points from the demand")] = 30,
    n_lines: Annotated[int, typer.Option("--lines", help="must-patrol lines from the demand")] = 10,
    dwell_min: Annotated[float, typer.Option(help="dwell at each point, minutes")] = 10.0,
    mode: Annotated[str, typer.Option(help="travel mode")] = "car",
    hour: Annotated[int, typer.Option(help="hour of day for travel times")] = 20,
    time_limit: Annotated[float, typer.Option(help="seconds of search")] = 5.0,
    until: Annotated[str, typer.Option(help="training window end (YYYY-MM-DD)")] = "2019-01-01",
    as_json: JsonOpt = False,
) -> None:
    """A patrol route from a station through top-risk points and lines within the shift."""
    from xunfang.planning.routes import PatrolRouter
    from xunfang.planning.sites import station_nodes
    from xunfang.planning.targets import targets_from_demand

    g = load_city(city)
    w = _weights(g, city, date.fromisoformat(until), 365)
    es = TravelModel().edge_seconds(g, Mode.parse(mode), hour)
    base = int(station_nodes(g)[station])
    targets = targets_from_demand(g, es, w, base, points=n_points, lines=n_lines, dwell_s=dwell_min * 60)
    r = PatrolRouter(g, es, base, targets, shift_h * 3600).solve(time_limit_s=time_limit)
    lon = (
        g.geom_lon[np.concatenate([np.arange(g.geom_ptr[e], g.geom_ptr[e + 1]) for e in r.edges])]
        if r.edges.size
        else []
    )
    lat = (
        g.geom_lat[np.concatenate([np.arange(g.geom_ptr[e], g.geom_ptr[e + 1]) for e in r.edges])]
        if r.edges.size
        else []
    )
    _emit(
        {
            "city": city,
            "base_node": base,
            "shift_h": shift_h,
            "targets": len(targets),
            "visited": len(r.order),
            "duration_min": round(r.seconds / 60, 1),
            "risk_collected": r.prize,
            "risk_share": round(r.prize_share, 4),
            "stops": r.stops,
            "geometry": {
                "type": "LineString",
                "coordinates": [
                    [round(float(a), 6), round(float(b), 6)] for a, b in zip(lon, lat, strict=True)
                ],
            },
        },
        as_json,
    )


def _rules(sworn: int, volunteers: int, k9: int, shift_hours: int) -> Any:
    from xunfang.planning.staffing import ForceRules

    return ForceRules(headcount={"sworn": sworn, "volunteer": volunteers, "k9": k9}, shift_hours=shift_hours)


@app.command()
def staffing(
    city: CityOpt = "chicago",
    sworn: Annotated[int, typer.Option(help="sworn officers on duty over the day")] = 300,
    volunteers: Annotated[int, typer.Option(help="volunteer teams")] = 60,
    k9: Annotated[int, typer.Option(help="K9 teams (night only)")] = 6,
    shift_hours: Annotated[int, typer.Option(help="8 or 12")] = 8,
    until: Annotated[str, typer.Option(help="training window end (YYYY-MM-DD)")] = "2019-01-01",
    as_json: JsonOpt = False,
) -> None:
    """Units per zone and hour, sized from the expected incidents, under the force rules."""
    from xunfang.planning.demand import zone_hour_demand
    from xunfang.planning.staffing import staff

    end = date.fromisoformat(until)
    zones, demand = zone_hour_demand(_incidents(city), start=end - timedelta(days=365), end=end)
    units = staff(demand, _rules(sworn, volunteers, k9, shift_hours))
    _emit({"city": city, "zones": zones, **{k: v.tolist() for k, v in units.items()}}, as_json)


@app.command()
def day(
    day_: Annotated[str, typer.Option("--date", help="the day to plan (YYYY-MM-DD)")],
    city: CityOpt = "chicago",
    sworn: Annotated[int, typer.Option(help="sworn officers on duty over the day")] = 300,
    volunteers: Annotated[int, typer.Option(help="volunteer teams")] = 60,
    k9: Annotated[int, typer.Option(help="K9 teams (night only)")] = 6,
    shift_hours: Annotated[int, typer.Option(help="8 or 12")] = 8,
    as_json: JsonOpt = False,
) -> None:
    """The day's schedule hour by hour: units, duty mode (guard/patrol), night emphasis, where."""
    from xunfang.planning.daybook import assignments
    from xunfang.planning.demand import zone_hour_demand
    from xunfang.planning.duty import day_plan

    when = date.fromisoformat(day_)
    start = when - timedelta(days=365)
    zones, demand = zone_hour_demand(_incidents(city), start=start, end=when)
    g = load_city(city)
    posts_by_zone, lines_by_zone = assignments(g, _incidents(city), start=start, end=when)
    rows = day_plan(
        demand, zones, _rules(sworn, volunteers, k9, shift_hours), posts=posts_by_zone, lines=lines_by_zone
    )
    _emit(
        {"city": city, "date": day_, "training": [start.isoformat(), when.isoformat()], "schedule": rows},
        as_json,
    )
