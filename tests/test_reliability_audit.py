"""Signed audit checkpoints: every tampering (edit, delete, insert, reorder, truncated tail with the
head rewritten) is detected with its first bad sequence number; `xunfang audit verify` reports it."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from xunfang.bench.rel_checks import audit_tamper
from xunfang.cli import app
from xunfang.store import audit, audit_checkpoint
from xunfang.store.db import make_engine, session_factory
from xunfang.store.migrate import upgrade


def test_every_tampering_is_detected_at_its_first_bad_seq(tmp_path: Path) -> None:
    out = audit_tamper(tmp_path, rows=30)
    assert out["tamper_cases"] == 5
    assert out["detected"] == 5, out["cases"]
    assert out["first_bad_seq_right"] == 5, out["cases"]


def test_truncated_tail_needs_the_checkpoint(tmp_path: Path) -> None:
    """Without the checkpoint file a truncated tail with a rewritten head looks intact; with it, not."""
    db, cps = tmp_path / "a.db", tmp_path / "cp.jsonl"
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    with session_factory(engine)() as s, s.begin():
        for i in range(10):
            audit.append(s, actor="t", action="a", target=str(i))
    with session_factory(engine)() as s, s.begin():
        audit_checkpoint.write(s, cps, "k")
    with sqlite3.connect(db) as con:
        con.execute("DELETE FROM audit_log WHERE seq > 7")
        h = con.execute("SELECT hash FROM audit_log WHERE seq = 7").fetchone()[0]
        con.execute("UPDATE audit_head SET seq = 7, last_hash = ? WHERE id = 1", (h,))
    with session_factory(engine)() as s, s.begin():
        assert audit_checkpoint.check(s, None, "k").ok
        rep = audit_checkpoint.check(s, cps, "k")
        assert not rep.ok and rep.first_bad_seq == 8
        assert not audit_checkpoint.check(s, cps, "another key").ok  # forged/unsigned checkpoint
    engine.dispose()


def test_cli_checkpoint_then_verify(tmp_path: Path) -> None:
    db, cps = tmp_path / "c.db", tmp_path / "cp.jsonl"
    runner = CliRunner()
    r = runner.invoke(app, ["audit", "checkpoint", "--db", str(db), "--checkpoints", str(cps)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["audit", "verify", "--db", str(db), "--checkpoints", str(cps), "--json"])
    assert r.exit_code == 0, r.output
    got = json.loads(r.output)
    assert got["ok"] and got["checkpoints"] == 1 and got["first_bad_seq"] is None
