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
