"""docs/RELIABILITY.md from one `xunfang bench reliability` result (nothing typed in by hand)."""

from __future__ import annotations

import json
import platform
from datetime import UTC, datetime
from typing import Any

from xunfang.bench.rel_checks import SURGE_TARGETS_MS

_SURGE = {**{k: ("<=", ms) for k, ms in SURGE_TARGETS_MS.items()}, "errors": ("==", 0)}
TARGETS: dict[str, tuple[str, float]] = {
    "crash.lost": ("==", 0),
    "crash.duplicates": ("==", 0),
    "crash.assignments_lost": ("==", 0),
    "crash.assignment_duplicates": ("==", 0),
    "crash.recovery_max_s": ("<=", 2.0),
    "db_restart.lost": ("==", 0),
    "db_restart.server_errors": ("==", 0),
    "disk_full.server_errors": ("==", 0),
    "disk_full.false_acks": ("==", 0),
    "privacy.canary_hits": ("==", 0),
    "fuzz.server_errors": ("==", 0),
    "fuzz.cases": (">=", 50_000),  # the full profile's; --quick runs a few hundred
    "crash.kills": (">=", 20),  # likewise
    **{f"surge.{db}.{k}": t for db in ("sqlite", "postgres") for k, t in _SURGE.items()},
    "workers.rolling_restart_failed": ("==", 0),
    "workers.lost": ("==", 0),
    "workers.duplicates": ("==", 0),
    "backup.restore_1m_s": ("<=", 300),
    "surge.sqlite.fanout_p99_ms": ("<=", 500),
    "surge.postgres.fanout_p99_ms": ("<=", 500),
    "surge.sqlite.fanout_missed": ("==", 0),
    "surge.postgres.fanout_missed": ("==", 0),
    "overload.intake_p99_ms_flood": ("<=", 100),
    "overload.dispatch_p99_ms_flood": ("<=", 100),
    "overload.errors": ("==", 0),
    "read_only.server_errors": ("==", 0),
    "read_only.false_acks": ("==", 0),
    "read_only.resumed": ("==", True),
    "fuzz_parsers.crashes": ("==", 0),
}

NOT_TESTED = [
    "power loss (SQLite runs synchronous=FULL and PostgreSQL fsync=on, but no power was cut)",
    "real network partitions and firewall changes between clients, service and database",
    "multi-machine failover and read replicas (several workers on one machine are tested: `workers`)",
    "the data-at-risk window of a real deployment (it is the backup interval, or about "
    "`archive_timeout` with WAL archiving; neither runs here), and a restore after real media loss",
    "a read-only SQLite database under load: Linux refuses to remount a file system read-only while "
    "the server holds the file open for writing, and file modes do not bind a root server; a "
    "kernel-forced remount after I/O errors was not simulated (tests/test_api_read_only.py covers "
    "SQLite's 'readonly database' answer with query_only)",
]

# Parts of the issue proven by the test suite (`make test`) rather than by this command.
IN_TESTS = [
    "MFA/TOTP (RFC 6238 vectors, replay, enrolment, login by API and in the dashboard), lockout with "
    "progressive delay, idle lock at 30 minutes, revocation of REST and live sessions: "
    "tests/test_api_sessions.py, tests/test_web_e2e.py",
    "the role x operation x ownership matrix generated from the OpenAPI: tests/test_api_matrix.py",
    "time zones (DST gaps and overlaps in America/Chicago, Asia/Shanghai; client clock skew): "
    "tests/test_api_timezones.py",
    "lock-file hashes and bandit (0 high); pip-audit's unreachable case: tests/test_supply_chain.py "
    "(`make audit` runs them all)",
    'the dashboard\'s "dispatch system down" mode (banner, outbox, exactly-once replay after the server '
    "is killed and restarted): tests/test_web_outage.py",
    "SQLite's 'readonly database' answer (query_only): tests/test_api_read_only.py",
    "identifiers near their limits (incident, track and audit counters past 2^31-1, both backends): "
    "tests/test_api_limits.py",
    "a warm standby taking over after SIGKILL, and stopping with its supervisor: "
    "tests/test_crash_recovery.py",
]


