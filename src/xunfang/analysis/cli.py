"""``xunfang analyze ...``: imports, backtests, risk classes, profiles, statistics, warnings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer

from xunfang.analysis import backtest as bt
from xunfang.analysis.history import parse_map
from xunfang.analysis.report import plot, table
from xunfang.analysis.sources import PRESETS, Districts, load_incidents
from xunfang.core.cli_support import dumps, print_json
from xunfang.core.errors import InvalidInput

app = typer.Typer(help="Intelligence-led analysis (研判): history, hotspot forecasts, statistics, warnings.")

Incidents = Annotated[
    str, typer.Option("--incidents", help=f"preset ({', '.join(PRESETS)}) or a CSV/zip path")
]
MapOpt = Annotated[
    list[str] | None,
    typer.Option("--map", help="column/CRS mapping KEY=VALUE (time, x, y, crs, category, district, id, tz)"),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]


def _load(incidents: str, mapping: list[str] | None) -> tuple[pd.DataFrame, Any, Districts | None]:
    return load_incidents(incidents, mapping=parse_map(mapping or []))


def _network(incidents: str, network: str | None) -> Any:
    from xunfang.core.settings import get_settings
    from xunfang.network.loaders.gmns import load_gmns

    preset = PRESETS.get(incidents)
    folder = Path(network) if network else None
    if folder is None and preset is not None and preset.network:
        folder = get_settings().data_dir / preset.network
    return load_gmns(folder, name=incidents) if folder is not None else None


@app.command("import")
def import_(
    incidents: Incidents,
    mapping: MapOpt = None,
    out: Annotated[Path | None, typer.Option("--out", help="write the history as Parquet")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Import an incident history and report every rejected row by reason."""
    from xunfang.analysis.history import save_parquet

    history, report, _ = _load(incidents, mapping)
    if out is not None:
        save_parquet(history, out)
    if as_json:
        print_json(report.as_dict())
    else:
        d = report.as_dict()
        typer.echo(
            f"{d['source']}: read {d['rows_read']}, kept {d['rows_kept']} ({d['first']} .. {d['last']})"
        )
        for reason, n in d["rejected"].items():
            typer.echo(f"  rejected {n}: {reason}")


@app.command()
def backtest(  # noqa: PLR0917
    incidents: Incidents,
    train: Annotated[str, typer.Option("--train", help="FROM:TO training period (ISO dates, inclusive)")],
    test: Annotated[str, typer.Option("--test", help="FROM:TO test period (ISO dates, inclusive)")],
    horizon: Annotated[str, typer.Option("--horizon", help="forecast window, e.g. 7d")] = "7d",
    cell: Annotated[float, typer.Option("--cell", help="grid cell size in metres")] = 250.0,
    methods: Annotated[str, typer.Option("--methods", help="comma-separated methods")] = ",".join(
        bt.ALL_METHODS
    ),
    network: Annotated[
        str | None, typer.Option("--network", help="GMNS folder for segment forecasts")
    ] = None,
    mapping: MapOpt = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="folder for backtest.json, table and plot")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Rolling-origin backtest of hotspot forecasters: hit rate, PAI, PEI*, log-likelihood, runtime."""
    names = tuple(m.strip() for m in methods.split(",") if m.strip())
    cfg = bt.BacktestConfig(
        train=bt.parse_period(train, "--train"),
        test=bt.parse_period(test, "--test"),
        horizon=bt.parse_horizon(horizon),
        cell=cell,
        methods=names,
    )
    cfg.check()
    history, _, districts = _load(incidents, mapping)
    if "network" in names:
        cfg.network = _network(incidents, network)
    result = bt.run_backtest(history, cfg, districts=districts, source=incidents)
    text = table(result)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "backtest.json").write_text(dumps(result) + "\n", encoding="utf-8")
        (out / "backtest.txt").write_text(text + "\n", encoding="utf-8")
        plot(result, out / "hit_rate.png")
    if as_json:
        print_json(result)
    else:
        typer.echo(text)


def _json_arg(text: str | None, option: str) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise InvalidInput(f"{option}: not valid JSON ({text[:40]!r})") from None


def _date(text: str, option: str) -> pd.Timestamp:
    try:
        return pd.Timestamp(text).normalize()
    except (ValueError, TypeError):
        raise InvalidInput(f"{option}: cannot read {text!r} as a date; expected YYYY-MM-DD") from None


def _default_at(history: pd.DataFrame) -> pd.Timestamp:
    return pd.Timestamp(pd.to_datetime(history["time"]).max()).normalize() + pd.Timedelta(days=1)


@app.command()
def risk(  # noqa: PLR0917
    incidents: Incidents,
    at: Annotated[
        str | None, typer.Option("--at", help="forecast from this date (default: day after the history)")
    ] = None,
    horizon: Annotated[str, typer.Option("--horizon", help="forecast window, e.g. 7d")] = "7d",
    cell: Annotated[float, typer.Option("--cell", help="grid cell size in metres")] = 250.0,
    method: Annotated[str, typer.Option("--method", help="grid forecaster")] = "ensemble",
    red: Annotated[
        float, typer.Option("--red", help="red threshold (quantile, or per km² with --mode absolute)")
    ] = 0.95,
    yellow: Annotated[float, typer.Option("--yellow", help="yellow threshold")] = 0.80,
    mode: Annotated[str, typer.Option("--mode", help="quantile | absolute")] = "quantile",
    polygons: Annotated[bool, typer.Option("--polygons", help="classify districts instead of cells")] = False,
    mapping: MapOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Red/yellow/blue risk classes from a forecast, as GeoJSON."""
    from xunfang.analysis.risk import Thresholds, cell_classes, forecast, polygon_classes

    th = Thresholds(red=red, yellow=yellow, mode=mode)
    th.check()
    history, _, districts = _load(incidents, mapping)
    when = _date(at, "--at") if at else _default_at(history)
    grid, pred = forecast(
        history, at=when, horizon=bt.parse_horizon(horizon), cell=cell, method=method, districts=districts
    )
    if polygons:
        if districts is None:
            raise InvalidInput(f"--polygons: source {incidents!r} has no district polygons")
        result = polygon_classes(grid, pred, districts, th)
    else:
        result = cell_classes(grid, pred, th)
    if as_json:
        print_json(result)
    else:
        counts: dict[str, int] = {}
        for f in result["features"]:
            counts[f["properties"]["risk"]] = counts.get(f["properties"]["risk"], 0) + 1
        typer.echo(f"risk classes from {when.date()} ({method}): {counts}")


