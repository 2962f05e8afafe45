"""`xunfang serve`, `xunfang users add|mfa|revoke|enable`, `xunfang audit verify|checkpoint`."""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import Engine

from xunfang.core.cli_support import print_json
from xunfang.core.errors import CorruptData, InvalidInput
from xunfang.core.settings import get_settings
from xunfang.store.db import make_engine, session_factory
from xunfang.store.migrate import upgrade

# Python hands the GIL between threads every 5 ms by default. A request thread that holds the
# database write lock gives the GIL away at every statement and then waits up to that long to get
# it back, so under load the write lock is held mostly by waiting; a shorter interval keeps writes
# (and so intake latency) short at a small cost in throughput for CPU-bound threads.
SWITCH_INTERVAL_S = 0.0005


def tune_runtime() -> None:
    """Interpreter settings for a serving process, once everything long-lived is loaded.

    ``gc.freeze`` moves what start-up built (road graph, map layers, caches: millions of objects)
    out of the collector's reach; otherwise each full collection walked them all and stopped every
    thread for ~300 ms every 15 s under load. The switch interval: see SWITCH_INTERVAL_S."""
    gc.collect()
    gc.freeze()
    sys.setswitchinterval(SWITCH_INTERVAL_S)


DbOpt = Annotated[
    str | None, typer.Option("--db", help="database URL or SQLite file path (default: settings)")
]
users_app = typer.Typer(help="Manage service users.", no_args_is_help=True)
audit_app = typer.Typer(help="Inspect the hash-chained audit log.", no_args_is_help=True)


def db_url(db: str | None) -> str:
    """A URL from --db: URLs pass through, anything else is a SQLite file path."""
    if not db:
        url = get_settings().effective_database_url
    elif "://" in db:
        url = db
    else:
        url = f"sqlite:///{Path(db).expanduser().resolve()}"
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return url


def open_db(db: str | None) -> Engine:
    engine = make_engine(db_url(db))
    upgrade(engine)
    return engine


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="login name")],
    role: Annotated[
        str,
        typer.Option("--role", help="admin|commander|dispatcher|station|patrol|volunteer|analyst|auditor"),
    ],
    db: DbOpt = None,
    station: Annotated[str | None, typer.Option("--station", help="station code (station users)")] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="unit id (patrol/volunteer users)")] = None,
) -> None:
    """Create a user; the password is read from stdin (first line)."""
    from xunfang.store.users import Role, add_user

    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise InvalidInput(
            "no password on stdin (pipe it in: echo 'secret' | xunfang users add NAME --role ROLE)"
        )
    r = Role.parse(role)
    engine = open_db(db)
    with session_factory(engine)() as s, s.begin():
        add_user(s, name=name, role=r, password=password, station_code=station, unit_id=unit, actor="cli")
    typer.echo(f"user {name} ({r.value}) created")


@users_app.command("mfa")
def users_mfa(
    name: Annotated[str, typer.Argument(help="login name")],
    db: DbOpt = None,
    remove: Annotated[bool, typer.Option("--remove", help="turn MFA off for this user")] = False,
) -> None:
    """Enrol NAME for TOTP MFA: prints the otpauth:// URI and the secret (shown once; replaces any
    earlier secret). From then on a login needs the 6-digit code (form field 'otp')."""
    from xunfang.store.users import enrol_mfa, remove_mfa

    engine = open_db(db)
    with session_factory(engine)() as s, s.begin():
        if remove:
            remove_mfa(s, name=name, actor="cli")
        else:
            secret, uri = enrol_mfa(s, name=name, actor="cli")
    if remove:
        typer.echo(f"MFA removed for {name}")
        return
    typer.echo(f"otpauth URI: {uri}")
    typer.echo(f"secret: {secret}")
    typer.echo("add it to an authenticator app (scan the URI as a QR code or type the secret)")


@users_app.command("revoke")
def users_revoke(
    name: Annotated[str, typer.Argument(help="login name")],
    db: DbOpt = None,
    disable: Annotated[bool, typer.Option("--disable", help="also refuse new logins")] = False,
) -> None:
    """End every session of NAME: its tokens get 401 and its live feeds close within 5 s."""
    from xunfang.store.users import revoke

    engine = open_db(db)
    with session_factory(engine)() as s, s.begin():
        version = revoke(s, name=name, actor="cli", disable=disable)
    typer.echo(
        f"sessions of {name} revoked (session version {version})" + (", account disabled" if disable else "")
    )


@users_app.command("enable")
def users_enable(name: Annotated[str, typer.Argument(help="login name")], db: DbOpt = None) -> None:
    """Allow a disabled user to log in again."""
    from xunfang.store.users import enable

    engine = open_db(db)
    with session_factory(engine)() as s, s.begin():
        enable(s, name=name, actor="cli")
    typer.echo(f"user {name} enabled")


def _checkpoint_path(path: Path | None) -> Path:
    from xunfang.store.audit_checkpoint import FILE_NAME

    return path if path is not None else get_settings().state_dir / FILE_NAME


CheckpointOpt = Annotated[
    Path | None, typer.Option("--checkpoints", help="signed checkpoint file (default: state_dir)")
]


