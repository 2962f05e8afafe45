"""``xunfang bench …``: one sub-command per benchmark, each printing one JSON object."""

from __future__ import annotations

from typing import Annotated

import typer

from xunfang.core.cli_support import print_json

app = typer.Typer(
    help="Benchmarks (one JSON object each; keys explained in docs/benchmarks.md).", no_args_is_help=True
)


@app.command("network")
def network(
    as_json: Annotated[bool, typer.Option("--json", help="print the JSON result")] = False,
    quick: Annotated[bool, typer.Option("--quick", help="small city, few incidents (smoke test)")] = False,
    city_nodes: Annotated[int | None, typer.Option(help="nodes of the synthetic city")] = None,
) -> None:
    """Road-network engine on Chicago and a 1M-node city: latency, speed-up, agreement."""
    from dataclasses import replace

    from xunfang.bench.network import BenchConfig, run

    cfg = BenchConfig.quick() if quick else BenchConfig()
    if city_nodes is not None:
        cfg = replace(cfg, city_nodes=city_nodes)
    result = run(cfg)
    if as_json:
        print_json(result)
        return
    for name, t in result["targets"].items():
        mark = "met   " if t["met"] else "MISSED"
        typer.echo(f"{mark} {name} = {t['value']}")


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


@app.command()
def simulation(
    as_json: Annotated[bool, typer.Option("--json", help="print JSON (the only output format)")] = True,
    quick: Annotated[bool, typer.Option("--quick", help="smaller loads (smoke test)")] = False,
) -> None:
    """Simulator: events/s vs SimPy, Chicago city-day time, determinism, hypercube, plan gain."""
    from xunfang.bench import simulation as bench

    print_json(bench.run(quick=quick))
