"""The dispatch rules over a whole fleet at once: arrays in, ranked unit indices out.

Both faces of xunfang decide with this module: the live service (through
:func:`xunfang.dispatch.recommend.recommend`, which adds the explanations a dispatcher reads) and
the simulator, which calls :func:`rank_fleet` thousands of times a simulated day and cannot afford
a Python object per unit. Eligibility is computed as a bit mask per unit so that the reasons can
be spelled out afterwards without re-deriving them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from xunfang.forces.types import FORCE_SPECS, ForceType, UnitStatus
from xunfang.network.engine import NetworkEngine

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

FORCES: tuple[ForceType, ...] = tuple(ForceType)
STATUSES: tuple[UnitStatus, ...] = tuple(UnitStatus)
_SWORN = np.array([FORCE_SPECS[f].sworn for f in FORCES])
_COUNTS = np.array([FORCE_SPECS[f].counts_as_arrival for f in FORCES])
_MODE = [FORCE_SPECS[f].mode for f in FORCES]
AVAILABLE = STATUSES.index(UnitStatus.AVAILABLE)
_FORCE_INDEX = {f: i for i, f in enumerate(FORCES)}
_STATUS_INDEX = {s: i for i, s in enumerate(STATUSES)}

# blocker bits
NOT_AVAILABLE, NO_FIX, STALE, OFF_SHIFT, POWERS = 1, 2, 4, 8, 16


@dataclass
class Fleet:
    """Every unit as parallel arrays (``force`` and ``status`` index FORCES and STATUSES).

    ``fix_s`` is the time of the last position fix in seconds on the caller's clock (NaN: none);
    shifts are minutes of the day and may wrap past midnight.
    """

    ids: list[str]
    force: NDArray[np.int8]
    status: NDArray[np.int8]
    lon: F64
    lat: F64
    fix_s: F64
    shift_start: NDArray[np.int16]
    shift_end: NDArray[np.int16]
    _snapped: dict[str, tuple[I64, F64]] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def build(
        cls,
        ids: list[str],
        force: list[ForceType],
        lon: F64,
        lat: F64,
        *,
        status: list[UnitStatus] | None = None,
        fix_s: F64 | None = None,
        shift_start: list[int] | None = None,
        shift_end: list[int] | None = None,
    ) -> Fleet:
        n = len(ids)
        return cls(
            ids=list(ids),
            force=np.array([_FORCE_INDEX[f] for f in force], dtype=np.int8),
            status=np.array([_STATUS_INDEX[s] for s in status] if status else [AVAILABLE] * n, np.int8),
            lon=np.asarray(lon, dtype=np.float64),
            lat=np.asarray(lat, dtype=np.float64),
            fix_s=np.zeros(n) if fix_s is None else np.asarray(fix_s, dtype=np.float64),
            shift_start=np.asarray(shift_start if shift_start is not None else np.zeros(n), np.int16),
            shift_end=np.asarray(shift_end if shift_end is not None else np.full(n, 1440), np.int16),
        )

    def snapped(self, engine: NetworkEngine) -> tuple[I64, F64]:
        """Nearest road node and off-road metres of every located unit (cached until moved).

        Units without a position, or too far from the network, get node -1.
        """
        key = engine.graph.name
        if key not in self._snapped:
            nodes = np.full(len(self), -1, dtype=np.int64)
            offs = np.full(len(self), np.inf)
            ok = np.flatnonzero(np.isfinite(self.lon) & np.isfinite(self.lat))
            if ok.size:
                i, d = engine.snapper.nearest(self.lon[ok], self.lat[ok])
                good = i >= 0
                nodes[ok[good]], offs[ok[good]] = i[good], d[good]
            self._snapped[key] = (nodes, offs)
        return self._snapped[key]

    def move(
        self, index: int, lon: float, lat: float, *, fix_s: float, node: int = -1, off_m: float = 0.0
    ) -> None:
        """Update one unit's position (a known road node may be passed to skip snapping)."""
        self.lon[index], self.lat[index], self.fix_s[index] = lon, lat, fix_s
        for nodes, offs in self._snapped.values():
            nodes[index], offs[index] = node, off_m
        if node < 0:
            self._snapped.clear()

    def place(self, index: I64, lon: F64, lat: F64, *, fix_s: float, node: I64, off_m: F64) -> None:
        """Move many units at once to known road nodes (the simulator's patrolling units)."""
        self.lon[index], self.lat[index], self.fix_s[index] = lon, lat, fix_s
        for nodes, offs in self._snapped.values():
            nodes[index], offs[index] = node, off_m


