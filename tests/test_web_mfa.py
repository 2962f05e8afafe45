"""End-to-end: an account with TOTP MFA logs in through the dashboard in Debian's Chromium.

A real ``xunfang serve`` (no demo city: the login needs none) on a fresh SQLite file; a dispatcher
enrolled with ``xunfang users mfa`` whose codes the test computes with the server's own TOTP code
(``xunfang.store.mfa``). The password step is answered 401 MfaRequired/field=otp and the form turns
into a 6-digit code step; a wrong code is reported as such (and counts as a failure: the server's
progressive delay, 429 + Retry-After, is shown as a countdown with the button disabled); the right
code logs in.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from conftest import need
from web_e2e_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    SCREENSHOTS,
    chromium_present,
    free_port,
    non_blank,
    serve_available,
    stop,
    wait_ready,
    xunfang_exe,
)
from xunfang.store import mfa

pytestmark = pytest.mark.slow
sync_api = pytest.importorskip("playwright.sync_api")
USER, PASSWORD = "e2e-mfa-dispatcher", "e2e-Mfa-Passw0rd-long-enough"
DELAY_S = 3  # progressive delay base: failure 1 → 3 s, so the retry below is throttled


class MfaServer:
    def __init__(self, url: str, secret: str) -> None:
        self.url, self.secret = url, secret


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MfaServer]:
    need(chromium_present(), f"Chromium at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)")
    need(serve_available(), "`xunfang serve` (the service)")
    tmp = tmp_path_factory.mktemp("mfa")
    db, port = f"sqlite:///{tmp / 'mfa.db'}", free_port()
    env = {**os.environ, "XUNFANG_LOGIN_DELAY_S": str(DELAY_S), "XUNFANG_STATE_DIR": str(tmp / "state")}
    with (tmp / "serve.log").open("wb") as log:
        cmd = [*xunfang_exe(), "serve", "--db", db, "--host", "127.0.0.1", "--port", str(port)]
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_ready(url, proc)
            add = [*xunfang_exe(), "users", "add", USER, "--role", "dispatcher", "--db", db]
            subprocess.run(add, input=f"{PASSWORD}\n", env=env, text=True, check=True, capture_output=True)
            enrol = [*xunfang_exe(), "users", "mfa", USER, "--db", db]
            out = subprocess.run(enrol, env=env, text=True, check=True, capture_output=True).stdout
            secret = re.search(r"^secret: ([A-Z2-7]+)$", out, re.MULTILINE)
            assert secret, out
            yield MfaServer(url, secret.group(1))
        finally:
            stop(proc)


def _code(secret: str) -> str:
    return mfa.code_at(secret, datetime.now(UTC))


def _wrong_code(secret: str) -> str:
    """Six digits valid for no step the server accepts now (current ± 1, with some margin)."""
    now = datetime.now(UTC)
    valid = {mfa.code_at(secret, now + timedelta(seconds=30 * k)) for k in range(-2, 3)}
    return next(c for c in (f"{d}" * 6 for d in range(10)) if c not in valid)


def _shot(pg: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    pg.screenshot(path=str(path))
    ok, colours = non_blank(path)
    assert ok, f"{path} looks blank ({colours} colours)"
    return path


def _submit(pg: Any) -> Any:
    with pg.expect_response(lambda r: r.url.endswith("/api/v1/auth/token")) as resp:
        pg.click("[data-testid=login-submit]")
    return resp.value


def test_mfa_login_wrong_code_delay_and_right_code(server: MfaServer) -> None:
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        pg = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB").new_page()
        pg.set_default_timeout(30_000)
        errors: list[str] = []
        pg.on("pageerror", lambda err: errors.append(str(err)))
        pg.add_init_script("localStorage.setItem('xunfang.lang', 'en')")
        pg.goto(f"{server.url}/incidents")
        otp = pg.locator("[data-testid=login-otp]")
        error = pg.locator("[data-testid=login-error]")
        assert otp.is_hidden()  # no code field until the server asks for one

        # step 1: name + password → the server says a code is needed → the code step
        pg.fill("[data-testid=login-user]", USER)
        pg.fill("[data-testid=login-password]", PASSWORD)
        r = _submit(pg)
        assert r.status == 401 and r.json()["error"] == "MfaRequired" and r.json()["field"] == "otp"
        otp.wait_for(state="visible")
        assert otp.get_attribute("autocomplete") == "one-time-code"
        assert otp.get_attribute("inputmode") == "numeric" and otp.get_attribute("maxlength") == "6"
        assert pg.locator("[data-testid=login-password]").is_hidden()
        assert pg.evaluate("document.activeElement?.dataset.testid") == "login-otp"
        assert error.inner_text() == ""  # asking for the code is not an error
        _shot(pg, "mfa-01-code-step")

        # a malformed code is refused in the browser and never sent (it would count as a failure)
        otp.fill("12a4")
        assert otp.input_value() == "124"
        pg.click("[data-testid=login-submit]")
        assert "6 digits" in error.inner_text()

        # a wrong code: said plainly, the field cleared, still on the code step
        otp.fill(_wrong_code(server.secret))
        r = _submit(pg)
        assert r.status == 401 and r.json()["field"] == "otp"
        assert "Incorrect or already used code" in error.inner_text()
        assert otp.is_visible() and otp.input_value() == ""
        _shot(pg, "mfa-02-wrong-code")

        # the right code at once: inside the server's delay it is answered 429 + Retry-After, shown
        # as a countdown with the button disabled until it runs out; then the same step logs in
        otp.fill(_code(server.secret))
        r = _submit(pg)
        print(f"\nMFA_RETRY_AT_ONCE_STATUS={r.status}")
        if r.status == 429:
            assert int(r.headers["retry-after"]) >= 1
            assert re.search(r"try again in \d+ s", error.inner_text()), error.inner_text()
            assert pg.locator("[data-testid=login-submit]").is_disabled()
            _shot(pg, "mfa-03-throttled")
            pg.wait_for_selector("[data-testid=login-submit]:enabled", timeout=(DELAY_S + 5) * 1000)
            assert error.inner_text() == ""
            otp.fill(_code(server.secret))
            r = _submit(pg)
        assert r.status == 200, r.text()
        pg.wait_for_selector("[data-testid=live-pill]")
        assert pg.evaluate("sessionStorage.getItem('xunfang.token')")
        assert "/incidents" in pg.url
        _shot(pg, "mfa-04-logged-in")
        assert errors == []
        browser.close()
