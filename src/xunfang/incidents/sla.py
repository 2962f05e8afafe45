"""Response tiers and deadlines (M14, M15): the 1/3/5-minute circles and 5 minutes on scene.

Priority sets the base tier (1 → 1 min, 2 → 3 min, 3 → 5 min); the place moves it: in the dense
core a post is always close, in outer areas one tier is added (capped at 5 min). After arrival a
unit has 5 minutes to settle the incident; then the system prompts a hand-over to the station that
owns the location.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from xunfang.core.errors import InvalidInput

TIERS_MIN: tuple[int, ...] = (1, 3, 5)
HANDLING_S = 300.0
PLACE_CLASSES = ("core", "urban", "outer")


def response_tier(priority: int, place_class: str = "urban") -> int:
    """Minutes within which the first counting unit should arrive."""
    if priority not in (1, 2, 3):
        raise InvalidInput(f"priority must be 1, 2 or 3, got {priority}", field="priority")
    if place_class not in PLACE_CLASSES:
        raise InvalidInput(f"place class {place_class!r}; expected one of {', '.join(PLACE_CLASSES)}")
    idx = priority - 1 + (1 if place_class == "outer" else 0)
    return TIERS_MIN[min(idx, len(TIERS_MIN) - 1)]


def arrival_deadline(received_at: datetime, tier_min: int) -> datetime:
    return received_at + timedelta(minutes=tier_min)


def tier_met(eta_s: float) -> int | None:
    """The smallest tier an ETA meets (None: slower than 5 minutes)."""
    for t in TIERS_MIN:
        if eta_s <= t * 60.0:
            return t
    return None


def handover_due(on_scene_at: datetime, now: datetime, handling_s: float = HANDLING_S) -> bool:
    return (now - on_scene_at).total_seconds() >= handling_s
