"""Incidents: taxonomy, sources, the lifecycle state machine and SLA tiers (M12–M15)."""
