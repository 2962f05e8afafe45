"""Lets the browser's EventSource authenticate to the live feed.

``EventSource`` cannot send an ``Authorization`` header, so the UI opens
``/api/v1/live?token=<jwt>``. This ASGI middleware copies that query parameter into a bearer
header for that one path, when no header is present, and removes it from the query string so it
does not reach access logs downstream. Every other path is untouched.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Receive, Scope, Send

LIVE_PATH = "/api/v1/live"


class LiveTokenBridge:
    def __init__(self, app: ASGIApp, *, path: str = LIVE_PATH) -> None:
        self.app = app
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("path") == self.path:
            scope = _bridge(scope)
        await self.app(scope, receive, send)


def _bridge(scope: Scope) -> Scope:
    query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    tokens = [v for k, v in query if k == "token"]
    if not tokens:
        return scope
    headers = list(scope.get("headers", []))
    if not any(name.lower() == b"authorization" for name, _ in headers):
        headers.append((b"authorization", f"Bearer {tokens[-1]}".encode("latin-1")))
    rest = urlencode([(k, v) for k, v in query if k != "token"]).encode("latin-1")
    return {**scope, "headers": headers, "query_string": rest}
