"""The demo's operator and field units, acting only through the service's own HTTP API.

Each tick: new calls of the replayed day become incidents (POST /incidents, the real intake); in
auto mode the best eligible recommendation is dispatched; dispatched units go en route and move
along their road route on the accelerated clock; on arrival they handle the incident and resolve
it, or hand it over when handling would pass the 5-minute rule; then they drive home. Every unit's
position is posted each tick so none goes stale.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import numpy as np

from xunfang.demo.movement import Trip, trip
from xunfang.demo.replay import Call
from xunfang.forces.types import ForceType
from xunfang.incidents.sla import HANDLING_S
from xunfang.network.engine import NetworkEngine

log = logging.getLogger(__name__)
CATEGORY = "violent_crime"  # Chicago's history holds aggravated assaults


@dataclass
class UnitState:
    lon: float
    lat: float
    home: tuple[float, float]
    mode: str
    trip: Trip | None = None


@dataclass
class Job:
    """An incident the demo is driving: which unit, which phase, since when (demo seconds)."""

    unit: str
    phase: str  # en_route | on_scene
    since_s: float
    handling_s: float = 0.0


@dataclass
class Counts:
    created: int = 0
    real: int = 0
    simulated: int = 0
    dispatched: int = 0
    arrived: int = 0
    resolved: int = 0
    handed_over: int = 0
    moves: int = 0


@dataclass
class Driver:
    client: httpx.Client
    calls: list[Call]
    network: NetworkEngine | None
    auto: bool = True
    run_id: str = "run"
    seed: int = 0
    units: dict[str, UnitState] = field(default_factory=dict)
    jobs: dict[int, Job] = field(default_factory=dict)
    waiting: set[int] = field(default_factory=set)
    counts: Counts = field(default_factory=Counts)
    _next: int = 0

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng(self.seed)
        for u in self._get("/api/v1/units")["items"]:
            lon, lat = u["lon"], u["lat"]
            if lon is None or lat is None:
                continue
            self.units[u["id"]] = UnitState(lon, lat, (lon, lat), u["mode"])

    def _get(self, path: str, **params: Any) -> Any:
        r = self.client.get(path, params=params)
        r.raise_for_status()
        return r.json()

    def _post(self, path: str, body: Any, **headers: str) -> httpx.Response:
        return self.client.post(path, json=body, headers=headers)

    def tick(self, now_s: float) -> None:
        """Advance everything to ``now_s`` (seconds after the replayed day's midnight)."""
        self._intake(now_s)
        if self.auto:
            self._dispatch()
        self._follow_assignments(now_s)
        self._advance(now_s)
        self._post_positions(now_s)

    def _intake(self, now_s: float) -> None:
        while self._next < len(self.calls) and self.calls[self._next].at_s <= now_s:
            c = self.calls[self._next]
            body = {
                "category": CATEGORY,
                "source": "call_110",
                "lon": c.lon,
                "lat": c.lat,
                "description": c.description,
                "reported_at": datetime.now(UTC).isoformat(),
            }
            r = self._post(
                "/api/v1/incidents", body, **{"Idempotency-Key": f"demo-{self.run_id}-{self._next}"}
            )
            self._next += 1
            if r.status_code in (200, 201):
                self.counts.created += 1
                self.counts.real += c.real
                self.counts.simulated += not c.real
                self.waiting.add(int(r.json()["id"]))

    def _dispatch(self) -> None:
        for iid in sorted(self.waiting):
            rec = self.client.get(f"/api/v1/incidents/{iid}/recommendations")
            if rec.status_code != 200:
                continue
            # The best eligible unit that can arrive (a drone only observes; it cannot close a call).
            best = next((c for c in rec.json()["items"] if c["eligible"] and _arrives(c["force_type"])), None)
            if best is None:
                continue  # nobody eligible now; asked again next tick
            a = self._post(f"/api/v1/incidents/{iid}/assignments", {"unit_id": best["unit_id"]})
            if a.status_code == 201:
                self.waiting.discard(iid)

    def _follow_assignments(self, now_s: float) -> None:
        """Dispatched incidents (by the demo or by the operator) get their unit moving."""
        for row in self._get("/api/v1/incidents", status="dispatched", limit=500)["items"]:
            iid = int(row["id"])
            self.waiting.discard(iid)
            if iid in self.jobs:
                continue
            inc = self._get(f"/api/v1/incidents/{iid}")  # the listing leaves out the assigned units
            unit = next((u for u in inc["units"] if u in self.units), None)
            if unit is None:
                continue
            if self._post(f"/api/v1/incidents/{iid}/events", {"type": "en_route"}).status_code != 201:
                continue
            self.counts.dispatched += 1
            st = self.units[unit]
            st.trip = trip(self.network, (st.lon, st.lat), (inc["lon"], inc["lat"]), st.mode, now_s)
            self.jobs[iid] = Job(unit, "en_route", now_s)

    def _advance(self, now_s: float) -> None:
        for iid, job in list(self.jobs.items()):
            st = self.units[job.unit]
            if job.phase == "en_route" and st.trip is not None and st.trip.done(now_s):
                r = self._post(f"/api/v1/incidents/{iid}/events", {"type": "arrived"})
                if r.status_code in (404, 409):  # the operator cancelled or closed it meanwhile
                    log.warning("incident %s: arrived refused (%s): %s", iid, r.status_code, r.text[:200])
                    st.trip = trip(self.network, st.trip.at(now_s), st.home, st.mode, now_s)
                    del self.jobs[iid]
                elif r.status_code == 201:
                    self.counts.arrived += 1
                    st.lon, st.lat = st.trip.at(now_s)
                    st.trip = None
                    job.phase, job.since_s = "on_scene", now_s
                    job.handling_s = float(self.rng.gamma(2.0, 150.0))  # minutes on scene, mean 5
            elif job.phase == "on_scene" and now_s - job.since_s >= min(job.handling_s, HANDLING_S):
                # The 5-minute rule: still busy at 5 minutes on scene → hand over to the station.
                kind = "resolved" if job.handling_s <= HANDLING_S else "handover"
                r = self._post(f"/api/v1/incidents/{iid}/events", {"type": kind, "note": "demo"})
                if r.status_code != 201:
                    log.warning("incident %s: %s refused (%s): %s", iid, kind, r.status_code, r.text[:200])
                else:
                    if kind == "resolved":
                        self.counts.resolved += 1
                    else:
                        self.counts.handed_over += 1
                    st.trip = trip(self.network, (st.lon, st.lat), st.home, st.mode, now_s)
                del self.jobs[iid]

    def _post_positions(self, now_s: float) -> None:
        at = datetime.now(UTC).isoformat()
        fixes = []
        for uid, st in self.units.items():
            if st.trip is not None:
                st.lon, st.lat = st.trip.at(now_s)
                self.counts.moves += 1
                if st.trip.done(now_s) and not any(j.unit == uid for j in self.jobs.values()):
                    st.trip = None  # back home
            fixes.append({"unit_id": uid, "lon": round(st.lon, 6), "lat": round(st.lat, 6), "at": at})
        self._post("/api/v1/units/positions", fixes)


def _arrives(force_type: str) -> bool:
    try:
        return ForceType(force_type).spec.counts_as_arrival
    except ValueError:
        return False
