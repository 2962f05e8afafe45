"""`xunfang serve --standby`: one serving process and one warm standby behind one socket.

A cold start of the service costs ~8 s on a 2-core machine (imports ~4 s, road graph and map
layers ~3 s), far over the 2 s a centre can be without its dispatch service when the serving
process dies. So the supervisor binds the socket once and keeps two children: the *active* one
accepts from it; the *standby* has done all of start-up except the app's lifespan (which loads
the live state from the database and starts the watchers) and waits on a pipe. When the active
child dies the supervisor promotes the standby at once: it starts accepting from the same socket,
where the connections that arrived meanwhile are waiting in the kernel's backlog, and reloads the
live state from the database; then a new standby is started. Only the active child writes, so this
works with SQLite as well as PostgreSQL. (Several *active* workers on PostgreSQL: `--workers N`.)

The supervisor only waits and forwards signals; it imports nothing heavy. A child learns that its
supervisor died from the promotion pipe closing, and exits.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess  # nosec B404 (the supervisor starts its own interpreter with fixed arguments)
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass

# the kernel queues this many connections while no child accepts (between a crash and promotion)
BACKLOG = 4096


@dataclass
class _Child:
    proc: subprocess.Popen[bytes]
    go: int  # write end: one byte promotes the child
    ready: threading.Event

    @property
    def pid(self) -> int:
        return self.proc.pid


class Supervisor:
    """Keeps one active and one standby child on ``sock``; see the module docstring."""

    def __init__(
        self, url: str, sock: socket.socket, log_level: str, echo: Callable[[str], None] = print
    ) -> None:
        self.url, self.sock, self.log_level, self.echo = url, sock, log_level, echo
        self.stopping = False
        self.active: _Child | None = None
        self.standby: _Child | None = None

    def _spawn(self) -> _Child:
        go_r, go_w = os.pipe()
        ready_r, ready_w = os.pipe()
        fd = self.sock.fileno()
        cmd = [sys.executable, "-m", __name__, str(fd), str(go_r), str(ready_w), self.url, self.log_level]
        proc = subprocess.Popen(cmd, pass_fds=(fd, go_r, ready_w))  # nosec B603 (fixed argument list)
        os.close(go_r)
        os.close(ready_w)
        child = _Child(proc, go_w, threading.Event())
        threading.Thread(target=self._await_ready, args=(child, ready_r), daemon=True).start()
        return child

    def _await_ready(self, child: _Child, ready_r: int) -> None:
        with contextlib.suppress(OSError):
            if os.read(ready_r, 1):
                child.ready.set()
                role = "active" if child is self.active else "standby"
                self.echo(f"supervisor: {role} pid={child.pid} ready")
        os.close(ready_r)

    def _promote(self, child: _Child) -> None:
        self.active = child
        with contextlib.suppress(OSError):
            os.write(child.go, b"g")
        self.echo(f"supervisor: active pid={child.pid}")

    def run(self) -> int:
        """Block until stopped (SIGTERM/SIGINT); returns the exit status."""
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._stop)
        self._promote(self._spawn())
        self.standby = self._spawn()
        while not self.stopping or self._alive():
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            self._reap(pid, status)
        return 0

    def _alive(self) -> bool:
        return any(c is not None and c.proc.poll() is None for c in (self.active, self.standby))

    def _reap(self, pid: int, status: int) -> None:
        for child in (self.active, self.standby):
            if child is not None and child.pid == pid:
                child.proc.returncode = os.waitstatus_to_exitcode(status)
                os.close(child.go)
        if self.stopping:
            return
        if self.active is not None and pid == self.active.pid:
            self.echo(f"supervisor: active pid={pid} ended ({os.waitstatus_to_exitcode(status)}); promoting")
            standby, self.standby = self.standby, None
            self._promote(standby if standby is not None else self._spawn())
            self.standby = self._spawn()
        elif self.standby is not None and pid == self.standby.pid:
            self.echo(f"supervisor: standby pid={pid} ended; starting another")
            self.standby = self._spawn()

    def _stop(self, signum: int, _frame: object) -> None:
        self.stopping = True
        for child in (self.active, self.standby):
            if child is not None and child.proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    child.proc.send_signal(signal.SIGTERM)


def run(url: str, *, host: str, port: int, log_level: str) -> None:
    sock = socket.create_server((host, port), backlog=BACKLOG)
    sock.set_inheritable(True)
    raise SystemExit(Supervisor(url, sock, log_level).run())


def _child(fd: int, go_r: int, ready_w: int, url: str, log_level: str) -> None:
    """A child: build everything, say ready, wait to be promoted, then serve ``fd``."""
    import uvicorn

    from xunfang.api.app import create_app
    from xunfang.api.bootstrap import build_context
    from xunfang.api.cli import tune_runtime
    from xunfang.api.routers.map import warm
    from xunfang.api.workers import WorkerHeader
    from xunfang.store.db import make_engine

    app = create_app(build_context(make_engine(url), echo=print))
    warm(app)
    tune_runtime()
    os.write(ready_w, b"r")
    os.close(ready_w)
    if os.read(go_r, 1) != b"g":
        return  # the supervisor is gone: nothing to serve for
    threading.Thread(target=_orphaned, args=(go_r,), daemon=True).start()
    sock = socket.socket(fileno=fd)
    server = uvicorn.Server(uvicorn.Config(WorkerHeader(app, str(os.getpid())), log_level=log_level))
    server.run(sockets=[sock])


def _orphaned(go_r: int) -> None:
    """The promotion pipe reaches end-of-file when the supervisor dies: shut down cleanly then."""
    with contextlib.suppress(OSError):
        while os.read(go_r, 1):
            pass
    os.kill(os.getpid(), signal.SIGTERM)


if __name__ == "__main__":
    fd_, go_, ready_ = (int(a) for a in sys.argv[1:4])
    _child(fd_, go_, ready_, sys.argv[4], sys.argv[5])
