"""The calls a demo day replays: the real records of one day of the city's history, plus optional
simulated calls (clearly labelled) drawn from the history's own spatial distribution."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from xunfang.core.errors import InvalidInput

DEFAULT_DATE = "2019-07-04"


@dataclass(frozen=True)
class Call:
    """One call to replay: ``at_s`` seconds after the day's local midnight."""

    at_s: float
    lon: float
    lat: float
    real: bool
    description: str


def parse_day(text: str) -> pd.Timestamp:
    try:
        return pd.Timestamp(text).normalize()
    except (ValueError, TypeError):
        raise InvalidInput(
            f"--date: cannot read {text!r} as a date; expected YYYY-MM-DD", field="--date"
        ) from None


def day_calls(
    history: pd.DataFrame, day: pd.Timestamp, *, city: str, extra_per_hour: float = 0.0, seed: int = 0
) -> list[Call]:
    """The day's real records (as they are) and ``extra_per_hour`` simulated calls, by time."""
    t = pd.to_datetime(history["time"])
    rows = history[(t >= day) & (t < day + pd.Timedelta(days=1))]
    if rows.empty:
        first, last = t.min().date(), t.max().date()
        raise InvalidInput(
            f"--date {day.date()}: the {city} history has no incidents that day "
            f"(it covers {first} to {last})",
            field="--date",
        )
    calls = [_real(r, day, city) for r in rows.itertuples(index=False)]
    if extra_per_hour > 0:
        calls += _simulated(history, day, extra_per_hour, np.random.default_rng(seed))
    return sorted(calls, key=lambda c: c.at_s)


def _real(r: object, day: pd.Timestamp, city: str) -> Call:
    when = pd.Timestamp(r.time)  # type: ignore[attr-defined]
    cat = str(r.category)  # type: ignore[attr-defined]
    district = str(getattr(r, "district", "") or "")
    desc = (
        f"REAL RECORD replayed (真实警情回放): {city} police record, {cat}, "
        f"{when:%Y-%m-%d %H:%M} local" + (f", district {district}" if district else "")
    )
    lon, lat = float(r.lon), float(r.lat)  # type: ignore[attr-defined]
    return Call((when - day).total_seconds(), lon, lat, True, desc)


def _simulated(
    history: pd.DataFrame, day: pd.Timestamp, per_hour: float, rng: np.random.Generator
) -> list[Call]:
    """Poisson arrivals over the day at places drawn from the history (jittered by ~100 m)."""
    n = int(rng.poisson(per_hour * 24))
    pts = history[["lon", "lat"]].dropna().to_numpy()
    pick = pts[rng.integers(0, len(pts), n)] + rng.normal(0, 0.001, (n, 2))
    at = np.sort(rng.uniform(0, 86400, n))
    desc = "SIMULATED call (模拟警情), not a real record: demo load sampled from the history's places"
    return [Call(float(a), float(p[0]), float(p[1]), False, desc) for a, p in zip(at, pick, strict=True)]
