"""Everything a running service holds: database, jurisdiction, road engine, caches, live feed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from xunfang.api.live import Broker
from xunfang.api.sessions import SessionGuard
from xunfang.core.errors import Unavailable
from xunfang.core.settings import Settings
from xunfang.incidents.categories import Taxonomy
from xunfang.jurisdiction.model import Jurisdiction
from xunfang.network.engine import NetworkEngine
from xunfang.store.db import session_factory
from xunfang.store.models import utcnow
from xunfang.store.units import PositionCache


@dataclass
class ServiceContext:
    settings: Settings
    engine: Engine
    jurisdiction: Jurisdiction | None = None
    network: NetworkEngine | None = None
    taxonomy: Taxonomy = field(default_factory=Taxonomy)
    positions: PositionCache = field(default_factory=PositionCache)
    broker: Broker = field(default_factory=Broker)
    clock: Callable[[], datetime] = utcnow  # login and session checks read the time here (tests move it)
    sessions: sessionmaker[Session] = field(init=False)
    guard: SessionGuard = field(init=False)

    def __post_init__(self) -> None:
        self.sessions = session_factory(self.engine)
        self.guard = SessionGuard(
            self.sessions,
            idle_minutes=self.settings.idle_minutes,
            check_s=self.settings.revocation_check_s,
        )

    def need_jurisdiction(self) -> Jurisdiction:
        if self.jurisdiction is None:
            raise Unavailable(
                "no jurisdiction is loaded; start with `xunfang serve --demo chicago` or import one"
            )
        return self.jurisdiction

    def need_network(self) -> NetworkEngine:
        if self.network is None:
            raise Unavailable("no road network is loaded for this service; recommendations are unavailable")
        return self.network
