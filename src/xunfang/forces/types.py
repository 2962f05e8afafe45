"""Force types (M4): who they are, how they travel, what they may do, and how they count.

Each enum member carries its display data (Chinese and English names) and its rules, so the API,
the dispatcher and the reports read one definition.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from xunfang.core.errors import InvalidInput
from xunfang.network.travel import Mode


class Power(StrEnum):
    """What a unit is allowed to do at a scene."""

    ENFORCE = "enforce"  # detain, search, use force: sworn police
    TRAFFIC = "traffic"  # direct traffic, handle collisions
    ARMED = "armed"  # firearms / tactical response
    ASSIST = "assist"  # help, first aid, crowd control, deterrence by presence
    OBSERVE = "observe"  # see and report only


@dataclass(frozen=True)
class ForceSpec:
    zh: str
    en: str
    mode: Mode
    powers: frozenset[Power]
    counts_as_arrival: bool  # does its arrival stop the response clock?
    sworn: bool  # may be the only unit sent to a criminal incident?


_E, _T, _A, _S, _O = Power.ENFORCE, Power.TRAFFIC, Power.ARMED, Power.ASSIST, Power.OBSERVE


class ForceType(StrEnum):
    PATROL_POLICE = "patrol_police"
    TRAFFIC_POLICE = "traffic_police"
    SPECIAL_POLICE = "special_police"
    ARMED_POLICE = "armed_police"
    AUXILIARY_POLICE = "auxiliary_police"
    VOLUNTEER_POLICE = "volunteer_police"
    GRID_WORKER = "grid_worker"
    PROPERTY_GUARD = "property_guard"
    NIGHT_PATROL = "night_patrol"
    K9_TEAM = "k9_team"
    DRONE = "drone"
    MOUNTED_PATROL = "mounted_patrol"

    @property
    def spec(self) -> ForceSpec:
        return FORCE_SPECS[self]

    @property
    def zh(self) -> str:
        return self.spec.zh

    @property
    def en(self) -> str:
        return self.spec.en

    @classmethod
    def parse(cls, value: str) -> ForceType:
        try:
            return cls(value)
        except ValueError:
            raise InvalidInput(
                f"unknown force type {value!r}; expected one of {', '.join(m.value for m in cls)}",
                field="force_type",
            ) from None


_F, _M, fs = ForceSpec, Mode, frozenset
FORCE_SPECS: dict[ForceType, ForceSpec] = {
    ForceType.PATROL_POLICE: _F("巡警", "patrol police", _M.CAR, fs({_E, _T, _S}), True, True),
    ForceType.TRAFFIC_POLICE: _F("交警", "traffic police", _M.MOTORCYCLE, fs({_E, _T, _S}), True, True),
    ForceType.SPECIAL_POLICE: _F("特警", "special police", _M.CAR, fs({_E, _A, _S}), True, True),
    ForceType.ARMED_POLICE: _F("武警", "armed police", _M.CAR, fs({_A, _S}), True, True),
    ForceType.AUXILIARY_POLICE: _F("辅警", "auxiliary police", _M.EBIKE, fs({_S, _T}), True, False),
    ForceType.VOLUNTEER_POLICE: _F("志愿警", "volunteer police", _M.FOOT, fs({_S, _O}), True, False),
    ForceType.GRID_WORKER: _F("网格员", "grid worker", _M.FOOT, fs({_S, _O}), True, False),
    ForceType.PROPERTY_GUARD: _F("保安", "property guard", _M.FOOT, fs({_S, _O}), True, False),
    ForceType.NIGHT_PATROL: _F("夜巡队", "night patrol team", _M.EBIKE, fs({_S, _O}), True, False),
    ForceType.K9_TEAM: _F("警犬队", "K9 team", _M.CAR, fs({_E, _S}), True, True),
    ForceType.DRONE: _F("无人机", "drone", _M.DRONE, fs({_O}), False, False),
    ForceType.MOUNTED_PATROL: _F("骑警", "mounted patrol", _M.HORSE, fs({_E, _S}), True, True),
}  # fmt: skip


class UnitStatus(StrEnum):
    """A unit's own state; only ``available`` units are recommended for a new incident."""

    AVAILABLE = "available"
    ASSIGNED = "assigned"
    EN_ROUTE = "en_route"
    ON_SCENE = "on_scene"
    OFF_DUTY = "off_duty"
    OUT_OF_SERVICE = "out_of_service"

    @property
    def zh(self) -> str:
        return _STATUS_ZH[self]


_STATUS_ZH = {
    UnitStatus.AVAILABLE: "空闲",
    UnitStatus.ASSIGNED: "已派",
    UnitStatus.EN_ROUTE: "在途",
    UnitStatus.ON_SCENE: "到场",
    UnitStatus.OFF_DUTY: "下班",
    UnitStatus.OUT_OF_SERVICE: "停用",
}


def in_shift(minute_of_day: int, start_min: int, end_min: int) -> bool:
    """Whether a minute of the day falls in a shift; shifts may wrap past midnight (22:00–06:00)."""
    if start_min == end_min or (start_min == 0 and end_min >= 1440):
        return True
    if start_min < end_min:
        return start_min <= minute_of_day < end_min
    return minute_of_day >= start_min or minute_of_day < end_min
