"""Supply-chain checks behind `make audit`: hashes in the lock, bandit, pip-audit.

1. ``uv export --format requirements-txt`` of the lock (all groups, without the project itself):
   every pinned requirement must carry ``--hash=sha256:`` lines, so ``pip install
   --require-hashes -r requirements.txt`` installs exactly the locked files.
2. bandit over ``src``: 0 findings of high severity (medium/low are counted and printed).
3. pip-audit of that requirements file (``--require-hashes --strict``) against the PyPI advisory
   service: 0 known vulnerabilities. pip-audit needs the network; when the service cannot be
   reached the result is ``unreachable`` and the exit code is 3 — never a silent pass.

Usage: ``python tools/supply_chain.py [--json] [--skip-pip-audit] [--out build]``.
Exit codes: 0 all clean; 1 a finding (high bandit issue, vulnerability, unhashed requirement);
3 pip-audit could not reach its advisory service (nothing is known about vulnerabilities);
4 only some pins could be checked (see ``latest_release_check``).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess  # nosec B404 (fixed argument lists, no shell)
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
NETWORK_SIGNS = re.compile(
    r"ConnectionError|ProxyError|Max retries exceeded|Name or service not known|Temporary failure in "
    r"name resolution|Network is unreachable|timed out|ConnectTimeout|SSLError",
    re.I,
)


def _run(args: list[str], *, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=False, env=env)  # nosec B603


def export(out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / "requirements.txt"
    cmd = ["uv", "export", "--frozen", "--format", "requirements-txt", "--no-emit-project", "--all-groups"]
    r = _run([*cmd, "-o", str(path)])
    if r.returncode != 0:
        raise SystemExit(f"uv export failed: {r.stderr.strip()[:500]}")
    return path


def hashes(requirements: Path) -> dict[str, Any]:
    """Count pinned requirements and those without a sha256 hash (continuation lines joined)."""
    text = requirements.read_text().replace("\\\n", " ")
    reqs = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    unhashed = [ln.split()[0] for ln in reqs if "--hash=sha256:" not in ln]
    return {"packages": len(reqs), "unhashed": unhashed}


def bandit() -> dict[str, Any]:
    r = _run([sys.executable, "-m", "bandit", "-q", "-r", "src", "-f", "json"])
    try:
        data = json.loads(r.stdout)
    except json.JSONDecodeError:
        return {"status": "error", "detail": (r.stderr or r.stdout).strip()[:500]}
    counts = {"high": 0, "medium": 0, "low": 0}
    high = []
    for item in data.get("results", []):
        sev = str(item.get("issue_severity", "")).lower()
        counts[sev] = counts.get(sev, 0) + 1
        if sev == "high":
            high.append(f"{item['filename']}:{item['line_number']} {item['test_id']} {item['issue_text']}")
    return {"status": "ok" if not high else "findings", **counts, "high_findings": high}


def pip_audit(requirements: Path, out: Path) -> dict[str, Any]:
    report = out / "pip-audit.json"
    report.unlink(missing_ok=True)
    args = [sys.executable, "-m", "pip_audit", "--strict", "--require-hashes", "--disable-pip"]
    args += ["-r", str(requirements), "-f", "json", "-o", str(report), "--progress-spinner", "off"]
    r = _run(args)
    if report.exists():
        deps = json.loads(report.read_text()).get("dependencies", [])
        vulns = [f"{d['name']} {d['version']}: {v['id']}" for d in deps for v in d.get("vulns", [])]
        return {"status": "ok" if not vulns else "vulnerable", "audited": len(deps), "vulnerabilities": vulns}
    err = (r.stderr or r.stdout).strip()
    if "Dependency not found on PyPI" in err:
        return latest_release_check(requirements)
    if NETWORK_SIGNS.search(err):
        return {
            "status": "unreachable",
            "detail": "the PyPI advisory service could not be reached; vulnerabilities are UNKNOWN, "
            "not zero (run again with network access, or behind the proxy the machine needs)",
        }
    return {"status": "error", "detail": err[-800:]}


def latest_release_check(requirements: Path) -> dict[str, Any]:
    """pip-audit's fallback behind a PyPI proxy that serves ``/pypi/NAME/json`` but answers 404 to
    the per-version ``/pypi/NAME/VERSION/json`` pip-audit asks for (seen on this workplace's
    network). The project document lists the known vulnerabilities of the *latest* release only, so
    a pin that is the latest release is checked exactly; any other pin is reported unverified
    (status ``partial``, exit code 4), never counted as clean."""
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    pins = re.findall(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)", requirements.read_text(), re.M)

    def one(pin: tuple[str, str]) -> tuple[str, str, str | None, list[str]]:
        name, version = pin
        try:
            with urllib.request.urlopen(f"https://pypi.org/pypi/{name}/json", timeout=30) as resp:  # nosec B310
                doc = json.load(resp)
        except OSError:
            return name, version, None, []
        return name, version, doc["info"]["version"], [v["id"] for v in doc.get("vulnerabilities") or []]

    with ThreadPoolExecutor(8) as pool:
        rows = list(pool.map(one, sorted(set(pins))))
    if all(latest is None for _n, _v, latest, _ids in rows):
        return {"status": "unreachable", "detail": "PyPI could not be reached; vulnerabilities are UNKNOWN"}
    checked = [r for r in rows if r[2] == r[1]]
    vulns = [f"{n} {v}: {i}" for n, v, _l, ids in checked for i in ids]
    unverified = [f"{n} {v} (latest {latest})" for n, v, latest, _ids in rows if latest != v]
    status = "vulnerable" if vulns else "partial" if unverified else "ok"
    return {
        "status": status,
        "source": "PyPI project JSON (latest releases only)",
        "audited": len(checked),
        "vulnerabilities": vulns,
        "unverified": unverified,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--skip-pip-audit", action="store_true", help="offline runs: hashes and bandit only")
    ap.add_argument("--out", type=Path, default=ROOT / "build")
    a = ap.parse_args(argv)
    req = export(a.out)
    result: dict[str, Any] = {"requirements": str(req), "hashes": hashes(req), "bandit": bandit()}
    result["pip_audit"] = {"status": "skipped"} if a.skip_pip_audit else pip_audit(req, a.out)
    code = _exit_code(result)
    if a.json:
        print(json.dumps(result, indent=2))
    else:
        _print(result)
    return code


def _exit_code(result: dict[str, Any]) -> int:
    if result["hashes"]["unhashed"] or result["bandit"]["status"] != "ok":
        return 1
    status = result["pip_audit"]["status"]
    return {"ok": 0, "skipped": 0, "unreachable": 3, "partial": 4}.get(status, 1)


def _print(result: dict[str, Any]) -> None:
    h, b, p = result["hashes"], result["bandit"], result["pip_audit"]
    print(f"lock export: {h['packages']} pinned requirements, {len(h['unhashed'])} without a hash")
    if b["status"] == "error":
        print(f"bandit: ERROR {b['detail']}")
    else:
        print(f"bandit: {b['high']} high, {b['medium']} medium, {b['low']} low")
        for line in b["high_findings"]:
            print(f"  HIGH {line}")
    if p["status"] in ("ok", "vulnerable", "partial"):
        n = len(p["vulnerabilities"])
        print(f"pip-audit: {p['audited']} packages audited, {n} known vulnerabilities")
        for line in p["vulnerabilities"]:
            print(f"  VULN {line}")
        if p.get("unverified"):
            print(f"  {len(p['unverified'])} pins older than their latest release could not be checked here:")
            print("  " + ", ".join(p["unverified"]))
    else:
        print(f"pip-audit: {p['status'].upper()} {p.get('detail', '')}".rstrip())


if __name__ == "__main__":
    sys.exit(main())