def _get(result: dict[str, Any], dotted: str) -> Any:
    cur: Any = result
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def _surge_load(surge: Any) -> list[str]:
    """What the surge's server could take on this host: cores used, the load actually delivered,
    and the per-request CPU reference (see xunfang.bench.cpu_use). A latency target missed by a
    saturated server is a capacity figure, and this says so in the numbers."""
    rows = []
    for backend, res in (surge or {}).items():
        cpu = res.get("cpu") if isinstance(res, dict) else None
        if not cpu:
            continue
        used = cpu.get("mean_cores", {})
        rows.append(
            f"| {backend} | {res.get('workers', 1)} | {used.get('server')} | {used.get('database')} | "
            f"{used.get('load')} | "
            f"{cpu.get('host_cores')} | {cpu.get('request_cpu_ms')} | {res.get('positions_per_s')} | "
            f"{res.get('dispatch_updates_per_s')} | {res.get('seconds')} | "
            f"{_share(res.get('write_gate_busy'))} |"
        )
    if not rows:
        return []
    return [
        "",
        "## Surge: the load and the host",
        "",
        "The server's worker processes, the mean cores used during the surge by the server (all its "
        "processes), the database server and the load "
        "generator (with its live-feed subscriber), the host's cores, the server's CPU per "
        "`GET /auth/me` on the idle server (ms, a host-speed reference), and what the load delivered "
        "(offered: 2,000 positions/s, 100 dispatch updates/s; position batches wait for their answer, "
        "so a slow server gets fewer). One server process cannot use much more than one core of "
        "Python (one GIL), so the surge runs one worker per core (up to 4; `--surge-workers`); when "
        "the server and the load together use all the host's cores, the server is saturated and the "
        "latency is its queue. On SQLite, `write gate busy` is the share of the surge during which a "
        "writer held SQLite's one write lock (xunfang's gate in front of it, sampled from /proc/locks "
        "every 5 ms): near 100 % the writes queue for it whatever cores are idle, and each write "
        "holds it longer when its process's other threads keep the GIL between its statements.",
        "",
        "| backend | workers | server cores | database cores | load cores | host cores | request CPU ms "
        "| positions/s | dispatch updates/s | seconds | write gate busy |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
        *rows,
    ]


def _share(x: float | None) -> str:
    return "-" if x is None else f"{x * 100:.0f} %"


def _surge_capacity(surge: Any) -> list[str]:
    """The capacity search's result per backend: the share of the load that met the targets."""
    rows = []
    for backend, res in (surge or {}).items():
        cap = res.get("capacity") if isinstance(res, dict) else None
        if not cap or "steps" not in cap:
            continue
        tried = ", ".join(
            f"{st['share'] * 100:g}%: p99 {st['p99_ms']} / max {st['max_ms']} ms"
            + ("" if st["errors"] == 0 else f", {st['errors']} errors")
            + (" met" if st["met"] else " **missed**")
            for st in cap["steps"]
        )
        rows.append(
            f"| {backend} | **{cap['share'] * 100:g}%** | {cap['incidents_per_s']} | "
            f"{cap['positions_per_s']} | {cap['step_s']:g} | {tried} |"
        )
    if not rows:
        return []
    return [
        "",
        "## Surge: capacity on this host",
        "",
        "The largest share of the surge's load (50 incidents/s with their dispatch, 2,000 positions/s) "
        "that met every latency target with no errors, found by bisection on a fresh database: the full "
        "load first, then halving the interval, one run per step. Past saturation a fixed load's "
        "latency is a queue that grows for as long as the run lasts, so the fixed-load figures above "
        "swing with the host's moment; this share is the figure to compare between hosts and commits.",
        "",
        "| backend | share met | incidents/s | positions/s | seconds per step | steps (share: latency) |",
        "|---|---|---|---|---|---|",
        *rows,
    ]


def _made(run: dict[str, Any] | None) -> str:
    """Where a run was made, from its ``run`` record (earlier results have none)."""
    if not run:
        return "run earlier (its JSON records no commit or host)"
    return (
        f"started {run.get('started_at', '?')} at commit `{run.get('commit') or 'unknown'}` on "
        f"{run.get('host', '?')} ({run.get('cores', '?')} cores)"
    )


