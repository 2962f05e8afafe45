"""Build a :class:`ServiceContext` from a migrated database (and seed a demo city on request)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine

from xunfang.api.context import ServiceContext
from xunfang.core.errors import Unavailable
from xunfang.core.settings import get_settings
from xunfang.jurisdiction.model import Level
from xunfang.network.engine import NetworkEngine
from xunfang.store import cities
from xunfang.store import demo as demo_seed
from xunfang.store import jurisdiction as jstore
from xunfang.store.db import session_factory
from xunfang.store.models import utcnow


def build_context(
    engine: Engine, *, demo: str | None = None, echo: Callable[[str], None] = print
) -> ServiceContext:
    settings = get_settings()
    sessions = session_factory(engine)
    if demo:
        seed_demo(engine, demo, echo=echo)
    with sessions() as s, s.begin():
        jur = jstore.load(s)
    network = None
    if jur is not None:
        root = jur.of_level(Level.CITY)[0].code
        city = cities.ROOT_CITY.get(root)
        if city:
            try:
                network = NetworkEngine(cities.road_graph(city, settings.data_dir))
                network.warm(utcnow().hour)
            except Unavailable as exc:
                echo(f"warning: {exc}; recommendations and coverage will answer 503")
    return ServiceContext(settings=settings, engine=engine, jurisdiction=jur, network=network)


def seed_demo(engine: Engine, demo: str, *, echo: Callable[[str], None] = print) -> None:
    """Seed a demo city (idempotent) and print its users; `serve --workers` does this once, in the
    parent, before the workers start."""
    with session_factory(engine)() as s:
        users = demo_seed.seed(s, demo, get_settings().data_dir)
    echo(f"demo city {demo}: demo users (name / password / role):")
    for u in users:
        extra = f" station={u.station}" if u.station else f" unit={u.unit}" if u.unit else ""
        echo(f"  {u.name} / {u.password} / {u.role.value}{extra}")
