"""The jurisdiction tree (M1) and point lookup.

city → sub-bureau → defence zone → station → patrol zone → grid. Every area has a polygon in WGS84;
a point resolves to its grid cell with a shapely STRtree (vectorised over many points) and from
there to all its ancestors through precomputed parent indices.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from shapely.geometry.base import BaseGeometry

from xunfang.core.errors import InvalidInput, NotFound


class Level(StrEnum):
    CITY = "city"
    SUB_BUREAU = "sub_bureau"
    DEFENCE_ZONE = "defence_zone"
    STATION = "station"
    PATROL_ZONE = "patrol_zone"
    GRID = "grid"

    @property
    def zh(self) -> str:
        return _LEVEL_ZH[self]


_LEVEL_ZH = {
    Level.CITY: "市局",
    Level.SUB_BUREAU: "分局",
    Level.DEFENCE_ZONE: "防区",
    Level.STATION: "派出所",
    Level.PATROL_ZONE: "巡区",
    Level.GRID: "网格",
}
LEVELS: tuple[Level, ...] = tuple(Level)


@dataclass(frozen=True)
class Area:
    code: str
    level: Level
    name_zh: str
    name_en: str
    parent: str | None
    geometry: BaseGeometry
    place_class: str = "urban"


@dataclass(frozen=True)
class Location:
    """The areas containing one point, by level."""

    codes: dict[Level, str]
    place_class: str

    @property
    def grid(self) -> str:
        return self.codes[Level.GRID]

    @property
    def station(self) -> str:
        return self.codes[Level.STATION]

    @property
    def sub_bureau(self) -> str:
        return self.codes[Level.SUB_BUREAU]


class Jurisdiction:
    """An immutable tree of areas with vectorised point → areas lookup."""

    def __init__(self, areas: Sequence[Area]) -> None:
        self.areas = list(areas)
        self.by_code = {a.code: a for a in self.areas}
        if len(self.by_code) != len(self.areas):
            raise InvalidInput("jurisdiction has duplicate area codes")
        for a in self.areas:
            if a.parent is not None and a.parent not in self.by_code:
                raise InvalidInput(f"area {a.code!r} names unknown parent {a.parent!r}")
        self._grids = [a for a in self.areas if a.level is Level.GRID]
        if not self._grids:
            raise InvalidInput("jurisdiction has no grid cells")
        self._tree = shapely.STRtree([g.geometry for g in self._grids])
        self._chains = [self.chain(g.code) for g in self._grids]

    def chain(self, code: str) -> dict[Level, str]:
        """The area and all its ancestors, by level."""
        out: dict[Level, str] = {}
        node: Area | None = self.get(code)
        while node is not None:
            out[node.level] = node.code
            node = self.by_code[node.parent] if node.parent else None
        return out

    def get(self, code: str) -> Area:
        try:
            return self.by_code[code]
        except KeyError:
            raise NotFound(f"no jurisdiction area with code {code!r}") from None

    def grid_index(self, lon: ArrayLike, lat: ArrayLike) -> NDArray[np.int64]:
        """Index into the grid list for each point (-1 where outside every cell)."""
        x = np.atleast_1d(np.asarray(lon, dtype=float))
        y = np.atleast_1d(np.asarray(lat, dtype=float))
        pts = np.asarray(shapely.points(x, y), dtype=object)
        pi, gi = self._tree.query(pts, predicate="intersects")
        out = np.full(pts.size, -1, dtype=np.int64)
        # several cells can share a boundary point: keep the first (lowest index) for each point
        out[pi[::-1]] = gi[::-1]
        return out

    def locate_many(self, lon: ArrayLike, lat: ArrayLike) -> list[Location | None]:
        idx = self.grid_index(lon, lat)
        return [None if i < 0 else self._location(int(i)) for i in idx]

    def _location(self, i: int) -> Location:
        chain = self._chains[i]
        station = self.by_code[chain[Level.STATION]]
        return Location(chain, station.place_class)

    def locate(self, lon: float, lat: float) -> Location:
        """The areas containing a point; InvalidInput (field lon) when outside the service area."""
        loc = self.locate_many([lon], [lat])[0]
        if loc is None:
            raise InvalidInput(
                f"point lon={lon}, lat={lat} is outside the service area (bbox {self.bbox_text()})",
                field="lon",
            )
        return loc

    def bbox_text(self) -> str:
        b = shapely.total_bounds([g.geometry for g in self._grids])
        return f"{b[0]:.4f},{b[1]:.4f} – {b[2]:.4f},{b[3]:.4f}"

    def of_level(self, level: Level) -> list[Area]:
        return [a for a in self.areas if a.level is level]

    def descendants(self, code: str) -> set[str]:
        """``code`` and every area below it."""
        kids: dict[str, list[str]] = {}
        for a in self.areas:
            if a.parent:
                kids.setdefault(a.parent, []).append(a.code)
        out, stack = set(), [code]
        while stack:
            c = stack.pop()
            out.add(c)
            stack.extend(kids.get(c, []))
        return out
