"""Caller identities are encrypted in the database (AES-256-GCM, key outside it): the raw SQLite
file holds no canary in plain text, while authorised users still read the caller back."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import text

from svc_world import incident_body, service, token
from xunfang.core.errors import CorruptData
from xunfang.core.settings import Settings
from xunfang.store import crypto
from xunfang.store.db import make_engine
from xunfang.store.migrate import upgrade


def _raw_bytes(db: Path) -> bytes:
    return b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))


def test_sqlite_file_holds_no_caller_canary(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    name, phone = f"CANARY{secrets.token_hex(6)}", "+86 139 0000 7781"
    with service(engine) as (client, _ctx):
        h = {**token(client, "dispatcher"), "Idempotency-Key": "enc-1"}
        r = client.post(
            "/api/v1/incidents", json=incident_body(caller={"name": name, "phone": phone}), headers=h
        )
        assert r.status_code == 201, r.text
        got = client.get(f"/api/v1/incidents/{r.json()['id']}", headers=h).json()
        assert got["caller"] == {"name": name, "phone": phone}  # authorised reader: decrypted
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT caller_name, caller_phone FROM incidents")).one()
    assert all(v.startswith(crypto.PREFIX) for v in stored)
    engine.dispose()
    raw = _raw_bytes(db)
    assert name.encode() not in raw and phone.encode() not in raw
    assert b"7781" not in raw.replace(b"+86 139 0000", b"")  # not even the tail of the number


def test_roundtrip_legacy_and_wrong_key() -> None:
    token_ = crypto.encrypt("张三 +86 138")
    assert token_ != crypto.encrypt("张三 +86 138")  # fresh nonce each time
    assert crypto.decrypt(token_) == "张三 +86 138"
    assert crypto.decrypt("plain legacy value") == "plain legacy value"
    tampered = token_[:-4] + ("AAAA" if not token_.endswith("AAAA") else "BBBB")
    with pytest.raises(CorruptData):
        crypto.decrypt(tampered)


def test_production_refuses_to_start_without_a_field_key() -> None:
    with pytest.raises(ValidationError, match="FIELD_KEY"):
        Settings(env="production", secret_key="s" * 40)
    ok = Settings(env="production", secret_key="s" * 40, field_key="ab" * 32)
    assert ok.field_key
