"""MFA (TOTP), progressive login delay, the idle lock and session revocation, on both databases."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text
from typer.testing import CliRunner

from svc_support import DB, PG_URL
from svc_world import PASSWORD, service, token
from xunfang.api.context import ServiceContext
from xunfang.cli import app as cli_app
from xunfang.store import audit, mfa
from xunfang.store.db import session_factory
from xunfang.store.models import AuditEntry, User

FORM = "/api/v1/auth/token"
# RFC 6238 appendix B, SHA-1 rows: the secret "12345678901234567890"; our 6-digit codes are the
# last six digits of the RFC's 8-digit values (both are the same number modulo 10^digits).
RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
RFC_VECTORS = [
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
]


class Clock:
    """The service's clock, moved by the test (starts 3 h back so token 'iat' is never ahead)."""

    def __init__(self) -> None:
        self.t = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)

    def __call__(self) -> datetime:
        return self.t

    def advance(self, **kw: float) -> None:
        self.t += timedelta(**kw)


def _clocked(ctx: ServiceContext) -> Clock:
    clock = Clock()
    ctx.clock = clock
    return clock


def _login(client: TestClient, user: str, password: str = PASSWORD, otp: str | None = None) -> object:
    data = {"username": user, "password": password}
    if otp is not None:
        data["otp"] = otp
    return client.post(FORM, data=data)


def _bearer(r: object) -> dict[str, str]:
    assert r.status_code == 200, r.text  # type: ignore[attr-defined]
    return {"Authorization": f"Bearer {r.json()['access_token']}"}  # type: ignore[attr-defined]


@pytest.mark.parametrize(("t", "expected"), RFC_VECTORS)
def test_totp_matches_rfc6238_vectors(t: int, expected: str) -> None:
    when = datetime.fromtimestamp(t, UTC)
    assert mfa.code_at(RFC_SECRET, when) == expected[-6:]
    assert mfa.accept(RFC_SECRET, expected[-6:], now=when, last_step=None) == t // 30


def test_totp_window_replay_and_malformed_codes() -> None:
    now = datetime(2026, 3, 8, 8, 0, 10, tzinfo=UTC)
    step = int(now.timestamp()) // 30
    code = mfa.code_at(RFC_SECRET, now)
    assert mfa.accept(RFC_SECRET, code, now=now + timedelta(seconds=30), last_step=None) == step  # drift
    assert mfa.accept(RFC_SECRET, code, now=now + timedelta(seconds=90), last_step=None) is None  # too old
    assert mfa.accept(RFC_SECRET, code, now=now, last_step=step) is None  # already used
    for bad in ("", "12345", "1234567", "abcdef", "12 34 5x"):
        assert mfa.accept(RFC_SECRET, bad, now=now, last_step=None) is None
    spaced = code[:3] + " " + code[3:]
    assert mfa.accept(RFC_SECRET, spaced, now=now, last_step=None) == step
    assert mfa.provisioning_uri("ann", RFC_SECRET).startswith("otpauth://totp/xunfang:ann?secret=")


def test_mfa_enrolment_and_login_by_api(engine: Engine) -> None:
    with service(engine) as (client, ctx):
        clock = _clocked(ctx)
        admin = token(client, "admin")
        assert (
            client.post("/api/v1/users/dispatcher/mfa", headers=token(client, "commander")).status_code == 403
        )
        assert client.post("/api/v1/users/nobody/mfa", headers=admin).status_code == 404
        r = client.post("/api/v1/users/dispatcher/mfa", headers=admin)
        assert r.status_code == 201
        secret, uri = r.json()["secret"], r.json()["otpauth_uri"]
        assert uri.startswith("otpauth://totp/") and f"secret={secret}" in uri
        # the secret is stored encrypted with the field key, never in plain text
        with engine.connect() as conn:
            raw = conn.execute(text("select mfa_secret from users where name = 'dispatcher'")).scalar_one()
        assert raw.startswith("v1:") and secret not in raw
        # a plain OAuth2 password form is not enough any more; nothing is counted for asking
        r = _login(client, "dispatcher")
        assert r.status_code == 401 and r.json()["error"] == "MfaRequired" and "otp" in r.json()["detail"]
        assert r.json()["field"] == "otp"  # the dashboard shows its code field on this
        r = _login(
            client, "dispatcher", otp="000000" if mfa.code_at(secret, clock.t) != "000000" else "111111"
        )
        assert r.status_code == 401 and "one-time code" in r.json()["detail"]
        assert r.json()["error"] == "AuthFailed" and r.json()["field"] == "otp"
        clock.advance(seconds=2)  # past the 1 s delay that failure earned
        code = mfa.code_at(secret, clock.t)
        assert _login(client, "dispatcher", password="wrong-password", otp=code).status_code == 401
        clock.advance(seconds=3)
        headers = _bearer(_login(client, "dispatcher", otp=code))
        assert client.get("/api/v1/incidents", headers=headers).status_code == 200
        assert _login(client, "dispatcher", otp=code).status_code == 401  # a code works once
        clock.advance(seconds=30)
        _bearer(_login(client, "dispatcher", otp=mfa.code_at(secret, clock.t)))
        # accounts without MFA keep the plain form; removing MFA restores it
        _bearer(_login(client, "analyst"))
        assert client.delete("/api/v1/users/dispatcher/mfa", headers=admin).status_code == 204
        _bearer(_login(client, "dispatcher"))
        with session_factory(engine)() as s, s.begin():
            actions = s.execute(select(AuditEntry.action)).scalars().all()
            assert {"user.mfa.enrol", "user.mfa.remove", "login.ok", "login.fail"} <= set(actions)
            assert audit.verify(s) == []


