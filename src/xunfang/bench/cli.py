"""``xunfang bench …``: benchmarks on the real data, printed as JSON."""

from __future__ import annotations

from typing import Annotated

import typer

from xunfang.core.cli_support import print_json

app = typer.Typer(help="Benchmarks on the shared real data.", no_args_is_help=True)


@app.command()
def planning(  # noqa: PLR0917 (Typer options)
    as_json: Annotated[bool, typer.Option("--json", help="print JSON (the only output format)")] = True,
    spopt: Annotated[bool, typer.Option(help="also solve the posts instance with pysal spopt")] = True,
    time_limit: Annotated[float, typer.Option(help="seconds for the exact posts solve")] = 60.0,
    gap: Annotated[
        float, typer.Option(help="relative gap tolerance of the posts solve (ours and spopt's)")
    ] = 0.005,
    units: Annotated[int, typer.Option(help="units in the supervision workload")] = 1000,
    pyvrp_seconds: Annotated[
        float, typer.Option(help="run time of the PyVRP reference per zone-shift")
    ] = 60.0,
) -> None:
    """Posts (gap, speed-up vs spopt, covered share vs stations) and supervision (time, F1)."""
    from xunfang.bench import planning as bench

    result = {
        "posts": bench.bench_posts(spopt=spopt, time_limit_s=time_limit, gap=gap),
        "supervision": bench.bench_supervision(units=units),
        "routes": bench.bench_routes(reference_s=pyvrp_seconds),
    }
    print_json(result)