def render(
    result: dict[str, Any], *, quick: bool, separate: dict[str, Any] | None = None, saved: bool = False
) -> str:
    """The report; ``separate`` is the JSON of an earlier run (e.g. the full-profile 1,000,000-incident
    restore) whose figures fill targets this run did not measure, each marked as such; ``saved``:
    ``result`` was read from a file (``--result``), not measured by this command."""
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    cmd = "xunfang bench reliability " + ("--quick " if quick else "") + "--markdown docs/RELIABILITY.md"
    cmd += " --result RUN.json" if saved else ""
    cmd += " --separate EARLIER.json" if separate is not None else ""
    lines = [
        "# Reliability figures",
        "",
        f"Generated by `{cmd}` on {when} ({platform.node() or 'host'}, "
        f"{platform.system()} {platform.machine()}, Python {platform.python_version()}); "
        f"the run {'(RUN.json, included below) ' if saved else ''}{_made(result.get('run'))}.",
        (
            "Every unmarked number below was measured in that run, those marked *(separate run)* in the "
            "run named under Separate run; "
            if separate is not None
            else "Every number below was measured in that run; "
        )
        + "re-run the command to reproduce it. "
        + ("This is the short `--quick` profile (few kills, few fuzz cases, a 10 s surge)." if quick else ""),
        "",
        "## Targets",
        "",
        "| figure | measured | target | met |",
        "|---|---|---|---|",
    ]
    for key, (op, want) in TARGETS.items():
        if quick and op == ">=":
            continue  # sizes of the full profile
        got, where = _get(result, key), ""
        if got is None and separate is not None:
            got, where = _get(separate, key), " (separate run)"
        if got is None:
            lines.append(f"| `{key}` | not measured | {op} {want} | - |")
            continue
        met = got == want if op == "==" else got >= want if op == ">=" else got <= want
        lines.append(f"| `{key}` | {got}{where} | {op} {want} | {'yes' if met else '**no**'} |")
    surge = result.get("surge") or (separate or {}).get("surge")
    lines += _surge_load(surge) + _surge_capacity(surge)
    lines += ["", "## How each figure is made", ""]
    lines += [
        "- **crash**: `xunfang serve --standby` (SQLite, Chicago demo) under a 4-client load of "
        "incidents, each dispatched (assign, arrive, resolve); the serving process is SIGKILLed at a "
        "random moment (0.3-2.5 s), `crash.kills` times, and the warm standby takes over; clients "
        "retry every unacknowledged key. Lost = acknowledged incidents (or assignments) missing from "
        "the database; duplicates = keys stored twice (or an incident given the same unit twice). "
        "Recovery = kill until the service answers from the new process. Each kill waits for the new "
        "standby (`standby_ready_max_s`); a crash inside that window meets a cold start "
        "(`cold_start_s`: Python start-up and loading the Chicago road network and map layers).",
        "- **db_restart**: a private PostgreSQL 15 cluster (not the shared one) is stopped with "
        "`pg_ctl stop -m fast` under load and started after `gap_s`; answers in the gap must be "
        "503 + Retry-After (counted in `unavailable_503`), never another 5xx or a false 201.",
        "- **disk_full**: SQLite on a small tmpfs that is then filled; writes must be refused with 503 "
        "(or succeed truly), reads keep working, and writes resume after the filler is deleted.",
        "- **privacy**: canary caller names/phones are planted by a dispatcher; every GET of the "
        "OpenAPI as `demo-volunteer`, refused/invalid posts, the live stream and the server log are "
        "searched for them.",
        "- **audit**: edit, delete, insert, reorder and a truncated tail (with the head row rewritten) "
        "on copies of a signed-checkpointed audit log; detected and first bad sequence number.",
        "- **fuzz**: schemathesis, positive and negative cases for every operation but the SSE stream.",
        "- **surge**: 50 incidents/s (each with its recommendation; every second one dispatched: "
        "assign, en route, arrived, resolved, i.e. 100 dispatch updates/s) and 2,000 positions/s "
        "against a subprocess server, `xunfang serve --workers N` with N = `workers` (the host's "
        "cores, up to 4; live events relayed through Redis). Percentiles per operation under `ops`; "
        "the top-level `p50_ms`..`max_ms` are the slowest operation's. `fanout_*`: a live-feed (SSE) "
        "subscriber in its own process reads every event during the surge; lag = its receive time minus the "
        "broker's `published_at` stamp. "
        "`fanout_received` of `fanout_expected`: incidents created in the surge whose event the "
        "subscriber read (`fanout_missed` the rest; `fanout_resyncs`: resync events, sent only when a "
        "client falls 1,000 non-position events behind; positions are coalesced per unit). "
        "`windows`: p99 and max of the requests that started in each 30-s window. `cpu`: mean and "
        "peak cores used by the server, the database and the load generator (with the subscriber) "
        "during the surge, and `request_cpu_ms`, the server's CPU time per `GET /auth/me` on the idle "
        "server before the surge (a host-speed reference: one server process that needs more than a "
        "core of Python is saturated, so the same code meets or misses the targets by the host).",
        "- **workers**: `xunfang serve --workers 2` on a fresh PostgreSQL schema with the live feed "
        "relayed through Redis; under a 3-client intake load the workers get `rolling_restarts` "
        "rolling restarts (SIGHUP: uvicorn replaces each worker by one that already serves) and then "
        "`worker_kills` SIGKILLs of one worker (the supervisor starts a replacement). Clients retry "
        "unacknowledged keys; `rolling_restart_failed` = keys never acknowledged after the retries, "
        "`first_try_failures` = answers lost to a closed connection before the retry.",
        "- **backup**: a fresh PostgreSQL schema is filled with `backup.incidents` *generated* incident "
        "rows (`generate_series`, one event each: not real cases), dumped with `xunfang backup` "
        "(`pg_dump -Fc`) and restored with `xunfang restore` (`pg_restore -j2`) into a new database; "
        "`restore_s` is the restore alone (`restore_1m_s` in the full profile, 1,000,000 incidents).",
        "- **overload**: one SQLite server; incidents (each followed by its recommendation) at 10/s, "
        "first alone, then while 3 client processes offer 20,000 position fixes/s in batches of 200 "
        "(open loop). Position batches beyond the admission budget (`position_slots`, "
        "`position_budget_per_s`) are shed with 503 + Retry-After and counted as `positions_shed_503`, "
        "not as errors. The flood clients run on the same cores as the server.",
        "- **read_only**: a private PostgreSQL 15 cluster gets `default_transaction_read_only = on` "
        "(ALTER SYSTEM + reload, which reaches pooled sessions) for 4 s under intake load, then off; "
        "writes must be 503 + Retry-After, reads keep working, unacknowledged keys are retried after.",
        "- **fuzz_parsers**: atheris (libFuzzer, coverage of xunfang's modules) on the incident CSV "
        "import, the position batch body and the GeoJSON plan import, seed 1, with token dictionaries; "
        "a crash is any exception other than xunfang's own errors (and pydantic's for the body).",
        "",
        "## Not tested here",
        "",
    ]
    lines += [f"- {item}" for item in NOT_TESTED]
    lines += ["", "## Proven by the test suite instead", ""]
    lines += [f"- {item}" for item in IN_TESTS]
    # a scenario this run skipped but the separate run measured is not left out
    nm = {k: v for k, v in result.get("not_measured", {}).items() if k not in (separate or {})}
    lines += ["", "Keys of the issue this command leaves out:", ""]
    lines += [f"- `{k}`: {v}" for k, v in nm.items()]
    raw = {k: v for k, v in result.items() if k != "not_measured"}
    lines += ["", "## Raw result", "", "```json", json.dumps(raw, indent=2, ensure_ascii=False), "```", ""]
    if separate is not None:
        only = ",".join(separate.get("scenario_seconds", {}))
        lines += [
            "## Separate run",
            "",
            f"Figures marked *(separate run)* come from `xunfang bench reliability --only {only} --json` "
            f"(full profile unless its `profile` says otherwise), {_made(separate.get('run'))}:",
            "",
            "```json",
            json.dumps(
                {k: v for k, v in separate.items() if k != "not_measured"}, indent=2, ensure_ascii=False
            ),
            "```",
            "",
        ]
    return "\n".join(lines)
