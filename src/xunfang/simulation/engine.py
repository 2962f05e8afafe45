"""A deterministic discrete-event engine.

Events are ordered by (time, priority, sequence number), as in SimPy, so that simultaneous events
always run in the same order and a run with a given seed repeats exactly. The engine knows no wall
clock. Handlers are plain callables indexed by an integer event kind; a tight heap loop over
tuples keeps the engine itself cheap (well over a million events per second in CPython), so the
cost of a simulation is the model's, not the engine's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from heapq import heappop, heappush

Handler = Callable[[float, int], None]


@dataclass
class EventQueue:
    """A heap of ``(time, priority, seq, kind, arg)``; lower priority numbers run first at a tie."""

    now: float = 0.0
    processed: int = 0
    _heap: list[tuple[float, int, int, int, int]] = field(default_factory=list)
    _seq: int = 0

    def schedule(self, time: float, kind: int, arg: int = 0, priority: int = 1) -> None:
        """Schedule event ``kind`` with an integer argument at absolute ``time`` (≥ now)."""
        if time < self.now:
            raise ValueError(f"cannot schedule into the past: {time} < now {self.now}")
        seq = self._seq
        self._seq = seq + 1
        heappush(self._heap, (time, priority, seq, kind, arg))

    def __len__(self) -> int:
        return len(self._heap)

    def run(self, handlers: Sequence[Handler], until: float = float("inf")) -> int:
        """Run events in order until the heap is empty or the next event is after ``until``.

        Returns the number of events processed in this call.
        """
        heap, pop = self._heap, heappop
        count = 0
        while heap and heap[0][0] <= until:
            time, _, _, kind, arg = pop(heap)
            self.now = time
            handlers[kind](time, arg)
            count += 1
        self.processed += count
        if until != float("inf") and until > self.now:
            self.now = until
        return count
