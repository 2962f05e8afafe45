"""Coverage over the simulated day: what available units reach within the standard, hour by hour.

At each sampling instant the simulator hands over the road positions of the units that could be
dispatched then (free, on shift, counting as an arrival); :class:`DayCoverage` runs the network
package's multi-source coverage search (the same one the live 1/3/5-minute map uses) per travel
mode and reports two shares:

* ``road`` — share of the city's road length reached within the standard (for one travel mode the
  network package's own figure; with several modes the union of road pieces driven end to end);
* ``demand`` — share of the incident weight (per road node: the training year's incidents when
  given, else the day's own) whose node some unit reaches within the standard.

Drones are left out (they fly, the map is of roads).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from xunfang.network.coverage import CoverageState
from xunfang.network.engine import NetworkEngine
from xunfang.network.travel import Mode

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


class DayCoverage:
    """Coverage samples of one simulator (the search states are reused across samples and runs)."""

    def __init__(self, engine: NetworkEngine, standard_s: float = 180.0) -> None:
        self.engine = engine
        self.standard_s = float(standard_s)
        self._states: dict[tuple[Mode, int], CoverageState] = {}
        g = engine.graph
        _, self._seg = np.unique(g.edge_segment, return_inverse=True)
        self._seg_len = np.zeros(int(self._seg.max()) + 1 if self._seg.size else 0)
        self._seg_len[self._seg] = g.edge_length_m

    def _state(self, mode: Mode, hour: int) -> CoverageState:
        key = (mode, hour)
        if key not in self._states:
            self._states[key] = self.engine.coverage_state(
                hour=hour, thresholds_s=(self.standard_s,), mode=mode
            )
        return self._states[key]

    def sample(
        self, hour: int, nodes: I64, off_m: F64, modes: list[Mode], weights: F64
    ) -> tuple[float, float]:
        """(road share, demand share) reached within the standard by units at ``nodes``."""
        g = self.engine.graph
        best = np.full(g.n_nodes, np.inf)
        driven = np.zeros(g.n_edges, bool)
        road = 0.0
        present = sorted({m for m in modes if m is not Mode.DRONE})
        codes = np.array([m.value for m in modes])
        for mode in present:
            sel = np.flatnonzero((codes == mode.value) & (nodes >= 0))
            if sel.size == 0:
                continue
            off_s = self.engine.model.offroad_seconds(mode, off_m[sel])
            cov = self._state(mode, hour).full_nodes(nodes[sel], off_s)
            np.minimum(best, cov.node_s, out=best)
            driven |= cov.edge_tier >= 0
            road = cov.fraction[self.standard_s]
        if len(present) > 1:
            covered = np.unique(self._seg[driven])
            road = float(self._seg_len[covered].sum() / self._seg_len.sum())
        total = float(weights.sum())
        demand = float(weights[best <= self.standard_s].sum() / total) if total > 0 else float("nan")
        return float(road), demand
