"""Support for the browser tests: a real ``xunfang serve`` on loopback, Debian's Chromium, and
screenshot checks. Set ``XUNFANG_E2E_URL`` (+ ``XUNFANG_E2E_USER`` / ``XUNFANG_E2E_PASSWORD``)
to test a server that is already running instead of starting one."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

CHROMIUM = Path(os.environ.get("XUNFANG_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[1] / "out" / "screenshots"
E2E_USER, E2E_PASSWORD = "e2e-admin", "e2e-Passw0rd-long-enough"


@dataclass
class Server:
    url: str
    user: str
    password: str
    db: str | None = None

    def token(self) -> str:
        r = httpx.post(
            f"{self.url}/api/v1/auth/token", data={"username": self.user, "password": self.password}
        )
        r.raise_for_status()
        return str(r.json()["access_token"])


def xunfang_exe() -> list[str]:
    exe = Path(sys.executable).parent / "xunfang"
    return [str(exe)] if exe.exists() else [sys.executable, "-c", "from xunfang.cli import main; main()"]


def serve_available() -> bool:
    out = subprocess.run([*xunfang_exe(), "serve", "--help"], capture_output=True, text=True, check=False)
    return out.returncode == 0 and "--demo" in out.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, proc: subprocess.Popen[bytes] | None, timeout_s: float = 240.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"xunfang serve exited with {proc.returncode}")
        try:
            if httpx.get(f"{url}/api/v1/openapi.json", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} not ready after {timeout_s} s")


@contextmanager
def running_server(tmp: Path) -> Iterator[Server]:
    """``xunfang serve --demo chicago`` on a fresh SQLite file and a free loopback port, plus an
    admin user for the browser."""
    if os.environ.get("XUNFANG_E2E_URL"):
        yield Server(
            os.environ["XUNFANG_E2E_URL"], os.environ["XUNFANG_E2E_USER"], os.environ["XUNFANG_E2E_PASSWORD"]
        )
        return
    db = f"sqlite:///{tmp / 'e2e.db'}"
    port = free_port()
    log = (tmp / "serve.log").open("wb")
    cmd = [
        *xunfang_exe(),
        "serve",
        "--demo",
        "chicago",
        "--db",
        db,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_ready(url, proc)
        add = [*xunfang_exe(), "users", "add", E2E_USER, "--role", "admin", "--db", db]
        subprocess.run(add, input=f"{E2E_PASSWORD}\n", text=True, check=True, capture_output=True)
        yield Server(url, E2E_USER, E2E_PASSWORD, db)
    finally:
        stop(proc)
        log.close()


def non_blank(png: Path, min_colours: int = 24) -> tuple[bool, int]:
    """A screenshot shows something: many distinct colours and not one flat colour."""
    img = np.asarray(Image.open(png).convert("RGB"))
    colours = int(np.unique(img.reshape(-1, 3), axis=0).shape[0])
    return colours >= min_colours and float(img.std()) > 4.0, colours


def chromium_present() -> bool:
    return CHROMIUM.exists() or shutil.which("chromium") is not None


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a test server: SIGTERM, then SIGKILL if it has not exited within 15 s."""
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
