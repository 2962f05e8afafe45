"""``xunfang simulate``: replay a day against a plan; ``xunfang simulate compare``: plans side by side."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer

from xunfang.core.cli_support import print_json
from xunfang.core.errors import InvalidInput

app = typer.Typer(
    help="Simulate a day of incidents against a deployment plan (the live dispatch code, real roads).",
    invoke_without_command=True,
)

PLAN_HELP = (
    "stations:N | optimised:N | path to a plan JSON ({'name', 'units': [{'id','force_type','lon','lat'}]})"
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
    as_json: Json = False,
) -> None:
    """Compare plans on the same real days; gains against the first plan with 95% intervals."""
    from datetime import timedelta

    from xunfang.simulation import runner
    from xunfang.simulation.compare import paired_gain, score_plan
    from xunfang.simulation.scenario import DayIncidents

    if len(plans) < 2:
        raise InvalidInput("compare: give at least two plans")
    on = _date(day)
    engine, history = runner.city(city)
    real = [DayIncidents.real(history, on + timedelta(days=k)) for k in range(days)]
    scores = [score_plan(engine, runner.resolve_plan(p, city, on), real, seed=seed) for p in plans]
    base = scores[0]
    out: dict[str, Any] = {"days": days, "from": on.isoformat(), "plans": {}}
    for s in scores:
        entry: dict[str, Any] = {f"share_{m}min": round(sum(v) / len(v), 4) for m, v in s.share.items()}
        if s is not base:
            entry["gain_vs_first"] = {f"{m}min": paired_gain(base.share[m], s.share[m]) for m in s.share}
        out["plans"][s.name] = entry
    if as_json:
        print_json(out)
    else:
        for name, entry in out["plans"].items():
            typer.echo(f"{name}: within 3 min {entry['share_3min']:.1%}")
