"""Schemathesis over every operation of the live service (in-process, Chicago demo on SQLite)."""

from __future__ import annotations

import contextlib
import itertools
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from xunfang.api.app import create_app
from xunfang.api.bootstrap import build_context
from xunfang.api.security import Principal, issue
from xunfang.store.db import make_engine
from xunfang.store.migrate import upgrade
from xunfang.store.users import Role


def fuzz(tmp: Path, examples: int) -> dict[str, Any]:
    """``examples`` positive and ``examples`` negative generated cases per operation; count 5xx."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode

    engine = make_engine(f"sqlite:///{tmp / 'fuzz.db'}")
    upgrade(engine)
    ctx = build_context(engine, demo="chicago", echo=lambda _m: None)
    app = create_app(ctx, watch_deadlines=False)
    auth = {
        "Authorization": "Bearer "
        + issue(
            Principal("admin", Role.ADMIN, None, None),
            secret=ctx.settings.secret_key,
            minutes=60,
            now=datetime.now(UTC),
        )
    }
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app).exclude(path="/api/v1/live")
    operations = [r.ok() for r in schema.get_all_operations()]  # type: ignore[union-attr]
    tally = {"cases": 0, "server_errors": 0, "unsatisfiable": 0}
    failures: list[str] = []
    for op, mode in itertools.product(operations, [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]):

        @given(case=op.as_strategy(generation_mode=mode))
        @settings(
            max_examples=examples,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def check(case: Any) -> None:
            tally["cases"] += 1
            try:
                response = case.call(headers={**auth, **(case.headers or {})})
            except Exception as exc:  # an exception escaping the app is a server error too
                tally["server_errors"] += 1
                failures.append(f"{case.method} {case.formatted_path} -> {type(exc).__name__}: {exc}"[:300])
                return
            if response.status_code >= 500:
                tally["server_errors"] += 1
                failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}")

        try:  # hypothesis prints a reproduction seed to stdout; keep stdout for the JSON
            with contextlib.redirect_stdout(sys.stderr):
                check()
        except Unsatisfiable:  # nothing negative to generate for an operation without inputs
            tally["unsatisfiable"] += 1
    engine.dispose()
    return {
        **tally,
        "operations": len(operations),
        "examples_per_operation_mode": examples,
        "failures": sorted(set(failures))[:10],
    }
