"""The pure dispatch-queue model (M/M/c with a FIFO call queue), on xunfang's engine and on SimPy.

It is the benchmark model for the engine: calls arrive, take a free unit for an exponential
service time, or wait in line. Both implementations draw the same pre-sampled inter-arrival and
service times, so their statistics must agree exactly; only the speed differs.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import numpy as np

from xunfang.simulation.engine import EventQueue

ARRIVAL, DEPARTURE = 0, 1


@dataclass(frozen=True)
class QueueResult:
    events: int
    mean_wait_s: float
    max_queue: int


def _samples(
    n_calls: int, rate_per_s: float, mean_service_s: float, seed: int
) -> tuple[list[float], list[float]]:
    rng = np.random.default_rng(seed)
    arrivals = np.cumsum(rng.exponential(1.0 / rate_per_s, n_calls))
    service = rng.exponential(mean_service_s, n_calls)
    return arrivals.tolist(), service.tolist()


def run_engine(
    n_calls: int = 100_000,
    units: int = 20,
    rate_per_s: float = 1 / 30,
    mean_service_s: float = 540.0,
    seed: int = 1,
) -> QueueResult:
    """The queue model on :class:`EventQueue`."""
    arrive, service = _samples(n_calls, rate_per_s, mean_service_s, seed)
    q = EventQueue()
    schedule = q.schedule
    waiting: deque[int] = deque()
    free, total_wait, max_queue = units, 0.0, 0

    def on_arrival(t: float, i: int) -> None:
        nonlocal free, max_queue
        if i + 1 < n_calls:
            schedule(arrive[i + 1], ARRIVAL, i + 1)
        if free:
            free -= 1
            schedule(t + service[i], DEPARTURE, i, 0)
        else:
            waiting.append(i)
            max_queue = max(max_queue, len(waiting))

    def on_departure(t: float, _: int) -> None:
        nonlocal free, total_wait
        if waiting:
            j = waiting.popleft()
            total_wait += t - arrive[j]
            schedule(t + service[j], DEPARTURE, j, 0)
        else:
            free += 1

    schedule(arrive[0], ARRIVAL, 0)
    events = q.run((on_arrival, on_departure))
    return QueueResult(events, total_wait / n_calls, max_queue)


def run_simpy(
    n_calls: int = 100_000,
    units: int = 20,
    rate_per_s: float = 1 / 30,
    mean_service_s: float = 540.0,
    seed: int = 1,
) -> QueueResult:
    """The same model written the idiomatic SimPy way (a Resource and one process per call)."""
    import simpy

    arrive, service = _samples(n_calls, rate_per_s, mean_service_s, seed)
    env = simpy.Environment()
    pool = simpy.Resource(env, capacity=units)
    total_wait = [0.0]
    max_queue = [0]

    def call(i: int) -> Generator[Any, Any, None]:
        with pool.request() as req:
            max_queue[0] = max(max_queue[0], len(pool.queue))
            yield req
            total_wait[0] += env.now - arrive[i]
            yield env.timeout(service[i])

    def source() -> Generator[Any, Any, None]:
        for i in range(n_calls):
            yield env.timeout(arrive[i] - env.now)
            env.process(call(i))

    env.process(source())
    env.run()
    # SimPy counts several internal events per call; report the model's events (2 per call)
    return QueueResult(2 * n_calls, total_wait[0] / n_calls, max_queue[0])
