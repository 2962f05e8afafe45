"""Patrol loops on the road network: where a patrolling unit is at any simulated second.

A unit's route (:class:`xunfang.simulation.plan.Patrol`, produced by
:mod:`xunfang.planning.routes`) is driven as a loop: post → waypoint 1 (dwell) → … → post, over and
over, on the fastest road paths between consecutive waypoints (the order and the choice of
waypoints are the planner's; this module only times the drive). Every loop of a plan is laid out
in one flat timeline so that one ``searchsorted`` finds the position of every patrolling unit at
once — the simulator asks before every dispatch decision, so the dispatch sees where units really
are. Loops are timed with the travel model at one hour of the day (``LOOP_HOUR``).

A unit between two nodes is reported at the node it is driving to, with the seconds still to
drive; :meth:`Loops.at` returns them so that the caller can hand them to the ranking as the unit's
start-up leg.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from xunfang.core.errors import InvalidInput
from xunfang.network.engine import NetworkEngine
from xunfang.network.travel import Mode
from xunfang.simulation.plan import Patrol

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
LOOP_HOUR = 12


@dataclass(frozen=True)
class Loops:
    """All loops as one timeline; loop j occupies entries ``ptr[j]:ptr[j+1]``.

    Entry k is node ``node[k]`` reached at ``arr[k]`` and left at ``dep[k]`` (global seconds:
    loop j's local time plus ``base[j]``); a loop's last entry is its post again, at ``period[j]``.
    """

    node: I64
    arr: F64
    dep: F64
    ptr: I64
    base: F64
    period: F64

    def at(self, loop: I64, t0: F64, t: float) -> tuple[I64, F64, F64, I64]:
        """For units on ``loop`` that started it at ``t0``: (next node, seconds to it, fraction,
        previous node).

        The fraction is how far along the current road piece the unit is (0 while dwelling at the
        next node), for drawing its position between the previous node and the next.
        """
        tau = np.mod(t - t0, self.period[loop])
        q = self.base[loop] + tau
        k = np.searchsorted(self.arr, q, side="right") - 1
        moving = q >= self.dep[k]
        nxt = np.where(moving, k + 1, k)
        rem = np.where(moving, self.arr[nxt] - q, 0.0)
        span = self.arr[nxt] - self.dep[k]
        frac = np.where(moving & (span > 0), (q - self.dep[k]) / np.where(span > 0, span, 1.0), 0.0)
        return self.node[nxt], rem, frac, self.node[k]

    def nodes_of(self, loop: int) -> I64:
        return self.node[self.ptr[loop] : self.ptr[loop + 1]]

    def local_arrival(self, loop: int, k: int) -> float:
        """Seconds into loop ``loop`` at which its entry ``k`` (0-based within the loop) is reached."""
        return float(self.arr[self.ptr[loop] + k] - self.base[loop])


def _timeline(engine: NetworkEngine, mode: Mode, stops: I64, dwell: F64, rid: str) -> tuple[I64, F64, F64]:
    router = engine.router(mode, LOOP_HOUR)
    g, w = engine.graph, router.weights
    node, arr, dep = [int(stops[0])], [0.0], [0.0]
    clock = 0.0
    for a, b, d in zip(stops[:-1], stops[1:], dwell[1:], strict=True):
        if a != b:
            try:
                _, edges = router.path(int(a), int(b))
            except InvalidInput:
                raise InvalidInput(f"route {rid!r}: no road path between two of its waypoints") from None
            for e in edges:
                clock += float(w[e])
                node.append(int(g.edge_v[e]))
                arr.append(clock)
                dep.append(clock)
        clock += float(d)
        dep[-1] = clock
    if clock < 1.0:  # a loop that takes no time: the unit simply stands at its post
        return np.array([stops[0], stops[0]], np.int64), np.array([0.0, 1.0]), np.array([1.0, 1.0])
    return np.array(node, np.int64), np.array(arr), np.array(dep)


def build_loops(
    engine: NetworkEngine, routes: list[Patrol | None], home_nodes: I64, modes: list[Mode]
) -> tuple[Loops, I64]:
    """The loops of a plan's units and each unit's loop index (-1: no route).

    Units with the same route, post and travel mode share one loop.
    """
    keys: dict[tuple[str, int, Mode], int] = {}
    parts: list[tuple[I64, F64, F64]] = []
    loop_of = np.full(len(routes), -1, dtype=np.int64)
    for u, route in enumerate(routes):
        if route is None or modes[u] is Mode.DRONE:
            continue
        key = (route.id, int(home_nodes[u]), modes[u])
        if key not in keys:
            wp, _ = engine.snapper.nearest(route.lon, route.lat)
            if (wp < 0).any():
                raise InvalidInput(f"route {route.id!r}: a waypoint lies off the road network")
            stops = np.concatenate([[home_nodes[u]], wp, [home_nodes[u]]]).astype(np.int64)
            dwell = np.concatenate([[0.0], route.dwell_s, [0.0]])
            keys[key] = len(parts)
            parts.append(_timeline(engine, modes[u], stops, dwell, route.id))
        loop_of[u] = keys[key]
    if not parts:
        empty = np.zeros(0)
        return Loops(np.zeros(0, np.int64), empty, empty, np.zeros(1, np.int64), empty, empty), loop_of
    period = np.array([p[2][-1] for p in parts])
    base = np.concatenate([[0.0], np.cumsum(period + 1.0)[:-1]])
    ptr = np.concatenate([[0], np.cumsum([p[0].size for p in parts])]).astype(np.int64)
    return (
        Loops(
            np.concatenate([p[0] for p in parts]),
            np.concatenate([p[1] + b for p, b in zip(parts, base, strict=True)]),
            np.concatenate([p[2] + b for p, b in zip(parts, base, strict=True)]),
            ptr,
            base,
            period,
        ),
        loop_of,
    )
