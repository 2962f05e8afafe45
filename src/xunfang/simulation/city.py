"""The digital twin: a day of incidents against a deployment plan, on real roads.

Every dispatch decision goes through :mod:`xunfang.dispatch.fleet` — the eligibility rules and
road ranking the live service's recommendations use — so what the simulator says about a plan is
what the live system would do with it. Travel times come from the same :class:`NetworkEngine`
(mode × road class × hour). The run is deterministic for a seed: events are ordered by (time,
priority, sequence) and all randomness comes from one seeded generator.

Model: an incident takes the fastest eligible unit that counts as arrival (one unit per
incident); if none is free it waits (by priority, then arrival). The unit drives there, stays on
scene for a drawn time capped at the 5-minute handling rule (longer incidents are handed over to
the local station at 5 minutes), then drives back to its post and can be re-dispatched on the way
(from the incident's location). ``home_dispatch`` mode (for Larson's hypercube) instead keeps units
at their posts and draws the whole busy time.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from xunfang.dispatch import fleet as fl
from xunfang.forces.types import FORCE_SPECS, UnitStatus
from xunfang.network.engine import NetworkEngine
from xunfang.simulation.engine import EventQueue
from xunfang.simulation.scenario import DayIncidents, Plan

F64 = NDArray[np.float64]
ARRIVAL, ON_SCENE, CLEAR, HOME = 0, 1, 2, 3
BUSY = fl.STATUSES.index(UnitStatus.ASSIGNED)


@dataclass(frozen=True)
class SimConfig:
    handling_s: float = 300.0  # on-scene handling before hand-over (M15)
    home_dispatch: bool = False  # hypercube mode: units always leave from (and return to) their post
    busy_mean_s: float = 0.0  # hypercube mode: mean of the exponential busy time


@dataclass
class SimResult:
    """Per-incident and per-unit outcomes of one run (response = wait for a unit + travel)."""

    response_s: F64
    travel_s: F64
    wait_s: F64
    unit_index: NDArray[np.int64]
    handed_over: NDArray[np.bool_]
    busy_s: F64
    horizon_s: float
    events: int
    outside: int = 0
    extra: dict[str, float] = field(default_factory=dict)

    def share_within(self, seconds: float, mask: NDArray[np.bool_] | None = None) -> float:
        r = self.response_s if mask is None else self.response_s[mask]
        return float(np.mean(np.nan_to_num(r, nan=np.inf) <= seconds)) if r.size else float("nan")

    @property
    def utilisation(self) -> F64:
        return self.busy_s / self.horizon_s


class CitySimulator:
    """Runs days of incidents against one plan on one road engine."""

    def __init__(self, engine: NetworkEngine, plan: Plan, config: SimConfig | None = None) -> None:
        self.engine = engine
        self.plan = plan
        self.config = config or SimConfig()
        self.home_nodes, self.home_off = engine.snapper.nearest(plan.lon, plan.lat)
        if (self.home_nodes < 0).any():
            bad = int(np.flatnonzero(self.home_nodes < 0)[0])
            from xunfang.core.errors import InvalidInput

            raise InvalidInput(f"plan {plan.name!r}: unit {plan.unit_ids[bad]} stands off the road network")
        self.counts = np.array([FORCE_SPECS[f].counts_as_arrival for f in plan.force])

    def run(self, day: DayIncidents, *, seed: int = 1) -> SimResult:
        return _Run(self, day, seed).go()


class _Run:
    """One replication: the mutable state and the four event handlers."""

    def __init__(self, sim: CitySimulator, day: DayIncidents, seed: int) -> None:
        self.sim, self.day, self.cfg = sim, day, sim.config
        self.rng = np.random.default_rng(seed)
        plan = sim.plan
        self.fleet = fl.Fleet.build(plan.unit_ids, plan.force, plan.lon.copy(), plan.lat.copy())
        self.fleet.snapped(sim.engine)  # snap once; moves pass known nodes
        n, m = len(day), len(plan)
        self.inc_node, self.inc_off = sim.engine.snapper.nearest(day.lon, day.lat)
        self.response = np.full(n, np.nan)
        self.travel = np.full(n, np.nan)
        self.wait = np.full(n, np.nan)
        self.unit_of = np.full(n, -1, dtype=np.int64)
        self.handed = np.zeros(n, bool)
        self.busy = np.zeros(m)
        self.started = np.zeros(m)
        self.serving = np.full(m, -1, dtype=np.int64)
        self.gen = np.zeros(m, dtype=np.int64)
        self.home_gen = np.full(m, -1, dtype=np.int64)
        self.waiting: list[tuple[int, float, int]] = []
        self.q = EventQueue()

    def go(self) -> SimResult:
        for i in np.flatnonzero(self.inc_node >= 0):
            self.q.schedule(float(self.day.t_s[i]), ARRIVAL, int(i), priority=2)
        events = self.q.run((self.on_arrival, self.on_scene, self.on_clear, self.on_home))
        horizon = max(86400.0, self.q.now)
        return SimResult(
            self.response, self.travel, self.wait, self.unit_of, self.handed, self.busy, horizon, events,
            outside=int((self.inc_node < 0).sum()),
        )  # fmt: skip

    # -- decisions ---------------------------------------------------------------------------
    def _eligible(self, t: float, i: int) -> NDArray[np.int64]:
        bits = fl.blockers(
            self.fleet,
            now_s=t,
            minute=int(t // 60) % 1440,
            stale_after_s=np.inf,
            criminal=bool(self.day.criminal[i]),
            sworn_present=False,
        )
        return np.flatnonzero((bits == 0) & self.sim.counts)

    def _dispatch(self, t: float, i: int, units: NDArray[np.int64]) -> bool:
        idx, eta, _ = fl.rank_fleet(
            self.sim.engine, self.fleet, float(self.day.lon[i]), float(self.day.lat[i]),
            hour=int(t // 3600) % 24, units=units, k=1,
        )  # fmt: skip
        if idx.size == 0:
            return False
        u = int(idx[0])
        self.fleet.status[u] = BUSY
        self.gen[u] += 1
        self.serving[u], self.started[u], self.unit_of[i] = i, t, u
        self.wait[i] = t - self.day.t_s[i]
        self.travel[i] = float(eta[0])
        self.response[i] = self.wait[i] + self.travel[i]
        if self.cfg.home_dispatch:
            busy = float(self.rng.exponential(self.cfg.busy_mean_s))
            self.q.schedule(t + busy, CLEAR, u, priority=0)
        else:
            self.q.schedule(t + float(eta[0]), ON_SCENE, u, priority=1)
        return True

    # -- handlers ----------------------------------------------------------------------------
    def on_arrival(self, t: float, i: int) -> None:
        free = self._eligible(t, i)
        if free.size == 0 or not self._dispatch(t, i, free):
            heapq.heappush(self.waiting, (int(self.day.priority[i]), t, i))

    def on_scene(self, t: float, u: int) -> None:
        i = int(self.serving[u])
        need = float(self.rng.exponential(self.day.scene_mean_s[i]))
        if need > self.cfg.handling_s:
            self.handed[i] = True
            need = self.cfg.handling_s
        self.q.schedule(t + need, CLEAR, u, priority=0)

    def on_clear(self, t: float, u: int) -> None:
        i = int(self.serving[u])
        self.busy[u] += t - self.started[u]
        self.serving[u] = -1
        self.fleet.status[u] = fl.AVAILABLE
        if not self.cfg.home_dispatch:
            self.fleet.move(
                u, float(self.day.lon[i]), float(self.day.lat[i]), fix_s=t,
                node=int(self.inc_node[i]), off_m=float(self.inc_off[i]),
            )  # fmt: skip
        if self._serve_waiting(t, u):
            return
        if not self.cfg.home_dispatch:
            self._head_home(t, u, i)

    def _serve_waiting(self, t: float, u: int) -> bool:
        while self.waiting:
            _, _, j = self.waiting[0]
            if not self._allowed(t, u, j):
                return False
            heapq.heappop(self.waiting)
            if self._dispatch(t, j, np.array([u])):
                return True
        return False

    def _allowed(self, t: float, u: int, j: int) -> bool:
        bits = fl.blockers(
            self.fleet, now_s=t, minute=int(t // 60) % 1440, stale_after_s=np.inf,
            criminal=bool(self.day.criminal[j]), sworn_present=False,
        )  # fmt: skip
        return bool(bits[u] == 0)

    def _head_home(self, t: float, u: int, i: int) -> None:
        mode = FORCE_SPECS[self.sim.plan.force[u]].mode
        router = self.sim.engine.router(mode, int(t // 3600) % 24)
        sec, _ = router.one_to_many(int(self.inc_node[i]), np.array([self.sim.home_nodes[u]]))
        self.home_gen[u] = self.gen[u]
        self.q.schedule(t + float(sec[0]), HOME, u, priority=0)

    def on_home(self, t: float, u: int) -> None:
        if self.home_gen[u] == self.gen[u] and self.fleet.status[u] == fl.AVAILABLE:
            plan = self.sim.plan
            self.fleet.move(
                u, float(plan.lon[u]), float(plan.lat[u]), fix_s=t,
                node=int(self.sim.home_nodes[u]), off_m=float(self.sim.home_off[u]),
            )  # fmt: skip
