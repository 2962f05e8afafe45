"""Shared fixtures. Tests that need ../shared/data or PostgreSQL skip on a laptop without them,
but in CI (``CI`` set) a missing resource fails the test, and any skip fails the run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from xunfang.core.settings import get_settings

IN_CI = bool(os.environ.get("CI"))
# database fixtures (SQLite + PostgreSQL) for the service tests
pytest_plugins = ["svc_support"]


def need(condition: bool, why: str) -> None:
    """Skip locally, fail in CI, when a resource a test needs is missing."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required in CI: {why}")
    pytest.skip(why)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    path = get_settings().data_dir
    need(path.is_dir(), f"shared data folder {path} is missing (set XUNFANG_DATA_DIR)")
    return path


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if IN_CI and skipped and exitstatus == 0:
        session.exitstatus = 1
        if reporter:
            reporter.write_line(
                f"FAILED: {skipped} test(s) skipped in CI; every test must run here.", red=True
            )