@audit_app.command("verify")
def audit_verify(
    db: DbOpt = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    checkpoints: CheckpointOpt = None,
) -> None:
    """Check the audit chain and the signed checkpoints; exit code 3 naming the first bad seq."""
    from sqlalchemy import func, select

    from xunfang.store import audit_checkpoint
    from xunfang.store.models import AuditEntry

    engine = open_db(db)
    path = _checkpoint_path(checkpoints)
    with session_factory(engine)() as s, s.begin():
        rep = audit_checkpoint.check(s, path, get_settings().secret_key)
        rows = int(s.execute(select(func.count()).select_from(AuditEntry)).scalar_one())
    problems = rep.problems
    if as_json:
        print_json(
            {
                "rows": rows,
                "ok": rep.ok,
                "problems": problems,
                "first_bad_seq": rep.first_bad_seq,
                "checkpoints": rep.checkpoints,
            }
        )
    else:
        typer.echo(
            f"audit log: {rows} rows, {rep.checkpoints} checkpoint(s), "
            + ("chain intact" if not problems else f"{len(problems)} problem(s)")
        )
    if problems:
        raise CorruptData(f"audit chain broken from seq {rep.first_bad_seq}: " + "; ".join(problems[:5]))


@audit_app.command("checkpoint")
def audit_checkpoint_cmd(db: DbOpt = None, checkpoints: CheckpointOpt = None) -> None:
    """Append a signed (HMAC, secret key) checkpoint of the audit head to a file outside the database
    (run it from cron, e.g. every minute)."""
    from xunfang.store import audit_checkpoint

    engine = open_db(db)
    path = _checkpoint_path(checkpoints)
    with session_factory(engine)() as s, s.begin():
        line = audit_checkpoint.write(s, path, get_settings().secret_key)
    typer.echo(f"checkpoint seq {line['seq']} written to {path}")


def serve(  # noqa: PLR0917 (Typer options)
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 8000,
    db: DbOpt = None,
    demo: Annotated[str | None, typer.Option("--demo", help="seed a demo city: chicago | beijing")] = None,
    log_level: Annotated[str, typer.Option("--log-level")] = "warning",
    workers: Annotated[
        int, typer.Option("--workers", min=1, max=64, help="worker processes (2+ need Redis)")
    ] = 1,
    standby: Annotated[
        bool,
        typer.Option(
            "--standby",
            help="keep a warm standby process that takes over within a second if the serving one dies",
        ),
    ] = False,
) -> None:
    """Run the live command service (FastAPI on uvicorn)."""
    import uvicorn

    from xunfang.api.app import create_app
    from xunfang.api.bootstrap import build_context, seed_demo

    if standby and workers > 1:
        raise InvalidInput(
            "--standby is for one serving process; with --workers N the other workers take over"
        )
    if standby:
        from xunfang.api import standby as warm_standby

        engine = open_db(db)
        if demo:
            seed_demo(engine, demo, echo=typer.echo)
        engine.dispose()
        typer.echo(f"xunfang service on http://{host}:{port}/api/v1 with a warm standby")
        warm_standby.run(db_url(db), host=host, port=port, log_level=log_level)
        return
    if workers > 1:
        from xunfang.api import workers as several

        url = db_url(db)
        several.check_url(url, workers)
        several.check_redis(get_settings().redis_url)
        engine = open_db(db)
        if demo:
            seed_demo(engine, demo, echo=typer.echo)
        engine.dispose()
        typer.echo(f"xunfang service on http://{host}:{port}/api/v1 with {workers} workers")
        several.run(url, host=host, port=port, workers=workers, log_level=log_level)
        return
    engine = open_db(db)
    ctx = build_context(engine, demo=demo, echo=typer.echo)
    app = create_app(ctx)
    from xunfang.api.routers.map import warm

    warm(app, echo=typer.echo)
    typer.echo(f"xunfang service on http://{host}:{port}/api/v1 (OpenAPI: /api/v1/openapi.json)", err=False)
    tune_runtime()
    uvicorn.run(app, host=host, port=port, log_level=log_level)


def backup(
    out: Annotated[Path, typer.Argument(help="backup file to write (pg_dump -Fc, or a SQLite copy)")],
    db: DbOpt = None,
) -> None:
    """Back up a live database (consistent snapshot; the service may keep running)."""
    from xunfang.store import backup as bk

    took = bk.backup(db_url(db), out)
    typer.echo(f"backup written to {out} ({out.stat().st_size / 1e6:.1f} MB) in {took:.1f} s")


def restore(
    src: Annotated[Path, typer.Argument(help="backup file from `xunfang backup`")],
    db: DbOpt = None,
) -> None:
    """Restore a backup into an empty database, then verify its audit chain."""
    from xunfang.store import backup as bk

    url = db_url(db)
    took = bk.restore(url, src, make_engine(url))
    engine = make_engine(url)
    upgrade(engine)  # a backup from an older release comes back at the current schema
    incidents, rows = bk.check(engine)
    typer.echo(f"restored {incidents} incidents in {took:.1f} s; audit chain intact ({rows} rows)")
