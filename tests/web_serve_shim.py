"""Runs ``xunfang serve`` for the browser tests with the web UI mounted.

Until the app factory calls :func:`xunfang.web.mount_web` itself, this wraps the factory so the
real server also serves the UI; once it does, the wrapper changes nothing.
"""

from __future__ import annotations

import sys
from typing import Any

import xunfang.api.app as app_module
from xunfang.cli import main
from xunfang.web import _WebMount, mount_web

_factory = app_module.create_app


def _create_app(*args: Any, **kwargs: Any) -> Any:
    app = _factory(*args, **kwargs)
    if not any(isinstance(r, _WebMount) for r in app.router.routes):
        mount_web(app)
    return app


if __name__ == "__main__":
    app_module.create_app = _create_app  # type: ignore[assignment]
    sys.argv = ["xunfang", *sys.argv[1:]]
    main()
