"""Loaders: each reads one format a bureau has and returns a :class:`RoadGraph`."""
