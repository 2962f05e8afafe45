"""The command-centre web UI: the built front end (``dist/``) served by the API's own app.

The bundle is built from ``frontend/`` with Vite and committed, so ``pip install`` needs no Node.
:func:`mount_web` serves it at ``/`` with an ``index.html`` fallback for client routes (``/map``,
``/incidents/42`` ...) and never answers for ``/api`` paths, so the API keeps its own 404s and 405s.
"""

from __future__ import annotations

import html
from pathlib import Path

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from xunfang.core.errors import DataNotFound
from xunfang.core.settings import get_settings
from xunfang.web.live_token import LiveTokenBridge

DIST = Path(__file__).parent / "dist"
API_PREFIX = "/api"
_LANG_META = '<meta name="xunfang-default-lang" content="" />'


class _WebMount(Mount):
    """A mount at ``/`` that steps aside for API paths (unmatched API requests keep the API's answer)."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        path = scope.get("path", "")
        if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
            return Match.NONE, {}
        return super().matches(scope)


def _index_html(dist: Path, default_lang: str) -> str:
    text = (dist / "index.html").read_text(encoding="utf-8")
    meta = f'<meta name="xunfang-default-lang" content="{html.escape(default_lang)}" />'
    return text.replace(_LANG_META, meta)


def _routes(dist: Path, default_lang: str) -> list[BaseRoute]:
    index = _index_html(dist, default_lang)
    root = dist.resolve()

    async def page(request: Request) -> Response:
        rel = request.path_params.get("path", "")
        candidate = (root / rel).resolve()
        if rel and candidate.is_file() and candidate.is_relative_to(root) and candidate.name != "index.html":
            return FileResponse(candidate)
        if "." in rel.rsplit("/", 1)[-1]:
            raise HTTPException(status_code=404, detail=f"no file {rel!r} in the web bundle")
        return HTMLResponse(index, headers={"Cache-Control": "no-cache"})

    assets = StaticFiles(directory=dist / "assets", check_dir=False)
    return [
        Mount("/assets", app=assets, name="web-assets"),
        Route("/{path:path}", page, methods=["GET", "HEAD"]),
    ]


def mount_web(app: FastAPI, *, dist: Path = DIST, default_lang: str | None = None) -> None:
    """Serve the built UI at ``/``. Call it after the API routers are included.

    It also installs :class:`LiveTokenBridge`, so the browser's EventSource can authenticate to
    ``/api/v1/live`` with ``?token=`` (EventSource cannot send headers). ``default_lang`` (``zh``
    or ``en``) is the language a first-time user sees; it defaults to ``XUNFANG_DEFAULT_LANG``.
    Raises DataNotFound when the bundle is missing (build ``frontend/``).
    """
    if not (dist / "index.html").is_file():
        raise DataNotFound(f"web bundle {dist}/index.html is missing; run `npm run build` in frontend/")
    lang = default_lang or get_settings().default_lang
    app.router.routes.append(_WebMount("/", routes=_routes(dist, lang), name="web"))
    app.add_middleware(LiveTokenBridge)
