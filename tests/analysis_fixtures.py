"""Small synthetic incident histories for the analysis tests (not real incidents; never reported)."""

from __future__ import annotations

import numpy as np
import pandas as pd

CENTRE = (-87.65, 41.85)


def synthetic_history(*, days: int = 400, seed: int = 7, per_day: float = 6.0) -> pd.DataFrame:
    """Incidents around two fixed hotspots plus uniform background over ~6 x 6 km, two districts."""
    rng = np.random.default_rng(seed)
    n = int(rng.poisson(per_day * days))
    day = rng.integers(0, days, n)
    minutes = rng.integers(0, 24 * 60, n)
    kind = rng.random(n)
    lon = CENTRE[0] + rng.uniform(-0.035, 0.035, n)
    lat = CENTRE[1] + rng.uniform(-0.027, 0.027, n)
    hot1 = kind < 0.35
    hot2 = (kind >= 0.35) & (kind < 0.55)
    lon[hot1] = CENTRE[0] - 0.02 + rng.normal(0, 0.0015, hot1.sum())
    lat[hot1] = CENTRE[1] + 0.01 + rng.normal(0, 0.0012, hot1.sum())
    lon[hot2] = CENTRE[0] + 0.015 + rng.normal(0, 0.0015, hot2.sum())
    lat[hot2] = CENTRE[1] - 0.012 + rng.normal(0, 0.0012, hot2.sum())
    time = pd.Timestamp("2020-01-01") + pd.to_timedelta(day, unit="D") + pd.to_timedelta(minutes, unit="min")
    frame = pd.DataFrame(
        {
            "time": time,
            "lon": lon,
            "lat": lat,
            "category": np.where(rng.random(n) < 0.7, "assault", "theft"),
            "district": np.where(lon < CENTRE[0], "W", "E"),
            "id": [f"s{i}" for i in range(n)],
        }
    )
    return frame.sort_values("time").reset_index(drop=True)


def write_csv(frame: pd.DataFrame, path: str) -> None:
    out = frame.copy()
    out["time"] = out["time"].dt.strftime("%Y-%m-%dT%H:%M:%S")
    out.to_csv(path, index=False)
