"""A tiny synthetic city for service tests: a 9×9 street grid (~400 m blocks) near Chicago, two
stations side by side, units of several force types, and one user per role."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import numpy as np
import shapely
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from xunfang.api.app import create_app
from xunfang.api.context import ServiceContext
from xunfang.api.security import Principal, issue
from xunfang.core.settings import Settings
from xunfang.jurisdiction.generate import StationArea, SubBureau, build_tree
from xunfang.jurisdiction.model import Jurisdiction
from xunfang.network.engine import NetworkEngine
from xunfang.network.graph import RoadGraph, build_graph
from xunfang.store import jurisdiction as jstore
from xunfang.store.db import session_factory
from xunfang.store.models import Unit, User
from xunfang.store.users import Role

LON0, LAT0, STEP = -87.70, 41.85, 0.005  # ~415 m east-west, ~555 m north-south
N = 9
PASSWORD = "correct-horse-battery"
ROLES = [r.value for r in Role]


def grid_graph() -> RoadGraph:
    ii, jj = np.meshgrid(np.arange(N), np.arange(N), indexing="ij")
    lon = (LON0 + jj * STEP).ravel().astype(float)
    lat = (LAT0 + ii * STEP).ravel().astype(float)
    idx = np.arange(N * N).reshape(N, N)
    u = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()]).astype(np.int64)
    v = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()]).astype(np.int64)
    return build_graph(
        name="grid",
        node_lon=lon,
        node_lat=lat,
        node_ref=np.arange(N * N, dtype=np.int64),
        u=u,
        v=v,
        oneway=np.zeros(u.size, bool),
        road_class=np.full(u.size, 4, np.int8),
    )


def jurisdiction() -> Jurisdiction:
    w, e = LON0, LON0 + STEP * (N - 1)
    s, n = LAT0, LAT0 + STEP * (N - 1)
    mid = (w + e) / 2
    west = StationArea("ST-W", "西站", "West", "SB", shapely.box(w, s, mid, n), w + 0.004, s + 0.004)
    east = StationArea("ST-E", "东站", "East", "SB", shapely.box(mid, s, e, n), e - 0.004, n - 0.004, "core")
    areas = build_tree(
        ("CITY", "市局", "City"),
        [SubBureau("SB", "分局", "Sub-bureau")],
        [west, east],
        zone_size_m=1000,
        cell_size_m=500,
    )
    return Jurisdiction(areas)


UNITS = [
    ("U-PAT-1", "patrol_police", "car", "ST-W", 0.010, 0.010),
    ("U-PAT-2", "patrol_police", "car", "ST-E", 0.030, 0.030),
    ("U-PAT-3", "patrol_police", "car", "ST-E", 0.035, 0.005),
    ("U-VOL-1", "volunteer_police", "foot", "ST-W", 0.012, 0.012),
    ("U-GRD-1", "property_guard", "foot", "ST-W", 0.005, 0.015),
    ("U-DRN-1", "drone", "drone", "ST-W", 0.020, 0.020),
    ("U-AUX-1", "auxiliary_police", "ebike", "ST-E", 0.025, 0.020),
    ("U-NGT-1", "night_patrol", "ebike", "ST-E", 0.030, 0.010),
]


def seed(engine: Engine, jur: Jurisdiction) -> None:
    sessions = session_factory(engine)
    with sessions() as s, s.begin():
        jstore.save(s, jur.areas)
        for uid, ft, mode, st, dx, dy in UNITS:
            s.add(
                Unit(
                    id=uid,
                    name=uid,
                    force_type=ft,
                    mode=mode,
                    station_code=st,
                    status="available",
                    shift_start_min=0,
                    shift_end_min=1440,
                    home_lon=LON0 + dx,
                    home_lat=LAT0 + dy,
                )
            )
        for role in Role:
            station, unit = _links(role)
            s.add(
                User(
                    name=role.value,
                    role=role.value,
                    station_code=station,
                    unit_id=unit,
                    password_hash=_password_hash(),
                    failed_logins=0,
                )
            )


def _links(role: Role) -> tuple[str | None, str | None]:
    station = "ST-W" if role is Role.STATION else None
    return station, {"patrol": "U-PAT-1", "volunteer": "U-VOL-1"}.get(role.value)


@functools.cache
def _password_hash() -> str:
    """argon2 is slow on purpose: hash the shared test password once per test run."""
    return PasswordHasher().hash(PASSWORD)


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


@contextmanager
def service(
    engine: Engine, *, with_network: bool = True, seeded: bool = False, **settings_over: Any
) -> Iterator[tuple[TestClient, ServiceContext]]:
    """The app on ``engine`` (seeded unless ``seeded``: a second worker on the same database)."""
    jur = jurisdiction()
    if not seeded:
        seed(engine, jur)
    settings = Settings(env="test", stale_position_s=600.0, **settings_over)
    ctx = ServiceContext(
        settings=settings,
        engine=engine,
        jurisdiction=jur,
        network=NetworkEngine(grid_graph()) if with_network else None,
    )
    app = create_app(ctx, watch_deadlines=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, ctx


def token(client: TestClient, role: str) -> dict[str, str]:
    """A bearer header for the role's user, issued directly (the login path has its own tests)."""
    ctx = client.app.state.ctx  # type: ignore[attr-defined]
    station, unit = _links(Role(role))
    p = Principal(role, Role(role), station, unit)
    jwt_ = issue(p, secret=ctx.settings.secret_key, minutes=5, now=datetime.now(UTC))
    return {"Authorization": f"Bearer {jwt_}"}


def login(client: TestClient, role: str) -> dict[str, str]:
    r = client.post("/api/v1/auth/token", data={"username": role, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def post_positions(client: TestClient, headers: dict[str, str]) -> None:
    fixes = [{"unit_id": u[0], "lon": LON0 + u[4], "lat": LAT0 + u[5], "at": now_iso()} for u in UNITS]
    r = client.post("/api/v1/units/positions", json=fixes, headers=headers)
    assert r.status_code == 202, r.text


def incident_body(**over: object) -> dict[str, object]:
    body: dict[str, object] = {
        "category": "theft",
        "priority": 2,
        "source": "call_110",
        "lon": LON0 + 0.011,
        "lat": LAT0 + 0.011,
        "description": "bike stolen",
        "caller": {"name": "Li Lei", "phone": "13800000000"},
        "reported_at": now_iso(),
    }
    body.update(over)
    return body
