"""`xunfang users add` (password on stdin) and `xunfang audit verify` on both databases."""

from __future__ import annotations

import json

from sqlalchemy import update
from typer.testing import CliRunner

from svc_support import DB, PG_URL
from xunfang.cli import app
from xunfang.core.errors import CorruptData, InvalidInput
from xunfang.store.db import session_factory
from xunfang.store.models import AuditEntry, User, utcnow
from xunfang.store.users import login

runner = CliRunner()


def _url(db: DB) -> str:
    return db.url if db.schema is None else f"{PG_URL}?options=-csearch_path%3D{db.schema}"


def test_users_add_then_login_and_verify_audit(db: DB) -> None:
    url = _url(db)
    r = runner.invoke(
        app, ["users", "add", "alice", "--role", "dispatcher", "--db", url], input="s3cret-pass\n"
    )
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["users", "add", "bob", "--role", "pilot", "--db", url], input="s3cret-pass\n")
    assert isinstance(r.exception, InvalidInput) and "dispatcher" in str(r.exception)
    r = runner.invoke(app, ["users", "add", "carol", "--role", "analyst", "--db", url], input="\n")
    assert isinstance(r.exception, InvalidInput)
    engine = db.engine()
    sessions = session_factory(engine)
    with sessions() as s:
        assert login(s, name="alice", password="s3cret-pass", now=utcnow()).role == "dispatcher"
    with sessions() as s, s.begin():
        assert s.get_one(User, 1).password_hash.startswith("$argon2")
    r = runner.invoke(app, ["audit", "verify", "--db", url, "--json"])
    assert r.exit_code == 0 and json.loads(r.output)["ok"] is True
    with sessions() as s, s.begin():
        s.execute(update(AuditEntry).where(AuditEntry.seq == 1).values(detail='{"role": "admin"}'))
    r = runner.invoke(app, ["audit", "verify", "--db", url])
    assert isinstance(r.exception, CorruptData) and "seq 1" in str(r.exception)
    engine.dispose()
