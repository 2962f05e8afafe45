"""Jurisdiction tree (M1): city → sub-bureau → defence zone → station → patrol zone → grid."""

from xunfang.jurisdiction.model import Area, Jurisdiction, Level, Location

__all__ = ["Area", "Jurisdiction", "Level", "Location"]