def test_mfa_required_roles_refuse_unenrolled_accounts(engine: Engine) -> None:
    with service(engine, mfa_required_roles=("dispatcher", "admin")) as (client, ctx):
        clock = _clocked(ctx)
        r = _login(client, "dispatcher")
        assert r.status_code == 401 and "xunfang users mfa dispatcher" in r.json()["detail"]
        assert "field" not in r.json()  # no code can help: the dashboard shows no code field
        _bearer(_login(client, "analyst"))
        secret = client.post("/api/v1/users/dispatcher/mfa", headers=token(client, "admin")).json()["secret"]
        _bearer(_login(client, "dispatcher", otp=mfa.code_at(secret, clock.t)))


def test_production_requires_mfa_of_interactive_roles_by_default() -> None:
    from xunfang.core.settings import Settings

    prod = Settings(env="production", secret_key="x" * 40, field_key="0" * 64)
    assert {"admin", "commander", "dispatcher", "station", "auditor"} <= prod.mfa_roles
    assert "patrol" not in prod.mfa_roles
    assert Settings(env="test").mfa_roles == frozenset()
    assert Settings(
        env="production", secret_key="x" * 40, field_key="0" * 64, mfa_required_roles=()
    ).mfa_roles == (frozenset())


def test_progressive_delay_then_doubling_lockout(engine: Engine) -> None:
    with service(engine) as (client, ctx):
        clock = _clocked(ctx)
        waits = []
        for _ in range(4):
            assert _login(client, "analyst", password="wrong-password").status_code == 401
            r = _login(client, "analyst")  # even the right password is not checked inside the delay
            assert r.status_code == 429
            waits.append(int(r.headers["Retry-After"]))
            clock.advance(seconds=waits[-1])
        assert waits == [1, 2, 4, 8]
        assert _login(client, "analyst", password="wrong-password").status_code == 401  # 5th: locked
        clock.advance(minutes=9)
        assert "locked" in _login(client, "analyst").json()["detail"]
        clock.advance(minutes=2)
        for _ in range(5):  # a second lockout in a row lasts twice as long
            assert _login(client, "analyst", password="wrong-password").status_code == 401
            clock.advance(seconds=20)
        clock.advance(minutes=15)
        assert "locked" in _login(client, "analyst").json()["detail"]
        clock.advance(minutes=6)
        _bearer(_login(client, "analyst"))
        with session_factory(engine)() as s, s.begin():
            user = s.execute(select(User).where(User.name == "analyst")).scalar_one()
            assert (user.lockouts, user.failed_logins, user.next_login_at) == (0, 0, None)
            assert "login.throttled" in s.execute(select(AuditEntry.action)).scalars().all()


def test_idle_lock_after_30_minutes_without_requests(engine: Engine) -> None:
    with service(engine) as (client, ctx):
        clock = _clocked(ctx)
        assert ctx.settings.idle_minutes == 30
        headers = _bearer(_login(client, "commander"))
        for _ in range(3):  # activity every 20 minutes keeps the session open for an hour
            clock.advance(minutes=20)
            assert client.get("/api/v1/incidents", headers=headers).status_code == 200
        clock.advance(minutes=31)
        r = client.get("/api/v1/incidents", headers=headers)
        assert r.status_code == 401 and "30 minutes" in r.json()["detail"]
        clock.advance(minutes=1)
        assert client.get("/api/v1/incidents", headers=headers).status_code == 401  # stays locked
        fresh = _bearer(_login(client, "commander"))
        assert client.get("/api/v1/incidents", headers=fresh).status_code == 200


def test_idle_lock_sees_activity_on_another_worker(engine: Engine) -> None:
    """Two workers on one database: requests served by A keep the session open on B."""
    with service(engine) as (a, ctx_a), service(engine, seeded=True) as (b, ctx_b):
        clock = _clocked(ctx_a)
        ctx_b.clock = clock
        headers = _bearer(_login(a, "commander"))
        for _ in range(2):
            clock.advance(minutes=20)
            assert a.get("/api/v1/incidents", headers=headers).status_code == 200
        clock.advance(minutes=15)  # 55 min after login, 15 min after the last request (on A)
        assert b.get("/api/v1/incidents", headers=headers).status_code == 200


