"""`xunfang backup` / `xunfang restore`: a consistent copy of a live database and its return.

PostgreSQL: ``pg_dump -Fc`` (one snapshot, taken while the service runs) and ``pg_restore -j2``
into an *empty* database; a URL whose ``options`` set a ``search_path`` is treated as that one
schema (``--schema``). SQLite: the online backup API (a consistent page copy while writers go on).
A restore refuses a target that already holds a xunfang database, and checks the audit chain of
what it restored. What a backup cannot give back is everything written after it: see
docs/service.md ("Backup and restore") for the data-at-risk window and how to shorten it.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit, urlunsplit

from sqlalchemy import Engine, func, inspect, select, text

from xunfang.core.errors import CorruptData, InvalidInput, Unavailable

RESTORE_JOBS = 2


@dataclass(frozen=True)
class Target:
    """A database as the dump tools see it."""

    kind: str  # "postgresql" | "sqlite"
    where: str  # libpq URI (no query) or SQLite file path
    schema: str | None = None


def target(url: str) -> Target:
    if url.startswith("sqlite:///"):
        return Target("sqlite", url.removeprefix("sqlite:///"))
    if not url.startswith("postgresql"):
        raise InvalidInput(
            f"--db: backup supports postgresql:// and sqlite:/// URLs, not {url.split(':', maxsplit=1)[0]}"
        )
    parts = urlsplit(url)
    options = " ".join(parse_qs(parts.query).get("options", []))
    m = re.search(r"search_path=([A-Za-z_][A-Za-z0-9_]*)", unquote(options))
    uri = urlunsplit(("postgresql", parts.netloc, parts.path, "", ""))
    return Target("postgresql", uri, m.group(1) if m else None)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise Unavailable(f"{name} not found on PATH (install the PostgreSQL client tools)")
    return path


def _run(cmd: list[str]) -> None:
    r = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if r.returncode != 0:
        raise Unavailable(f"{Path(cmd[0]).name} failed ({r.returncode}): {r.stderr.strip()[-500:]}")


def backup(url: str, out: Path) -> float:
    """Write a backup of ``url`` to ``out``; returns seconds taken."""
    t0 = time.monotonic()
    t = target(url)
    out.parent.mkdir(parents=True, exist_ok=True)
    if t.kind == "sqlite":
        if not Path(t.where).is_file():
            raise InvalidInput(f"--db: no SQLite database at {t.where}")
        tmp = out.with_name(out.name + ".part")
        tmp.unlink(missing_ok=True)
        with sqlite3.connect(t.where) as src, sqlite3.connect(tmp) as dst:
            src.backup(dst)
        src.close()
        dst.close()
        tmp.replace(out)
    else:
        schema = ["--schema", t.schema] if t.schema else []
        _run([_tool("pg_dump"), "-Fc", "--no-owner", *schema, "-f", str(out), "--dbname", t.where])
    return time.monotonic() - t0


def holds_xunfang(engine: Engine) -> bool:
    return inspect(engine).has_table("incidents")


def restore(url: str, src: Path, engine: Engine) -> float:
    """Restore ``src`` into the empty database ``url`` (``engine`` points at it); returns seconds."""
    if not src.is_file():
        raise InvalidInput(f"backup file {src} does not exist")
    if holds_xunfang(engine):
        raise InvalidInput(f"--db already holds a xunfang database; restore needs an empty one ({url})")
    t0 = time.monotonic()
    t = target(url)
    if t.kind == "sqlite":
        engine.dispose()
        with sqlite3.connect(src) as s, sqlite3.connect(t.where) as d:
            s.backup(d)
        s.close()
        d.close()
    else:
        if t.schema:  # the dump creates its schema: an empty one of that name is in the way
            with engine.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{t.schema}"'))
        engine.dispose()
        jobs = ["-j", str(RESTORE_JOBS)]
        _run([_tool("pg_restore"), *jobs, "--no-owner", "--exit-on-error", "--dbname", t.where, str(src)])
    return time.monotonic() - t0


def check(engine: Engine) -> tuple[int, int]:
    """(incidents, audit rows) of a restored database; raises if its audit chain does not verify."""
    from xunfang.store import audit
    from xunfang.store.db import session_factory
    from xunfang.store.models import AuditEntry, Incident

    with session_factory(engine)() as s, s.begin():
        problems = audit.verify(s)
        incidents = int(s.execute(select(func.count()).select_from(Incident)).scalar_one())
        rows = int(s.execute(select(func.count()).select_from(AuditEntry)).scalar_one())
    if problems:
        raise CorruptData("restored audit chain does not verify: " + "; ".join(problems[:3]))
    return incidents, rows
