"""Dispatch: the recommendation policy (pure) shared by the live service and the simulator."""

from xunfang.dispatch.recommend import Candidate, IncidentView, Policy, UnitState, recommend

__all__ = ["Candidate", "IncidentView", "Policy", "UnitState", "recommend"]