def test_idle_lock_can_be_turned_off(engine: Engine) -> None:
    with service(engine, idle_minutes=0) as (client, ctx):
        clock = _clocked(ctx)
        headers = _bearer(_login(client, "commander"))
        clock.advance(hours=2)
        assert client.get("/api/v1/incidents", headers=headers).status_code == 200


def _listen(client: TestClient, headers: dict[str, str], lines: list[str]) -> None:
    with client.stream("GET", "/api/v1/live?ping_s=0.2", headers=headers) as r:
        assert r.status_code == 200
        for line in r.iter_lines():
            lines.append(line)


def _wait_subscribed(ctx: ServiceContext, n: int) -> None:
    deadline = time.monotonic() + 5
    while ctx.broker.subscribers < n and time.monotonic() < deadline:
        time.sleep(0.02)
    assert ctx.broker.subscribers >= n


def test_revocation_by_api_ends_rest_and_live_sessions(engine: Engine) -> None:
    with service(engine) as (client, ctx):
        victim = _bearer(_login(client, "dispatcher"))
        other = _bearer(_login(client, "commander"))
        lines: list[str] = []
        listener = threading.Thread(target=_listen, args=(client, victim, lines), daemon=True)
        listener.start()
        _wait_subscribed(ctx, 1)
        admin = token(client, "admin")
        assert client.post("/api/v1/users/dispatcher/revoke", headers=other).status_code == 403
        r = client.post("/api/v1/users/dispatcher/revoke", headers=admin)
        assert r.status_code == 200 and r.json()["session_version"] == 1
        r = client.get("/api/v1/incidents", headers=victim)
        assert r.status_code == 401 and "revoked" in r.json()["detail"]
        listener.join(5)  # the requirement: the live feed closes within 5 s
        assert not listener.is_alive() and "event: session_ended" in lines
        assert client.get("/api/v1/incidents", headers=other).status_code == 200
        again = _bearer(_login(client, "dispatcher"))  # revoking ends sessions, not the account
        assert client.get("/api/v1/incidents", headers=again).status_code == 200
        r = client.post("/api/v1/users/dispatcher/revoke", json={"disable": True}, headers=admin)
        assert r.json() == {"user": "dispatcher", "session_version": 2, "disabled": True}
        assert client.get("/api/v1/incidents", headers=again).status_code == 401
        assert "disabled" in _login(client, "dispatcher").json()["detail"]
        assert client.post("/api/v1/users/dispatcher/enable", headers=admin).status_code == 200
        _bearer(_login(client, "dispatcher"))


def _url(db: DB) -> str:
    return db.url if db.schema is None else f"{PG_URL}?options=-csearch_path%3D{db.schema}"


def test_revocation_by_cli_reaches_a_running_worker(db: DB, engine: Engine) -> None:
    """`xunfang users revoke` in another process: the worker sees it after revocation_check_s."""
    with service(engine, revocation_check_s=0.2) as (client, ctx):
        victim = _bearer(_login(client, "station"))
        assert client.get("/api/v1/incidents", headers=victim).status_code == 200
        lines: list[str] = []
        listener = threading.Thread(target=_listen, args=(client, victim, lines), daemon=True)
        listener.start()
        _wait_subscribed(ctx, 1)
        r = CliRunner().invoke(cli_app, ["users", "revoke", "station", "--db", _url(db)])
        assert r.exit_code == 0 and "revoked" in r.output, r.output
        time.sleep(0.25)  # longer than the worker's revocation_check_s
        assert client.get("/api/v1/incidents", headers=victim).status_code == 401
        listener.join(5)
        assert not listener.is_alive() and "event: session_ended" in lines


def test_users_mfa_cli_prints_uri_and_secret(db: DB, engine: Engine) -> None:
    with service(engine) as (client, ctx):
        clock = _clocked(ctx)
        r = CliRunner().invoke(cli_app, ["users", "mfa", "auditor", "--db", _url(db)])
        assert r.exit_code == 0, r.output
        uri = next(line for line in r.output.splitlines() if line.startswith("otpauth URI: "))
        secret = next(line for line in r.output.splitlines() if line.startswith("secret: ")).split()[-1]
        assert "otpauth://totp/xunfang:auditor?secret=" + secret in uri
        assert _login(client, "auditor").json()["error"] == "MfaRequired"
        _bearer(_login(client, "auditor", otp=mfa.code_at(secret, clock.t)))
        r = CliRunner().invoke(cli_app, ["users", "mfa", "nobody", "--db", _url(db)])
        assert r.exit_code != 0
        r = CliRunner().invoke(cli_app, ["users", "mfa", "auditor", "--remove", "--db", _url(db)])
        assert r.exit_code == 0
        _bearer(_login(client, "auditor"))
