"""Kill the server with SIGKILL during intake, restart it on the same database: every incident that
got a 201 is there, and retrying every key (acknowledged or in flight) creates no duplicate."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from svc_support import DB, PG_URL
from svc_world import PASSWORD, incident_body, jurisdiction, seed


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _server_url(db: DB) -> str:
    if db.schema is None:
        return db.url
    return f"{PG_URL}?options=-csearch_path%3D{db.schema}"


def _start(db: DB, port: int, log: Path, *extra: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "XUNFANG_ENV": "test"}
    cmd = [sys.executable, "-m", "xunfang.cli", "serve", "--port", str(port), "--db", _server_url(db), *extra]
    proc = subprocess.Popen(cmd, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError(f"server did not start: {log.read_text()[-2000:]}")


def _headers(base: str) -> dict[str, str]:
    r = httpx.post(f"{base}/auth/token", data={"username": "dispatcher", "password": PASSWORD}, timeout=10)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_sigkill_during_intake_loses_nothing(db: DB, tmp_path: Path) -> None:
    engine = db.engine()
    seed(engine, jurisdiction())
    engine.dispose()
    port, log = _free_port(), tmp_path / "server.log"
    base = f"http://127.0.0.1:{port}/api/v1"
    proc = _start(db, port, log)
    headers = _headers(base)
    acked: dict[str, int] = {}
    attempted: list[str] = []
    bodies: dict[str, dict[str, object]] = {}
    stop = threading.Event()

    def intake(worker: int) -> None:
        with httpx.Client(timeout=5) as client:
            for i in range(10_000):
                if stop.is_set():
                    return
                key = f"w{worker}-{i}"
                bodies[key] = incident_body(description=key)
                attempted.append(key)
                try:
                    r = client.post(
                        f"{base}/incidents", json=bodies[key], headers={**headers, "Idempotency-Key": key}
                    )
                except httpx.HTTPError:
                    return  # server gone mid-request: this key is "in flight"
                if r.status_code == 201:
                    acked[key] = r.json()["id"]

    workers = [threading.Thread(target=intake, args=(w,)) for w in range(4)]
    for w in workers:
        w.start()
    while len(acked) < 30 and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    stop.set()
    for w in workers:
        w.join(10)
    assert len(acked) >= 30
    proc = _start(db, port, log)
    try:
        headers = _headers(base)
        with httpx.Client(timeout=10) as client:
            for key, inc_id in acked.items():
                got = client.get(f"{base}/incidents/{inc_id}", headers=headers)
                assert got.status_code == 200 and got.json()["description"] == key
            for key in attempted:  # clients retry everything they are unsure of
                r = client.post(
                    f"{base}/incidents", json=bodies[key], headers={**headers, "Idempotency-Key": key}
                )
                assert r.status_code in (200, 201), r.text
                if key in acked:
                    assert r.status_code == 200 and r.json()["id"] == acked[key]
            items = client.get(f"{base}/incidents?limit=500", headers=headers).json()["items"]
        descriptions = [i["description"] for i in items]
        assert sorted(descriptions) == sorted(set(attempted))  # each key exactly once
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)


def _children(pid: int) -> set[int]:
    return {int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}


def test_standby_takes_over_after_sigkill_and_stops_with_its_supervisor(db: DB, tmp_path: Path) -> None:
    """`serve --standby`: the serving process is SIGKILLed; the warm standby answers next, with
    every acknowledged incident, and SIGTERM to the supervisor ends every child."""
    engine = db.engine()
    seed(engine, jurisdiction())
    engine.dispose()
    port, log = _free_port(), tmp_path / "server.log"
    base = f"http://127.0.0.1:{port}/api/v1"
    proc = _start(db, port, log, "--standby")
    try:
        while log.read_text().count(" ready\n") < 2:  # active and standby
            assert proc.poll() is None, log.read_text()[-2000:]
            time.sleep(0.1)
        headers = _headers(base)
        acked, bodies = {}, {f"k{i}": incident_body(description=f"k{i}") for i in range(5)}
        for i in range(5):
            r = httpx.post(
                f"{base}/incidents",
                json=bodies[f"k{i}"],
                headers={**headers, "Idempotency-Key": f"k{i}"},
                timeout=10,
            )
            assert r.status_code == 201, r.text
            acked[f"k{i}"] = r.json()["id"]
        first = int(r.headers["x-xunfang-worker"])
        assert first in _children(proc.pid) and len(_children(proc.pid)) == 2
        os.kill(first, signal.SIGKILL)
        deadline = time.time() + 30
        while True:
            assert time.time() < deadline, log.read_text()[-2000:]
            try:
                got = httpx.get(f"{base}/incidents/{acked['k4']}", headers=headers, timeout=5)
                break
            except httpx.HTTPError:
                time.sleep(0.05)
        assert got.status_code == 200 and int(got.headers["x-xunfang-worker"]) != first
        for key, inc_id in acked.items():  # every acknowledged incident; a retry finds the same one
            r = httpx.post(
                f"{base}/incidents",
                json=bodies[key],
                headers={**headers, "Idempotency-Key": key},
                timeout=10,
            )
            assert r.status_code == 200 and r.json()["id"] == inc_id
        assert f"active pid={first} ended" in log.read_text()
        children = _children(proc.pid)
        assert len(children) == 2 and first not in children  # a new standby is on its way
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    assert proc.returncode == 0
    time.sleep(0.5)
    assert all(not Path(f"/proc/{c}").exists() for c in children), "children outlived the supervisor"
