"""`xunfang bench reliability`: crash, database-restart, disk-full, privacy, audit, fuzz and surge
figures from one run, as JSON and (optionally) as docs/RELIABILITY.md.

Every number printed is measured in the run that prints it; what this command does not measure is
listed under ``not_measured`` with the reason, never filled in.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import secrets
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from xunfang.bench import rel_extra
from xunfang.bench.service import PG_DEFAULT
from xunfang.core.cli_support import print_json

SCENARIOS = (
    "crash", "db_restart", "disk_full", "privacy", "audit", "fuzz", "surge", "workers", "backup",
    *rel_extra.SCENARIOS,
)  # fmt: skip

NOT_MEASURED = {
    "backup.data_at_risk_s": "depends on the deployment's backup interval / WAL archiving, not "
    "on this command (see docs/service.md, Backup and restore)",
    "read_only.sqlite": "a running SQLite server cannot be made read-only here (see RELIABILITY.md)",
}


@dataclass(frozen=True)
class Profile:
    kills: int
    fuzz_examples: int
    surge_s: float
    capacity_steps: int = 0  # bisection steps of the surge's capacity search (0: none)
    capacity_step_s: float = 60.0
    incidents_per_s: float = 50.0
    positions_per_s: float = 2000.0
    # the surge's server runs as this many worker processes (one GIL each): the host's cores, up to 4
    surge_workers: int = field(default_factory=lambda: min(os.cpu_count() or 1, 4))
    worker_restarts: int = 1  # rolling restarts of `serve --workers 2`
    worker_kills: int = 1  # single workers SIGKILLed after them
    backup_incidents: int = 20_000  # generated rows dumped and restored (full: 1,000,000)

    @classmethod
    def quick(cls) -> Profile:
        return cls(kills=5, fuzz_examples=5, surge_s=10.0)

    @classmethod
    def full(cls) -> Profile:
        return cls(
            kills=20,
            fuzz_examples=1000,  # ~190 cases/s: about 80,000 cases (the target is 50,000)
            surge_s=600.0,
            capacity_steps=5,  # the share to 1/16
            worker_restarts=3,
            worker_kills=3,
            backup_incidents=1_000_000,
        )


def run(profile: Profile, only: set[str], pg_url: str) -> dict[str, Any]:
    from xunfang.bench import rel_checks, rel_faults, rel_fuzz

    result: dict[str, Any] = {"run": provenance(), "profile": profile.__dict__}
    with tempfile.TemporaryDirectory(prefix="xf-rel-") as tmp_s:
        tmp = Path(tmp_s)
        steps: dict[str, Callable[[], Any]] = {
            "audit": lambda: rel_checks.audit_tamper(tmp),
            "privacy": lambda: rel_checks.privacy(tmp),
            "crash": lambda: rel_faults.crash(profile.kills, tmp),
            "db_restart": lambda: rel_faults.db_restart(tmp),
            "disk_full": rel_faults.disk_full,
            "fuzz": lambda: rel_fuzz.fuzz(tmp, profile.fuzz_examples),
            "surge": lambda: _surge(profile, tmp, pg_url),
            "workers": lambda: _workers(profile, tmp, pg_url),
            "backup": lambda: _backup(profile, tmp, pg_url),
            **rel_extra.steps(profile, tmp),
        }
        timings: dict[str, float] = {}
        for name, step in steps.items():
            if name not in only:
                continue
            t0 = time.monotonic()
            try:
                result[name] = step()
            except Exception as exc:  # a scenario that cannot run is reported, not hidden
                result[name] = {"error": f"{type(exc).__name__}: {str(exc)[:300]}"}
            timings[name] = round(time.monotonic() - t0, 1)
        result["scenario_seconds"] = timings
    skipped = {f"{s}": "not selected with --only" for s in SCENARIOS if s not in only}
    result["not_measured"] = {**NOT_MEASURED, **skipped}
    return result


def provenance() -> dict[str, Any]:
    """When, at which commit and on what host a run was made: a report may join two runs, and each
    figure must say where it came from."""
    try:
        git = ["git", "describe", "--always", "--dirty", "--abbrev=7"]
        done = subprocess.run(
            git, capture_output=True, text=True, timeout=10, check=True, cwd=Path(__file__).parent
        )
        commit = done.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        commit = None  # not a git checkout (an installed package)
    return {
        "started_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit,
        "host": platform.node() or "host",
        "cores": os.cpu_count(),
    }


@contextlib.contextmanager
def _pg_schema(pg_url: str, prefix: str) -> Iterator[str]:
    """A fresh schema on ``pg_url``, dropped afterwards; yields a URL whose search_path is it."""
    from sqlalchemy import text

    from xunfang.store.db import drop_schema, make_engine

    schema = prefix + secrets.token_hex(4)
    try:
        eng = make_engine(pg_url)
        with eng.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
        sep = "&" if "?" in pg_url else "?"
        yield f"{pg_url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with contextlib.suppress(Exception):  # PostgreSQL absent: nothing to drop
            drop_schema(make_engine(pg_url), schema)


def _workers(profile: Profile, tmp: Path, pg_url: str) -> dict[str, Any]:
    from xunfang.bench.rel_workers import rolling

    with _pg_schema(pg_url, "relworkers_") as url:
        return rolling(url, tmp, workers=2, restarts=profile.worker_restarts, kills=profile.worker_kills)


def _backup(profile: Profile, tmp: Path, pg_url: str) -> dict[str, Any]:
    from xunfang.bench.rel_backup import restore_timing

    with _pg_schema(pg_url, "relbackup_") as url:
        schema = url.rsplit("%3D", 1)[1]
        return restore_timing(url, schema, pg_url, tmp, profile.backup_incidents)


def _surge(profile: Profile, tmp: Path, pg_url: str) -> dict[str, Any]:
    """The fixed-load surge on each database, then (full profile) its capacity search on a fresh one."""
    from xunfang.bench.rel_checks import capacity, surge

    kw: dict[str, Any] = {
        "log_dir": tmp,
        "incidents_per_s": profile.incidents_per_s,
        "positions_per_s": profile.positions_per_s,
        "workers": profile.surge_workers,
    }
    cap = {"steps": profile.capacity_steps, "step_s": profile.capacity_step_s, **kw}

    def on_pg(prefix: str, measure: Callable[..., dict[str, Any]], **args: Any) -> dict[str, Any]:
        try:
            with _pg_schema(pg_url, prefix) as url:
                return measure(url, **args)
        except Exception as exc:  # PostgreSQL unreachable: reported, the SQLite figures kept
            return {"error": f"{type(exc).__name__}: {str(exc)[:300]}"}

    out: dict[str, Any] = {
        "sqlite": surge(f"sqlite:///{tmp / 'surge.db'}", seconds=profile.surge_s, **kw),
        "postgres": on_pg("relsurge_", surge, seconds=profile.surge_s, **kw),
    }
    if profile.capacity_steps:
        out["sqlite"]["capacity"] = capacity(f"sqlite:///{tmp / 'capacity.db'}", **cap)
        out["postgres"]["capacity"] = on_pg("relcap_", capacity, **cap)
    return out


def command(
    *,
    as_json: Annotated[bool, typer.Option("--json", help="print the JSON result")] = False,
    quick: Annotated[bool, typer.Option("--quick", help="5 kills, few fuzz cases, 10 s surge")] = False,
    markdown: Annotated[Path | None, typer.Option("--markdown", help="write docs/RELIABILITY.md")] = None,
    only: Annotated[str, typer.Option(help="comma-separated scenarios")] = ",".join(SCENARIOS),
    kills: Annotated[int | None, typer.Option(min=1, max=1000, help="override the SIGKILL count")] = None,
    surge_workers: Annotated[
        int | None,
        typer.Option(min=1, max=64, help="worker processes of the surge's server (default: cores, ≤ 4)"),
    ] = None,
    pg_url: Annotated[
        str, typer.Option(help="PostgreSQL for the surge and workers (fresh schemas)")
    ] = PG_DEFAULT,
    separate: Annotated[
        Path | None,
        typer.Option(
            help="JSON of an earlier --json run (e.g. --only backup, full) filling targets this run lacks"
        ),
    ] = None,
    saved: Annotated[
        Path | None,
        typer.Option("--result", help="write the report from this saved --json result instead of running"),
    ] = None,
) -> None:
    """Crash, database restart, disk full, privacy canaries, audit tampering, fuzzing, surge, workers."""
    from dataclasses import replace

    from xunfang.bench.rel_report import render
    from xunfang.core.errors import InvalidInput

    chosen = {s.strip() for s in only.split(",") if s.strip()}
    unknown = chosen - set(SCENARIOS)
    if unknown:
        raise InvalidInput(f"--only: unknown scenario(s) {sorted(unknown)}; expected {SCENARIOS}")
    profile = Profile.quick() if quick else Profile.full()
    if kills is not None:
        profile = replace(profile, kills=kills)
    if surge_workers is not None:
        profile = replace(profile, surge_workers=surge_workers)
    # read before the run: a bad file must not cost a half-hour run
    earlier = _result_file(separate, "--separate") if separate is not None else None
    result = _result_file(saved, "--result") if saved is not None else run(profile, chosen, pg_url)
    if markdown is not None:
        markdown.parent.mkdir(parents=True, exist_ok=True)
        text = render(result, quick=quick, separate=earlier, saved=saved is not None)
        markdown.write_text(text, encoding="utf-8")
    if as_json or markdown is None:
        print_json(result)


def _result_file(path: Path, option: str) -> dict[str, Any]:
    from xunfang.core.errors import InvalidInput

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidInput(f"{option} {path}: not a readable JSON result ({exc})") from exc
    if not isinstance(data, dict) or "profile" not in data:
        raise InvalidInput(f"{option} {path}: not the JSON of a `xunfang bench reliability --json` run")
    return data


def attach(root: typer.Typer) -> None:
    """Add `reliability` to the existing `bench` group."""
    for group in root.registered_groups:
        if group.name == "bench" and group.typer_instance is not None:
            group.typer_instance.command("reliability")(command)
            return
    raise RuntimeError("the bench group must be registered before bench.reliability.attach")
