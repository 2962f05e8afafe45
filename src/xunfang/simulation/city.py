"""The digital twin: a day of incidents against a deployment plan, on real roads.

Every dispatch decision goes through :mod:`xunfang.dispatch.fleet` — the eligibility rules and
road ranking the live service's recommendations use — so what the simulator says about a plan is
what the live system would do with it. Travel times come from the same :class:`NetworkEngine`
(mode × road class × hour). The run is deterministic for a seed: events are ordered by (time,
priority, sequence) and all randomness comes from one seeded generator.

Model: an incident takes the fastest eligible unit that counts as arrival (one unit per
incident); if none is free it waits (by priority, then arrival). The unit drives there, stays on
scene for a drawn time capped at the 5-minute handling rule (longer incidents are handed over to
the local station at 5 minutes), then drives back — to its post, or in a patrol hour to the nearest
point of its patrol loop — and can be re-dispatched on the way (from the incident's location).

Duty modes (M5): a unit with a route drives its loop in the plan's patrol hours and stands at its
post in guard hours; at an hour where its mode changes it starts the loop from the post, or drives
back to the post. Before every dispatch decision the patrolling units are put where their loops
have taken them (:mod:`xunfang.simulation.patrol`). Units off shift are not dispatched (the same
shift rule as the live service). Every ``coverage_step_s`` the share of roads and of incident
weight within the standard of an available unit is sampled (:mod:`xunfang.simulation.daycover`).

``home_dispatch`` mode (for Larson's hypercube) instead keeps units at their posts and draws the
whole busy time.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from xunfang.dispatch import fleet as fl
from xunfang.forces.types import FORCE_SPECS, UnitStatus
from xunfang.network.engine import NetworkEngine
from xunfang.network.travel import Mode
from xunfang.simulation.daycover import DayCoverage
from xunfang.simulation.engine import EventQueue
from xunfang.simulation.patrol import build_loops
from xunfang.simulation.scenario import DayIncidents, Plan

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
ARRIVAL, ON_SCENE, CLEAR, HOME, DUTY, SAMPLE = 0, 1, 2, 3, 4, 5
BUSY = fl.STATUSES.index(UnitStatus.ASSIGNED)
AT_POST, ON_LOOP, RETURNING, DISPATCHED = 0, 1, 2, 3


@dataclass(frozen=True)
class SimConfig:
    handling_s: float = 300.0  # on-scene handling before hand-over (M15)
    home_dispatch: bool = False  # hypercube mode: units always leave from (and return to) their post
    busy_mean_s: float = 0.0  # hypercube mode: mean of the exponential busy time
    coverage_step_s: float = 900.0  # sample coverage this often over the day (0: never)
    coverage_standard_s: float = 180.0  # "reached" means within this many seconds by road


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
    coverage_road: F64 = field(default_factory=lambda: np.full(24, np.nan))  # mean share per hour
    coverage_demand: F64 = field(default_factory=lambda: np.full(24, np.nan))

    def share_within(self, seconds: float, mask: NDArray[np.bool_] | None = None) -> float:
        r = self.response_s if mask is None else self.response_s[mask]
        return float(np.mean(np.nan_to_num(r, nan=np.inf) <= seconds)) if r.size else float("nan")

    @property
    def utilisation(self) -> F64:
        return self.busy_s / self.horizon_s


class CitySimulator:
    """Runs days of incidents against one plan on one road engine."""

    def __init__(
        self,
        engine: NetworkEngine,
        plan: Plan,
        config: SimConfig | None = None,
        *,
        demand_weights: F64 | None = None,
    ) -> None:
        self.engine = engine
        self.plan = plan
        self.config = config or SimConfig()
        self.demand_weights = demand_weights
        self.home_nodes, self.home_off = engine.snapper.nearest(plan.lon, plan.lat)
        if (self.home_nodes < 0).any():
            bad = int(np.flatnonzero(self.home_nodes < 0)[0])
            from xunfang.core.errors import InvalidInput

            raise InvalidInput(f"plan {plan.name!r}: unit {plan.unit_ids[bad]} stands off the road network")
        self.counts = np.array([FORCE_SPECS[f].counts_as_arrival for f in plan.force])
        self.modes: list[Mode] = [FORCE_SPECS[f].mode for f in plan.force]
        self.offroad_mps = np.array([engine.model.offroad_kmh[m] / 3.6 for m in self.modes])
        self.loops, self.loop_of = build_loops(engine, plan.routes or [], self.home_nodes, self.modes)
        self.coverage = DayCoverage(engine, self.config.coverage_standard_s)

    def run(self, day: DayIncidents, *, seed: int = 1) -> SimResult:
        return _Run(self, day, seed).go()


class _Run:
    """One replication: the mutable state and the event handlers."""

    def __init__(self, sim: CitySimulator, day: DayIncidents, seed: int) -> None:
        self.sim, self.day, self.cfg = sim, day, sim.config
        self.rng = np.random.default_rng(seed)
        plan = sim.plan
        assert plan.shift is not None and plan.patrol_hours is not None
        self.fleet = fl.Fleet.build(
            plan.unit_ids, plan.force, plan.lon.copy(), plan.lat.copy(),
            shift_start=plan.shift[:, 0].tolist(), shift_end=plan.shift[:, 1].tolist(),
        )  # fmt: skip
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
        # patrol state: where each unit is in its duty cycle, when it (re)started its loop
        self.patrol = plan.patrol_hours & (sim.loop_of >= 0)[:, None]
        self.state = np.full(m, AT_POST, dtype=np.int8)
        self.t0 = np.zeros(m)
        self.to_loop = np.zeros(m, bool)
        self.cov_sum = np.zeros((2, 24))
        self.cov_n = np.zeros(24)
        own = np.bincount(self.inc_node[self.inc_node >= 0], minlength=sim.engine.graph.n_nodes)
        # the demand coverage weighs road nodes by the given weights, else by the day's own incidents
        self.weights = np.asarray(own if sim.demand_weights is None else sim.demand_weights, np.float64)

    def go(self) -> SimResult:
        for i in np.flatnonzero(self.inc_node >= 0):
            self.q.schedule(float(self.day.t_s[i]), ARRIVAL, int(i), priority=2)
        if not self.cfg.home_dispatch:
            self._schedule_duty()
            self._schedule_samples()
        events = self.q.run(
            (self.on_arrival, self.on_scene, self.on_clear, self.on_home, self.on_duty, self.on_sample)
        )
        horizon = max(86400.0, self.q.now)
        with np.errstate(invalid="ignore"):
            cover = self.cov_sum / self.cov_n
        return SimResult(
            self.response, self.travel, self.wait, self.unit_of, self.handed, self.busy, horizon, events,
            outside=int((self.inc_node < 0).sum()), coverage_road=cover[0], coverage_demand=cover[1],
        )  # fmt: skip

    def _schedule_duty(self) -> None:
        """Units patrolling at midnight start on their loops, spread evenly round each loop; later
        changes of duty mode are events at the hour."""
        sim = self.sim
        start = np.flatnonzero(self.patrol[:, 0])
        self.state[start] = ON_LOOP
        for loop in np.unique(sim.loop_of[start]):
            on = start[sim.loop_of[start] == loop]
            self.t0[on] = -np.arange(on.size) / on.size * sim.loops.period[loop]
        change = np.argwhere(self.patrol[:, 1:] != self.patrol[:, :-1])
        for u, h in change[np.lexsort((change[:, 0], change[:, 1]))]:
            self.q.schedule(3600.0 * (h + 1), DUTY, int(u), priority=0)

    def _schedule_samples(self) -> None:
        step = self.cfg.coverage_step_s
        if step > 0:
            for t in np.arange(0.0, 86400.0, step):
                self.q.schedule(float(t), SAMPLE, 0, priority=3)

    # -- positions ---------------------------------------------------------------------------
    def _refresh(self, t: float, units: I64 | None = None) -> None:
        """Put patrolling units where their loops have taken them at ``t``."""
        on = np.flatnonzero(self.state == ON_LOOP) if units is None else units
        if on.size == 0:
            return
        g = self.sim.engine.graph
        nxt, rem, frac, prev = self.sim.loops.at(self.sim.loop_of[on], self.t0[on], t)
        lon = g.node_lon[prev] + frac * (g.node_lon[nxt] - g.node_lon[prev])
        lat = g.node_lat[prev] + frac * (g.node_lat[nxt] - g.node_lat[prev])
        # the seconds still to drive to the next node, as the ranking's start-up leg
        self.fleet.place(on, lon, lat, fix_s=t, node=nxt, off_m=rem * self.sim.offroad_mps[on])

    def _patrols(self, t: float, u: int) -> bool:
        return bool(self.patrol[u, int(t // 3600) % 24])

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
        self.state[u] = DISPATCHED
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
        self._refresh(t)
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
            self._head_back(t, u, int(self.inc_node[i]))

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

    def _head_back(self, t: float, u: int, node: int, lead_s: float = 0.0) -> None:
        """Drive from ``node`` (reached after ``lead_s``) to the post, or in a patrol hour to the
        nearest point of the unit's loop, which it then follows from there."""
        sim = self.sim
        router = sim.engine.router(sim.modes[u], int(t // 3600) % 24)
        loop = int(sim.loop_of[u])
        self.to_loop[u] = False
        target = np.array([sim.home_nodes[u]])
        if loop >= 0 and self._patrols(t, u):
            target = sim.loops.nodes_of(loop)
        sec, _ = router.one_to_many(node, target)
        k = int(np.argmin(sec))
        if not np.isfinite(sec[k]):  # the loop is out of reach from here: back to the post
            sec, _ = router.one_to_many(node, np.array([sim.home_nodes[u]]))
            k = 0
        elif target.size > 1:
            self.to_loop[u] = True
            reach = t + lead_s + float(sec[k])
            self.t0[u] = reach - sim.loops.local_arrival(loop, k)
        self.home_gen[u] = self.gen[u]
        self.state[u] = RETURNING
        self.q.schedule(t + lead_s + float(sec[k]), HOME, u, priority=0)

    def on_home(self, t: float, u: int) -> None:
        if self.home_gen[u] != self.gen[u] or self.fleet.status[u] != fl.AVAILABLE:
            return
        patrols = self._patrols(t, u)
        if self.to_loop[u]:
            if patrols:
                self.state[u] = ON_LOOP
                self._refresh(t, np.array([u]))
            else:  # the patrol hours ended on the way: on to the post
                node, *_ = self.sim.loops.at(self.sim.loop_of[[u]], self.t0[[u]], t)
                self._head_back(t, u, int(node[0]))
            return
        plan = self.sim.plan
        self.fleet.move(
            u, float(plan.lon[u]), float(plan.lat[u]), fix_s=t,
            node=int(self.sim.home_nodes[u]), off_m=float(self.sim.home_off[u]),
        )  # fmt: skip
        self.state[u] = AT_POST
        if patrols and self.sim.loop_of[u] >= 0:
            self.state[u], self.t0[u] = ON_LOOP, t

    def on_duty(self, t: float, u: int) -> None:
        """The unit's duty mode changes at this hour (busy or returning units decide on arrival)."""
        if self.state[u] == AT_POST and self._patrols(t, u):
            self.state[u], self.t0[u] = ON_LOOP, t
        elif self.state[u] == ON_LOOP and not self._patrols(t, u):
            nxt, rem, *_ = self.sim.loops.at(self.sim.loop_of[[u]], self.t0[[u]], t)
            self._refresh(t, np.array([u]))
            self._head_back(t, u, int(nxt[0]), float(rem[0]))

    def on_sample(self, t: float, _: int) -> None:
        self._refresh(t)
        bits = fl.blockers(
            self.fleet, now_s=t, minute=int(t // 60) % 1440, stale_after_s=np.inf,
            criminal=False, sworn_present=False,
        )  # fmt: skip
        free = np.flatnonzero((bits == 0) & self.sim.counts)
        nodes, offs = self.fleet.snapped(self.sim.engine)
        hour = int(t // 3600) % 24
        road, demand = self.sim.coverage.sample(
            hour, nodes[free], offs[free], [self.sim.modes[u] for u in free], self.weights
        )
        self.cov_sum[:, hour] += (road, demand)
        self.cov_n[hour] += 1
