"""A light HTTP/1.1 load client for the service benchmarks (keep-alive connections, asyncio streams).

Why not httpx: the benchmarks run the client and the server on the same 2-core machine, and
httpx's async client spent as much CPU per request as the server it measured, so the figures
were the client's. This client does only what the load needs (JSON or form bodies, a
Content-Length response, keep-alive, a timeout) at a fraction of the cost, as wrk would.
A timed-out or broken connection is closed and raises :class:`LoadError`.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import urlencode, urlsplit


class LoadError(Exception):
    """The request got no complete answer (connection refused, reset or timed out)."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


class _Stale(Exception):
    """The connection was closed by the server before it answered."""


@dataclass(frozen=True)
class Reply:
    status_code: int
    content: bytes

    def json(self) -> Any:
        return json.loads(self.content)


_Conn = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class LoadClient:
    """``await c.post(path, json=...)`` / ``await c.get(path)`` against ``base_url`` (http only)."""

    def __init__(self, base_url: str, *, timeout: float = 30.0, max_connections: int = 64) -> None:
        u = urlsplit(base_url)
        if u.scheme != "http" or u.hostname is None:
            raise ValueError(f"base_url {base_url!r}: expected http://host:port/prefix")
        self.host, self.port, self.prefix = u.hostname, u.port or 80, u.path.rstrip("/")
        self.timeout = timeout
        self.headers: dict[str, str] = {}
        self._idle: list[_Conn] = []
        self._slots = asyncio.Semaphore(max_connections)

    async def __aenter__(self) -> LoadClient:
        return self

    async def __aexit__(
        self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None
    ) -> None:
        for _, w in self._idle:
            w.close()
        self._idle.clear()

    async def get(self, path: str, *, headers: dict[str, str] | None = None) -> Reply:
        return await self.request("GET", path, b"", None, headers)

    async def post(
        self,
        path: str,
        *,
        json: Any = None,
        data: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        if data is not None:
            body, ctype = urlencode(data).encode(), "application/x-www-form-urlencoded"
        else:
            body, ctype = _dumps(json), "application/json"
        return await self.request("POST", path, body, ctype, headers)

    async def request(
        self, method: str, path: str, body: bytes, ctype: str | None, headers: dict[str, str] | None
    ) -> Reply:
        head = [f"{method} {self.prefix}{path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        head += [f"{k}: {v}" for k, v in {**self.headers, **(headers or {})}.items()]
        if ctype:
            head += [f"Content-Type: {ctype}", f"Content-Length: {len(body)}"]
        raw = ("\r\n".join(head) + "\r\n\r\n").encode() + body
        async with self._slots:
            while self._idle:  # a kept connection the server closed meanwhile: try the next
                conn = self._idle.pop()
                try:
                    return await self._send(conn, raw)
                except _Stale:
                    continue
            try:
                conn = await asyncio.wait_for(asyncio.open_connection(self.host, self.port), self.timeout)
            except (OSError, TimeoutError) as exc:
                raise LoadError(f"{method} {path}: {exc!r}", type(exc).__name__) from None
            try:
                return await self._send(conn, raw)
            except _Stale as exc:
                raise LoadError(f"{method} {path}: {exc.__cause__!r}", "ConnectionClosed") from None

    async def _send(self, conn: _Conn, raw: bytes) -> Reply:
        """One exchange; a connection that dies before any answer byte raises :class:`_Stale`
        (as with any keep-alive client, such a request is sent again on a fresh connection)."""
        try:
            reply, keep = await asyncio.wait_for(_exchange(conn, raw), self.timeout)
        except asyncio.IncompleteReadError as exc:
            conn[1].close()
            if not exc.partial:
                raise _Stale from exc
            raise LoadError(f"answer cut short: {exc!r}", "IncompleteRead") from None
        except (ConnectionResetError, BrokenPipeError) as exc:
            conn[1].close()
            raise _Stale from exc
        except (OSError, TimeoutError, ValueError) as exc:
            conn[1].close()
            raise LoadError(repr(exc), type(exc).__name__) from None
        if keep:
            self._idle.append(conn)
        else:
            conn[1].close()
        return reply


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


async def _exchange(conn: _Conn, raw: bytes) -> tuple[Reply, bool]:
    reader, writer = conn
    writer.write(raw)
    await writer.drain()
    status_line = await reader.readuntil(b"\r\n")
    status = int(status_line.split(b" ", 2)[1])
    length, keep = 0, True
    while True:
        line = await reader.readuntil(b"\r\n")
        if line == b"\r\n":
            break
        name, _, value = line.partition(b":")
        key = name.strip().lower()
        if key == b"content-length":
            length = int(value)
        elif key == b"connection" and value.strip().lower() == b"close":
            keep = False
        elif key == b"transfer-encoding":
            raise ValueError("chunked responses are not supported by the load client")
    content = await reader.readexactly(length) if length else b""
    return Reply(status, content), keep
