"""The ``xunfang`` command line: one Typer app; each domain adds its own sub-commands.

Every user error is a :class:`~xunfang.core.errors.XunfangError`; :func:`main` turns it into one
line on stderr and the error's exit code, never a traceback.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from xunfang.core import geo
from xunfang.core.cli_support import print_json
from xunfang.core.errors import XunfangError

# Negative longitudes ("-87.6,41.8") look like options to click; let them through as arguments.
COORD_ARGS = {"ignore_unknown_options": True, "allow_interspersed_args": True}

app = typer.Typer(
    name="xunfang",
    help="xunfang (巡防): smart patrol and prevention platform for police command centres.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.command(context_settings=COORD_ARGS)
def coords(
    point: Annotated[str, typer.Argument(help="LON,LAT")],
    src: Annotated[str, typer.Option("--from", help="wgs84 | gcj02 | cgcs2000")] = "wgs84",
    dst: Annotated[str, typer.Option("--to", help="wgs84 | gcj02 | cgcs2000")] = "gcj02",
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Convert a coordinate between WGS84, GCJ-02 and CGCS2000."""
    lon, lat = geo.parse_lonlat(point, name="LON,LAT")
    out_lon, out_lat = geo.convert(lon, lat, src, dst)
    result = {"lon": round(float(out_lon), 8), "lat": round(float(out_lat), 8)}
    if as_json:
        print_json(result)
    else:
        typer.echo(f"{result['lon']},{result['lat']}")


@app.callback()
def _root() -> None:
    """xunfang (巡防): smart patrol and prevention platform for police command centres."""


def _register() -> None:
    """Attach the domain sub-commands (imported here so `xunfang --help` stays one place)."""
    from xunfang.analysis import cli as analysis_cli
    from xunfang.api import cli as api_cli
    from xunfang.bench import cli as bench_cli
    from xunfang.bench import reliability as bench_reliability
    from xunfang.bench import service as bench_service
    from xunfang.demo import cli as demo_cli
    from xunfang.network import cli as network_cli
    from xunfang.planning import cli as planning_cli
    from xunfang.reports import cli as reports_cli
    from xunfang.simulation import cli as simulation_cli
    from xunfang.supervision import cli as supervision_cli

    app.add_typer(network_cli.app, name="network")
    app.command(context_settings=COORD_ARGS)(network_cli.route)
    app.command()(api_cli.serve)
    app.command()(api_cli.backup)
    app.command()(api_cli.restore)
    app.command()(demo_cli.demo)
    app.add_typer(api_cli.users_app, name="users")
    app.add_typer(api_cli.audit_app, name="audit")
    app.add_typer(analysis_cli.app, name="analyze")
    app.add_typer(planning_cli.app, name="plan")
    app.command()(supervision_cli.supervise)
    app.add_typer(simulation_cli.app, name="simulate")
    app.command(name="report")(reports_cli.report)
    app.command(name="report-due")(reports_cli.report_due)
    app.add_typer(bench_cli.app, name="bench")
    bench_service.attach(app)  # joins the existing `bench` group
    bench_reliability.attach(app)


_register()


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app, turning xunfang errors into one clear line and an exit code.

    ``argv`` (default: the process arguments) lets tests run the real entry point in-process.
    """
    try:
        app(args=argv, prog_name="xunfang")
    except XunfangError as exc:
        sys.stderr.write(f"xunfang: error: {exc.message}\n")
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
