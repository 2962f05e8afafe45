"""`xunfang bench reliability`: the JSON names what it measured and lists what it did not; the
disk-full scenario (root only: it mounts a small tmpfs) never answers 5xx or acknowledges falsely."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from xunfang.bench.rel_report import render
from xunfang.cli import app


def test_cli_audit_only_prints_measured_and_not_measured(tmp_path: Path) -> None:
    md = tmp_path / "REL.md"
    r = CliRunner().invoke(
        app, ["bench", "reliability", "--quick", "--json", "--only", "audit", "--markdown", str(md)]
    )
    assert r.exit_code == 0, r.output
    got = json.loads(r.output)
    assert got["audit"]["detected"] == got["audit"]["tamper_cases"] == 5
    assert "crash" not in got and "crash" in got["not_measured"]
    assert "workers" in got["not_measured"] and "workers.lost" not in got["not_measured"]
    text = md.read_text()
    assert "power loss" in text and "| `crash.lost` | not measured |" in text


def test_report_marks_missed_targets() -> None:
    text = render({"crash": {"lost": 0, "duplicates": 1, "recovery_max_s": 9.5}}, quick=True)
    assert "| `crash.lost` | 0 | == 0 | yes |" in text
    assert "| `crash.recovery_max_s` | 9.5 | <= 2.0 | **no** |" in text


def test_unknown_scenario_is_refused() -> None:
    r = CliRunner().invoke(app, ["bench", "reliability", "--only", "nope"])
    assert r.exit_code != 0


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")
def test_disk_full_no_server_errors_no_false_acks() -> None:
    from xunfang.bench.rel_faults import disk_full

    got = disk_full()
    assert got["server_errors"] == 0
    assert got["false_acks"] == 0
    assert got["reads_ok"] == got["reads"]
    assert got["never_acked_after_space_returned"] == 0


def test_report_takes_missing_figures_from_a_separate_run_and_says_so() -> None:
    separate = {"backup": {"restore_1m_s": 13.7}, "scenario_seconds": {"backup": 80.0}}
    text = render({"workers": {"rolling_restart_failed": 0, "lost": 0}}, quick=True, separate=separate)
    assert "| `workers.lost` | 0 | == 0 | yes |" in text
    assert "| `backup.restore_1m_s` | 13.7 (separate run) | <= 300 | yes |" in text
    assert "--only backup --json" in text
    skipped = {"backup": "not selected with --only", "surge": "not selected with --only"}
    text = render({"not_measured": skipped}, quick=True, separate=separate)
    assert "- `surge`: not selected" in text and "- `backup`: not selected" not in text
    assert "run earlier (its JSON records no commit or host)" in text
    run = {"started_at": "2026-12-07 20:00 UTC", "commit": "abc1234", "host": "vm", "cores": 2}
    text = render({"run": run}, quick=True, separate={**separate, "run": {**run, "commit": "def5678"}})
    assert "the run started 2026-12-07 20:00 UTC at commit `abc1234` on vm (2 cores)" in text
    assert "--only backup --json` (full profile unless its `profile` says otherwise), started" in text
    assert "at commit `def5678`" in text


def test_the_report_is_rendered_from_a_saved_result_without_running(tmp_path: Path) -> None:
    from xunfang.bench.reliability import command
    from xunfang.core.errors import InvalidInput

    run = {"started_at": "2026-12-07 22:00 UTC", "commit": "abc1234", "host": "vm", "cores": 2}
    saved = tmp_path / "run.json"
    saved.write_text(json.dumps({"run": run, "profile": {}, "workers": {"lost": 0}}), encoding="utf-8")
    out = tmp_path / "r.md"
    command(saved=saved, markdown=out)  # no scenario runs: the saved figures are rendered
    text = out.read_text(encoding="utf-8")
    assert "--result RUN.json" in text and "at commit `abc1234`" in text
    assert "| `workers.lost` | 0 | == 0 | yes |" in text
    saved.write_text(json.dumps({"workers": {"lost": 0}}), encoding="utf-8")
    with pytest.raises(InvalidInput, match="not the JSON of a `xunfang bench reliability --json` run"):
        command(saved=saved, markdown=out)


def test_a_bad_separate_file_is_refused_before_the_run(tmp_path: Path) -> None:
    from xunfang.bench.reliability import command
    from xunfang.core.errors import InvalidInput

    bad = tmp_path / "earlier.json"
    bad.write_text("[1, 2", encoding="utf-8")
    with pytest.raises(InvalidInput, match="not a readable JSON result"):
        command(only="audit", separate=bad, markdown=tmp_path / "r.md")  # the audit would take a second
    assert not (tmp_path / "r.md").exists()


def test_fanout_completeness_counts_created_incidents_seen_on_the_feed() -> None:
    from xunfang.bench.rel_fanout import completeness

    res = {"fanout_incident_ids": [1, 2, 4, 99]}  # 99: an incident of another client, not counted
    out = completeness(res, [1, 2, 3, 4])
    assert out == {
        "fanout_expected": 4,
        "fanout_received": 3,
        "fanout_missed": 1,
        "fanout_missing_first": [3],
    }
    assert "fanout_incident_ids" not in res  # the id list does not go into the report


def test_surge_windows_group_requests_by_the_30_s_window_they_started_in() -> None:
    from xunfang.bench.rel_checks import _windows

    t0 = 1000.0
    timeline = [(t0 + 1, 5.0), (t0 + 29.9, 7.0), (t0 + 30.0, 400.0), (t0 + 95, 2.0)]
    got = _windows(timeline, t0)
    assert [(w["from_s"], w["n"], w["max_ms"]) for w in got] == [(0, 2, 7.0), (30, 1, 400.0), (90, 1, 2.0)]


def test_cpu_use_counts_a_busy_child_as_the_server() -> None:
    import subprocess
    import sys
    import time

    from xunfang.bench.cpu_use import CpuUse

    spin = "import time\nt = time.time()\nwhile time.time() - t < 1.5: pass"
    child = subprocess.Popen([sys.executable, "-c", spin])
    try:
        with CpuUse(child.pid, interval_s=0.2) as cpu:
            time.sleep(1.2)
    finally:
        child.wait(10)
    got = cpu.result()
    assert got["host_cores"] >= 1
    assert 0.3 <= got["mean_cores"]["server"] <= 1.1  # one busy core (a shared host may lend it less)
    assert got["mean_cores"]["load"] < 0.5  # this test process only sleeps


def test_report_shows_the_surge_servers_cores_and_the_load_it_got() -> None:
    cpu = {"mean_cores": {"server": 1.13, "database": 0.0, "load": 0.11}, "host_cores": 2}
    surge = {
        "sqlite": {
            "p99_ms": 90.0,
            "cpu": {**cpu, "request_cpu_ms": 0.75},
            "positions_per_s": 1995.0,
            "write_gate_busy": 0.864,
        },
        "postgres": {"workers": 2, "cpu": {**cpu, "request_cpu_ms": 0.9}, "positions_per_s": 1800.0},
    }
    text = render({"surge": surge}, quick=True)
    assert "## Surge: the load and the host" in text
    assert "| sqlite | 1 | 1.13 | 0.0 | 0.11 | 2 | 0.75 | 1995.0 |" in text  # a result before workers
    assert "| 1995.0 | None | None | 86 % |" in text  # SQLite's write gate held 86 % of the surge
    assert "| 1800.0 | None | None | - |" in text  # no gate figure (PostgreSQL, older runs)
    assert "| postgres | 2 | 1.13 | 0.0 | 0.11 | 2 | 0.9 | 1800.0 |" in text
    assert "## Surge" not in render({"surge": {"postgres": {"error": "down"}}}, quick=True)
    assert "| postgres | 2 | 1.13 |" in render({}, quick=False, separate={"surge": surge})  # surge run apart


def test_capacity_bisection_finds_the_largest_share_that_met_the_targets() -> None:
    from xunfang.bench.rel_checks import bisect_share

    def fake(limit: float) -> Callable[[float], dict[str, Any]]:
        def measure(share: float) -> dict[str, Any]:  # latency grows past the host's limit
            ms = 50 if share <= limit else 5000
            return {"p50_ms": 5, "p99_ms": ms, "p999_ms": ms, "max_ms": ms, "errors": 0}

        return measure

    share, tried = bisect_share(fake(0.3), 5)
    assert [t["share"] for t in tried] == [1.0, 0.5, 0.25, 0.375, 0.3125]
    assert share == 0.25 and [t["met"] for t in tried] == [False, False, True, False, False]
    share, tried = bisect_share(fake(2.0), 5)
    assert share == 1.0 and len(tried) == 1  # the full load held: nothing more to search
    share, _ = bisect_share(fake(0.0), 3)
    assert share == 0.0
    errors = bisect_share(lambda s: {**fake(1.0)(s), "errors": 1}, 2)
    assert errors[0] == 0.0  # fast but failing requests do not count as met


def test_capacity_search_runs_the_surge_on_a_real_server(tmp_path: Path) -> None:
    from xunfang.bench.rel_checks import capacity

    got = capacity(
        f"sqlite:///{tmp_path / 'cap.db'}",
        step_s=3,
        steps=2,
        incidents_per_s=2,
        positions_per_s=20,
        log_dir=tmp_path,
    )
    first = got["steps"][0]
    assert first["share"] == 1.0 and first["errors"] == 0 and first["max_ms"] > 0
    assert got["share"] == (1.0 if first["met"] else 0.5 if got["steps"][1]["met"] else 0.0)
    text = render({"surge": {"sqlite": {"capacity": got}}}, quick=False)
    assert "## Surge: capacity on this host" in text and f"**{got['share'] * 100:g}%**" in text


def test_gate_use_samples_the_write_gate_lock_from_proc_locks(tmp_path: Path) -> None:
    import fcntl
    import time

    from xunfang.bench.gate_use import GateUse

    db = tmp_path / "x.db"
    assert GateUse(db).__enter__().share() is None  # no lock file: not a database served here
    fd = os.open(f"{db}-writer.lock", os.O_RDWR | os.O_CREAT)
    try:
        with GateUse(db) as idle:
            time.sleep(0.1)
        fcntl.flock(fd, fcntl.LOCK_EX)
        with GateUse(db) as held:
            time.sleep(0.1)
    finally:
        os.close(fd)
    assert idle.share() == 0.0 and held.share() == 1.0
