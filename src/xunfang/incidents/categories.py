"""The incident taxonomy: codes with Chinese and English names and a default priority.

Priority 1 is the most urgent. ``criminal`` marks categories where a sworn officer must attend
(a volunteer, guard or grid worker is never the only unit sent). A bureau may supply its own
taxonomy; this default follows the usual 110 call classes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from xunfang.core.errors import InvalidInput


@dataclass(frozen=True)
class Category:
    code: str
    zh: str
    en: str
    default_priority: int
    criminal: bool = False


DEFAULT_CATEGORIES: tuple[Category, ...] = (
    Category("criminal", "刑事案件", "criminal offence", 1, True),
    Category("violent_crime", "暴力犯罪", "violent crime in progress", 1, True),
    Category("theft", "盗窃", "theft", 2, True),
    Category("public_order", "治安案件", "public order", 2),
    Category("traffic", "交通事故", "traffic accident", 2),
    Category("dispute", "纠纷", "dispute", 3),
    Category("help_request", "求助", "request for help", 3),
    Category("fire_rescue", "火灾救援", "fire / rescue", 1),
    Category("hazard", "公共安全隐患", "public hazard", 2),
    Category("missing_person", "走失人员", "missing person", 2),
    Category("noise", "噪音扰民", "noise complaint", 3),
    Category("suspicious", "可疑情况", "suspicious activity", 2),
)


class Source(StrEnum):
    """Where an incident came from (M12)."""

    CALL_110 = "call_110"
    VIDEO_PATROL = "video_patrol"
    DRONE = "drone"
    IOT_ALARM = "iot_alarm"
    COMMUNITY_REPORT = "community_report"
    PATROL_FOUND = "patrol_found"


class Taxonomy:
    """Category lookup that names the valid codes when given an unknown one."""

    def __init__(self, categories: tuple[Category, ...] = DEFAULT_CATEGORIES) -> None:
        self.categories = categories
        self._by_code = {c.code: c for c in categories}
        if len(self._by_code) != len(categories):
            raise InvalidInput("incident taxonomy has duplicate category codes")

    def get(self, code: str) -> Category:
        try:
            return self._by_code[code]
        except KeyError:
            raise InvalidInput(
                f"category {code!r} is unknown; valid categories: {', '.join(self.codes)}", field="category"
            ) from None

    @property
    def codes(self) -> list[str]:
        return [c.code for c in self.categories]
