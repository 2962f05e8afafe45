"""Patrol routes (巡逻路线): through must-patrol points (with dwell) and along must-patrol lines.

A prize-collecting routing problem (orienteering with service times): from a base, visit a subset
of targets and return within the shift, maximising the risk they carry. A *point* target costs
its dwell; a *line* target is entered at its first node, driven to its last, and costs its
driving time. Road times between targets come from one Dijkstra per target.

:meth:`PatrolRouter.solve` is our heuristic: ratio-greedy insertion, relocation to shorten the
tour, then iterated local search (remove a few, re-insert greedily) until the time limit.
:meth:`PatrolRouter.solve_pyvrp` solves the same model with PyVRP (dev dependency), the reference.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy.sparse.csgraph import dijkstra

from xunfang.core.errors import Infeasible, InvalidInput
from xunfang.network.graph import RoadGraph

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@dataclass(frozen=True)
class Target:
    id: str
    kind: str  # "point" | "line"
    entry: int
    exit: int
    service_s: float
    prize: float
    edges: tuple[int, ...] = ()


@dataclass
class PatrolRoute:
    order: list[int]
    seconds: float
    prize: float
    prize_share: float
    stops: list[dict[str, object]] = field(default_factory=list)
    edges: I64 = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    method: str = ""
    solve_s: float = 0.0


class PatrolRouter:
    """One patrol group, one shift: which targets, in which order, with planned times."""

    def __init__(
        self, graph: RoadGraph, edge_s: F64, base: int, targets: list[Target], shift_s: float
    ) -> None:
        if not targets:
            raise InvalidInput("routes: no must-patrol points or lines to route through", field="targets")
        shortest = (
            min(t.service_s for t in targets if t.kind == "point")
            if any(t.kind == "point" for t in targets)
            else 0.0
        )
        if shift_s <= shortest:
            raise Infeasible(
                f"routes: the shift ({shift_s / 60:.0f} min) is not longer than the shortest required dwell "
                f"({shortest / 60:.0f} min); lengthen the shift or shorten the dwell"
            )
        self.graph, self.edge_s, self.base, self.targets, self.shift_s = graph, edge_s, base, targets, shift_s
        self.service = np.array([0.0] + [t.service_s for t in targets])
        self.prize = np.array([0.0] + [t.prize for t in targets])
        entries = np.array([base] + [t.entry for t in targets])
        exits = np.array([base] + [t.exit for t in targets])
        mat = graph.to_csr_matrix(edge_s)
        time_from, self._pred = dijkstra(mat, indices=exits, return_predecessors=True)
        self.M = time_from[:, entries]  # exit of i -> entry of j
        self._exits, self._entries = exits, entries
        reach = self.M[0, 1:] + self.service[1:] + self.M[1:, 0]
        if not np.isfinite(reach).any() or reach.min() > shift_s:
            raise Infeasible(
                f"routes: no target can be reached, served and left in the {shift_s / 60:.0f}-minute shift"
            )

    # -- evaluation ------------------------------------------------------------------------------
    def duration(self, order: list[int]) -> float:
        seq = [0, *order, 0]
        return float(self.M[seq[:-1], seq[1:]].sum() + self.service[order].sum())

    def _insert_best(self, order: list[int], free: set[int], slack_only: bool = False) -> list[int]:
        """Ratio-greedy: insert the target with most prize per added second while the shift allows."""
        order = list(order)
        while free:
            seq = np.array([0, *order, 0])
            cand = np.fromiter(free, dtype=np.int64)
            a, b = seq[:-1], seq[1:]
            added = (
                self.M[a][:, cand]
                + self.service[cand][None, :]
                + self.M[cand][:, b].T
                - self.M[a, b][:, None]
            )
            best_pos = np.argmin(added, axis=0)
            add = added[best_pos, np.arange(cand.size)]
            ok = self.duration(order) + add <= self.shift_s
            if not ok.any():
                break
            ratio = np.where(ok, self.prize[cand] / np.maximum(add, 1.0), -np.inf)
            k = int(np.argmax(ratio))
            order.insert(int(best_pos[k]), int(cand[k]))
            free.discard(int(cand[k]))
        return order

    def _relocate(self, order: list[int]) -> list[int]:
        """Move single targets to the position that shortens the tour most, until none does."""
        improved = True
        while improved and len(order) > 2:
            improved = False
            base = self.duration(order)
            for i in range(len(order)):
                rest = order[:i] + order[i + 1 :]
                for j in range(len(rest) + 1):
                    trial = [*rest[:j], order[i], *rest[j:]]
                    if j != i and self.duration(trial) < base - 1e-6:
                        order, improved = trial, True
                        break
                if improved:
                    break
        return order

    def solve(self, *, time_limit_s: float = 5.0, seed: int = 0) -> PatrolRoute:
        t0 = time.perf_counter()
        rng = np.random.default_rng(seed)
        n = len(self.targets)
        best = self._relocate(self._insert_best([], set(range(1, n + 1))))
        best = self._insert_best(best, set(range(1, n + 1)) - set(best))
        cur = best
        while time.perf_counter() - t0 < time_limit_s and n > 1:
            k = int(rng.integers(1, max(2, len(cur) // 3) + 1)) if cur else 0
            drop = set(rng.choice(cur, size=min(k, len(cur)), replace=False).tolist()) if cur else set()
            trial = [t for t in cur if t not in drop]
            trial = self._relocate(trial)
            trial = self._insert_best(trial, set(range(1, n + 1)) - set(trial) - drop)
            trial = self._insert_best(trial, drop)
            gain = self.prize[trial].sum() - self.prize[cur].sum()
            if gain > 1e-9 or (gain > -1e-9 and self.duration(trial) < self.duration(cur)):
                cur = trial
            if self.prize[cur].sum() > self.prize[best].sum() + 1e-9:
                best = cur
        return self._route(best, "heuristic", time.perf_counter() - t0)

    def solve_pyvrp(self, *, time_limit_s: float = 60.0, seed: int = 0) -> PatrolRoute:
        """The same model solved by PyVRP (prize-collecting, shift duration as the limit)."""
        import pyvrp
        from pyvrp.stop import MaxRuntime

        t0 = time.perf_counter()
        m = pyvrp.Model()
        locs = [m.add_location(0.0, 0.0) for _ in range(len(self.targets) + 1)]
        depot = m.add_depot(locs[0])
        m.add_vehicle_type(1, start_depot=depot, end_depot=depot, shift_duration=int(self.shift_s),
                           unit_distance_cost=0, unit_duration_cost=0)  # fmt: skip
        scale = 1e6 / max(float(self.prize.sum()), 1e-9)
        for i, t in enumerate(self.targets, start=1):
            m.add_client(
                locs[i],
                service_duration=int(np.ceil(t.service_s)),
                prize=int(t.prize * scale),
                required=False,
            )
        big = int(self.shift_s * 10)
        for i, a in enumerate(locs):
            for j, b in enumerate(locs):
                sec = self.M[i, j]
                d = 0 if i == j else (int(np.ceil(sec)) if np.isfinite(sec) else big)
                m.add_edge(a, b, distance=d, duration=d)
        res = m.solve(MaxRuntime(time_limit_s), seed=seed, display=False)
        order = [int(a.idx) + 1 for r in res.best.routes() for a in r if a.is_client()]
        return self._route(order, "pyvrp", time.perf_counter() - t0)

    # -- output ----------------------------------------------------------------------------------
    def _path(self, i: int, j: int) -> list[int]:
        """Edges of the fastest road path from target i's exit to target j's entry."""
        g, src, dst = self.graph, int(self._exits[i]), int(self._entries[j])
        nodes = [dst]
        while nodes[-1] != src:
            nodes.append(int(self._pred[i, nodes[-1]]))
        out = []
        for a, b in zip(nodes[:0:-1], nodes[-2::-1], strict=True):
            lo, hi = g.indptr[a], g.indptr[a + 1]
            cand = np.flatnonzero(g.edge_v[lo:hi] == b) + lo
            out.append(int(cand[np.argmin(self.edge_s[cand])]))
        return out

    def _route(self, order: list[int], method: str, solve_s: float) -> PatrolRoute:
        clock, stops, edges = 0.0, [], []
        seq = [0, *order, 0]
        for a, b in itertools.pairwise(seq):
            edges += self._path(a, b)
            clock += float(self.M[a, b])
            if b:
                t = self.targets[b - 1]
                edges += list(t.edges)
                stops.append({"target": t.id, "kind": t.kind, "arrive_s": round(clock),
                              "leave_s": round(clock + t.service_s), "prize": round(t.prize, 3)})  # fmt: skip
                clock += t.service_s
        prize = float(self.prize[order].sum())
        return PatrolRoute(
            order,
            clock,
            prize,
            prize / float(self.prize.sum()),
            stops,
            np.asarray(edges, np.int64),
            method,
            solve_s,
        )