@app.command()
def profile(  # noqa: PLR0917
    incidents: Incidents,
    zone: Annotated[str | None, typer.Option("--zone", help="district")] = None,
    category: Annotated[str | None, typer.Option("--category")] = None,
    share: Annotated[float, typer.Option("--share", help="share of incidents the patrol window holds")] = 0.5,
    mapping: MapOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Hour × weekday profile and the key patrol window."""
    from xunfang.analysis.profiles import profile as make_profile

    history, _, _ = _load(incidents, mapping)
    result = make_profile(history, zone=zone, category=category, share=share)
    if as_json:
        print_json(result)
    else:
        w = result["patrol_window"]
        text = (
            f"{w['start']}-{w['end']} ({w['hours']} h, {w['share']:.0%})" if w else "no time of day in data"
        )
        typer.echo(f"{result['incidents']} incidents; patrol window for {share:.0%}: {text}")


@app.command()
def stats(
    incidents: Incidents,
    date: Annotated[str, typer.Option("--date", help="a day inside the period")],
    period: Annotated[str, typer.Option("--period", help="day | week | month")] = "week",
    mapping: MapOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Counts per category and district for a period, with 环比 and 同比 change."""
    from xunfang.analysis.stats import period_stats

    history, _, _ = _load(incidents, mapping)
    result = period_stats(history, period=period, date=_date(date, "--date"))
    if as_json:
        print_json(result)
    else:
        t = result["total"]
        typer.echo(
            f"{period} {result['start'][:10]}: {t['count']} incidents; 环比 {t['previous']} ({t['mom']}), "
            f"同比 {t['last_year']} ({t['yoy']})"
        )


@app.command()
def warnings(
    incidents: Incidents,
    at: Annotated[
        str | None, typer.Option("--at", help="end of the checked week (default: after history)")
    ] = None,
    weeks: Annotated[int, typer.Option("--weeks", help="trailing windows")] = 15,
    mapping: MapOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Incident-surge warnings per district (Poisson upper bound and 15-week-mean rules)."""
    from xunfang.analysis.alerts import surge_warnings

    history, _, _ = _load(incidents, mapping)
    when = _date(at, "--at") if at else _default_at(history)
    result = surge_warnings(history, at=when, weeks=weeks)
    if as_json:
        print_json(result)
    else:
        for w in result["warnings"]:
            rules = ", ".join(w["rules"])
            typer.echo(f"{w['level']:<7}{w['zone']:<8}{w['count']} vs mean {w['trailing_mean']} ({rules})")
