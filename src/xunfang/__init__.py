"""xunfang (巡防): smart patrol and prevention platform for police command centres."""

__version__ = "0.1.0"