class SnapMemo:
    """Each unit's road node for its last position, snapped again only when the unit has moved.

    The service rebuilds its fleet for every recommendation; snapping 200 positions costs more than
    the road search itself, while between two requests only a few units have reported.
    """

    def __init__(self, engine: NetworkEngine) -> None:
        self.engine = engine
        self._memo: dict[str, tuple[float, float, int, float]] = {}

    def fill(self, fleet: Fleet) -> None:
        """Set ``fleet``'s snapped nodes for this engine (what :meth:`Fleet.snapped` would compute)."""
        n = len(fleet)
        nodes, offs = np.full(n, -1, dtype=np.int64), np.full(n, np.inf)
        lon, lat, memo, miss = fleet.lon.tolist(), fleet.lat.tolist(), self._memo, []
        for i, uid in enumerate(fleet.ids):
            got = memo.get(uid)
            if got is not None and got[0] == lon[i] and got[1] == lat[i]:
                nodes[i], offs[i] = got[2], got[3]
            elif np.isfinite(lon[i]) and np.isfinite(lat[i]):
                miss.append(i)
        if miss:
            m = np.asarray(miss)
            i_node, d = self.engine.snapper.nearest(fleet.lon[m], fleet.lat[m])
            for j, node, off in zip(miss, i_node.tolist(), d.tolist(), strict=True):
                memo[fleet.ids[j]] = (lon[j], lat[j], node, off)
                if node >= 0:
                    nodes[j], offs[j] = node, off
        fleet._snapped[self.engine.graph.name] = (nodes, offs)


def blockers(
    fleet: Fleet, *, now_s: float, minute: int, stale_after_s: float, criminal: bool, sworn_present: bool
) -> NDArray[np.int8]:
    """Bit mask per unit of the rules that keep it from being proposed (0: eligible)."""
    bits = np.zeros(len(fleet), dtype=np.int8)
    bits |= np.where(fleet.status != AVAILABLE, NOT_AVAILABLE, 0).astype(np.int8)
    no_fix = ~np.isfinite(fleet.fix_s) | ~np.isfinite(fleet.lon)
    bits |= np.where(no_fix, NO_FIX, 0).astype(np.int8)
    bits |= np.where(~no_fix & (now_s - fleet.fix_s > stale_after_s), STALE, 0).astype(np.int8)
    s, e = fleet.shift_start.astype(np.int32), fleet.shift_end.astype(np.int32)
    always = (s == e) | ((s == 0) & (e >= 1440))
    inside = np.where(s < e, (s <= minute) & (minute < e), (minute >= s) | (minute < e))
    bits |= np.where(~(always | inside), OFF_SHIFT, 0).astype(np.int8)
    if criminal and not sworn_present:
        lone = ~_SWORN[fleet.force] & _COUNTS[fleet.force]
        bits |= np.where(lone, POWERS, 0).astype(np.int8)
    return bits


def counts_as_arrival(fleet: Fleet) -> NDArray[np.bool_]:
    return np.asarray(_COUNTS[fleet.force])


def rank_fleet(
    engine: NetworkEngine,
    fleet: Fleet,
    lon: float,
    lat: float,
    *,
    hour: int,
    units: I64 | None = None,
    k: int | None = None,
    cutoff_s: float = np.inf,
    target: tuple[int, float] | None = None,
) -> tuple[I64, F64, F64]:
    """Units (indices into the fleet) ordered by road ETA to a point, with ETA s and distance m.

    ``units`` restricts the ranking (e.g. to eligible units); ``k`` keeps the first k, ``cutoff_s``
    those no farther. Each travel mode is searched once; drones fly straight. Unreachable units are
    left out. ``target``: the point's road node and off-road metres, when the caller snapped it.
    """
    sel = np.arange(len(fleet)) if units is None else np.asarray(units, dtype=np.int64)
    nodes, offs = fleet.snapped(engine)
    sel = sel[nodes[sel] >= 0]
    if sel.size == 0:
        return np.zeros(0, np.int64), np.zeros(0), np.zeros(0)
    t_node, t_off = target or snap_target(engine, lon, lat)
    modes = [_MODE[f] for f in fleet.force[sel]]
    idx, eta, dist = engine.rank_snapped(
        lon, lat, t_node, t_off, fleet.lon[sel], fleet.lat[sel], nodes[sel], offs[sel],
        modes, hour=hour, k=k, cutoff_s=cutoff_s,
    )  # fmt: skip
    return sel[idx], eta, dist


def snap_target(engine: NetworkEngine, lon: float, lat: float) -> tuple[int, float]:
    """An incident's road node and off-road metres."""
    node, off = engine.snapper.snap(lon, lat, name="incident")
    return int(node[0]), float(off[0])
