"""`make audit` (tools/supply_chain.py): hashed lock export, bandit with 0 high findings, and a
pip-audit that says UNREACHABLE (exit 3) instead of passing when it has no advisory service."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import need

ROOT = Path(__file__).resolve().parents[1]


def _tool(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, str(ROOT / "tools" / "supply_chain.py"), "--json", "--out", str(tmp_path), *args]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False, env=env, timeout=600)


def test_lock_hashes_and_bandit(tmp_path: Path) -> None:
    need(shutil.which("uv") is not None, "uv on PATH")
    r = _tool(tmp_path, "--skip-pip-audit")
    assert r.returncode == 0, r.stdout + r.stderr
    out = json.loads(r.stdout)
    assert out["hashes"]["packages"] > 50 and out["hashes"]["unhashed"] == []
    assert out["bandit"]["status"] == "ok" and out["bandit"]["high"] == 0
    text = (tmp_path / "requirements.txt").read_text()
    assert "pyotp==" in text and "--hash=sha256:" in text


def test_pip_audit_without_its_service_is_unreachable_not_clean(tmp_path: Path) -> None:
    """No request leaves the machine: every connection goes to a closed local port."""
    need(shutil.which("uv") is not None, "uv on PATH")
    dead = "http://127.0.0.1:9"
    env = {**os.environ, "HTTPS_PROXY": dead, "HTTP_PROXY": dead, "https_proxy": dead, "NO_PROXY": ""}
    env.pop("no_proxy", None)
    r = _tool(tmp_path, env=env)
    assert r.returncode == 3, r.stdout + r.stderr
    audit = json.loads(r.stdout)["pip_audit"]
    assert audit["status"] == "unreachable" and "UNKNOWN" in audit["detail"]
