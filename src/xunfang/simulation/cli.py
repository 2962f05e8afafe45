"""``xunfang simulate``: replay a day against a plan; ``xunfang simulate compare``: plans side by side."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from xunfang.core.cli_support import print_json
from xunfang.core.errors import InvalidInput

app = typer.Typer(
    help="Simulate a day of incidents against a deployment plan (the live dispatch code, real roads).",
    invoke_without_command=True,
)

PLAN_HELP = (
    "stations:N | optimised:N | routes:N | staffing:N | path to a plan JSON "
    "({'name', 'units': [{'id', 'force_type', 'lon', 'lat' | 'post', 'shift', 'route', 'duty'}], "
    "'posts', 'routes'}; docs/simulation.md)"
)
City = Annotated[str, typer.Option(help="city with a real incident history")]
Day = Annotated[str, typer.Option("--date", help="YYYY-MM-DD, a day of the history")]
Reps = Annotated[int, typer.Option(help="replications (seeds) of the day")]
Seed = Annotated[int, typer.Option(help="seed of the first replication")]
Volume = Annotated[int, typer.Option(help="simulated calls instead of the real records (0: real only)")]
Json = Annotated[bool, typer.Option("--json", help="print JSON")]


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"--date {text!r}: expected YYYY-MM-DD") from None


def _show(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(result)
        return
    for key in ("plan", "units", "date", "incidents"):
        if key in result:
            typer.echo(f"{key}: {result[key]}")
    for m, v in result.get("share_within", {}).items():
        typer.echo(f"reached within {m}: {v['mean']:.1%} (95% CI {v['ci_low']:.1%} .. {v['ci_high']:.1%})")
    cover = result.get("coverage", {}).get("demand_3min")
    if cover:
        typer.echo(f"incidents' places within 3 min of an available unit: {cover['mean']:.1%} (day mean)")


@app.callback()
def simulate(  # noqa: PLR0917 (Typer options)
    ctx: typer.Context,
    plan: Annotated[str, typer.Option(help=PLAN_HELP)] = "stations:100",
    city: City = "chicago",
    day: Day = "2019-07-04",
    replications: Reps = 10,
    seed: Seed = 1,
    volume: Volume = 0,
    as_json: Json = False,
) -> None:
    """Replay a real day (or a sampled call volume) against a plan and report response times."""
    if ctx.invoked_subcommand is not None:
        return
    from xunfang.simulation import runner

    on = _date(day)
    result = runner.simulate(
        city, runner.resolve_plan(plan, city, on), on, replications=replications, seed=seed, volume=volume
    )
    _show(result, as_json)


@app.command()
def compare(  # noqa: PLR0917 (Typer options)
    plans: Annotated[list[str], typer.Argument(help=PLAN_HELP)],
    city: City = "chicago",
    day: Day = "2019-07-04",
    days: Annotated[int, typer.Option(help="consecutive real days from --date (paired replications)")] = 10,
    seed: Seed = 1,
    charts: Annotated[
        Path | None, typer.Option(help="write response_times.svg and coverage_by_hour.svg here")
    ] = None,
    as_json: Json = False,
) -> None:
    """Compare plans on the same real days (common random numbers): figures with 95% intervals and
    paired gains against the first plan."""
    from datetime import timedelta

    from xunfang.simulation import runner
    from xunfang.simulation.compare import comparison, score_plan
    from xunfang.simulation.scenario import DayIncidents

    if len(plans) < 2:
        raise InvalidInput("compare: give at least two plans")
    if days < 2:
        raise InvalidInput(f"--days {days}: a comparison needs at least two days (paired replications)")
    on = _date(day)
    engine, history = runner.city(city)
    real = [DayIncidents.real(history, on + timedelta(days=k)) for k in range(days)]
    weights = runner.coverage_weights(engine, city, on)
    scores, seen = [], set()
    for spec in plans:
        plan = runner.resolve_plan(spec, city, on)
        score = score_plan(engine, plan, real, seed=seed, demand_weights=weights)
        name, k = score.name, 2
        while name in seen:
            name, k = f"{score.name}#{k}", k + 1
        seen.add(name)
        scores.append(replace(score, name=name))
    out: dict[str, Any] = {"days": days, "from": on.isoformat(), "seed": seed, "plans": comparison(scores)}
    if charts is not None:
        from xunfang.simulation.charts import write_charts

        out["charts"] = write_charts(scores, charts)
    if as_json:
        print_json(out)
    else:
        for name, entry in out["plans"].items():
            ci = entry["share_ci"]["3min"]
            cov = entry["coverage"]["demand_3min"]
            typer.echo(
                f"{name}: within 3 min {ci['mean']:.1%} (95% CI {ci['ci_low']:.1%} .. {ci['ci_high']:.1%}); "
                f"incidents' places covered within 3 min {cov['mean']:.1%}"
            )
        for path in out.get("charts", []):
            typer.echo(f"chart: {path}")
