"""Force types, powers, unit statuses and shifts (M4)."""

from xunfang.forces.types import FORCE_SPECS, ForceSpec, ForceType, Power, UnitStatus, in_shift

__all__ = ["FORCE_SPECS", "ForceSpec", "ForceType", "Power", "UnitStatus", "in_shift"]
