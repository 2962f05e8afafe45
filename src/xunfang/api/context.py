"""Everything a running service holds: database, jurisdiction, road engine, caches, live feed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from xunfang.api.admission import PositionBudget
from xunfang.api.live import Broker
from xunfang.api.sessions import SessionGuard
from xunfang.core.errors import Unavailable
from xunfang.core.settings import Settings
from xunfang.dispatch.fleet import SnapMemo
from xunfang.incidents.categories import Taxonomy
from xunfang.jurisdiction.model import Jurisdiction
from xunfang.network.engine import NetworkEngine
from xunfang.store.db import session_factory
from xunfang.store.models import utcnow
from xunfang.store.track_writer import TrackWriter
from xunfang.store.units import KnownUnits, PositionCache


@dataclass
class ServiceContext:
    settings: Settings
    engine: Engine
    jurisdiction: Jurisdiction | None = None
    network: NetworkEngine | None = None
    taxonomy: Taxonomy = field(default_factory=Taxonomy)
    positions: PositionCache = field(default_factory=PositionCache)
    broker: Broker = field(default_factory=Broker)
    known_units: KnownUnits = field(default_factory=KnownUnits)
    clock: Callable[[], datetime] = utcnow  # login and session checks read the time here (tests move it)
    sessions: sessionmaker[Session] = field(init=False)
    read_sessions: sessionmaker[Session] = field(init=False)
    tracks: TrackWriter = field(init=False)
    guard: SessionGuard = field(init=False)
    position_budget: PositionBudget = field(init=False)
    _snaps: SnapMemo | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.sessions = session_factory(self.engine)
        self.read_sessions = session_factory(self.engine, read_only=True)
        self.tracks = TrackWriter(self.sessions)
        self.position_budget = PositionBudget(
            slots=self.settings.position_slots, per_s=self.settings.position_budget_per_s
        )
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

    def unit_snaps(self) -> SnapMemo:
        """The units' snapped positions, kept between recommendations."""
        network = self.need_network()
        if self._snaps is None or self._snaps.engine is not network:
            self._snaps = SnapMemo(network)
        return self._snaps

    def need_network(self) -> NetworkEngine:
        if self.network is None:
            raise Unavailable("no road network is loaded for this service; recommendations are unavailable")
        return self.network
