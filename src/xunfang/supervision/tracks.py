"""GPS tracks: import (CSV, GPX) and cleaning.

Tracks are held column-wise (one array per field, all units together, sorted by unit then time)
so that checks over a thousand units run as array operations. Real GPS is messy: fixes arrive out
of order, twice, or jump kilometres in a second. :func:`clean_tracks` repairs what it can, drops
what it cannot, and says how many of each in a :class:`CleaningReport` — it never raises on a
bad fix, only on a file it cannot read at all.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from xunfang.core.errors import CorruptData, DataNotFound

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

_ALIASES = {
    "unit": ("unit_id", "unit", "user_id", "device_id", "vehicle_id"),
    "time": ("ts", "ts_utc", "time", "timestamp", "datetime", "t"),
    "lon": ("lon", "lng", "longitude", "x"),
    "lat": ("lat", "latitude", "y"),
}


@dataclass(frozen=True, eq=False)
class Tracks:
    """Fixes of many units: ``unit[i]`` indexes ``unit_ids``; ``t`` is seconds since the epoch (UTC)."""

    unit_ids: tuple[str, ...]
    unit: I64
    t: F64
    lon: F64
    lat: F64

    def __len__(self) -> int:
        return int(self.t.size)

    @property
    def starts(self) -> I64:
        """Index of the first fix of each unit (plus the end), valid once sorted by unit."""
        return np.searchsorted(self.unit, np.arange(len(self.unit_ids) + 1)).astype(np.int64)

    def take(self, idx: I64) -> Tracks:
        return Tracks(self.unit_ids, self.unit[idx], self.t[idx], self.lon[idx], self.lat[idx])


@dataclass
class CleaningReport:
    """How many fixes each rule touched."""

    fixes_in: int = 0
    invalid: int = 0
    out_of_order: int = 0
    duplicates: int = 0
    impossible: int = 0
    fixes_out: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _column(frame: pd.DataFrame, key: str, path: Path) -> pd.Series:
    for name in _ALIASES[key]:
        if name in frame.columns:
            return frame[name]
    raise CorruptData(f"{path}: no {key} column; expected one of {', '.join(_ALIASES[key])}")


def _seconds(values: pd.Series) -> F64:
    if pd.api.types.is_numeric_dtype(values):
        return np.asarray(values, dtype=np.float64)
    when = pd.to_datetime(values, utc=True, errors="coerce", format="mixed")
    secs = (when - pd.Timestamp(0, tz="UTC")).dt.total_seconds()
    return np.asarray(secs, dtype=np.float64)


def tracks_from_arrays(units: NDArray[np.generic] | list[str], t: F64, lon: F64, lat: F64) -> Tracks:
    """Build (unsorted) tracks from raw columns; :func:`clean_tracks` sorts and checks them."""
    ids, code = np.unique(np.asarray(units, dtype=str), return_inverse=True)
    return Tracks(
        tuple(str(u) for u in ids),
        code.astype(np.int64),
        np.asarray(t, np.float64),
        np.asarray(lon, np.float64),
        np.asarray(lat, np.float64),
    )


def read_tracks_csv(path: Path) -> Tracks:
    """CSV (optionally .gz) with unit, time (ISO-8601 or epoch seconds), lon, lat columns."""
    if not path.is_file():
        raise DataNotFound(f"{path}: track file not found")
    try:
        frame = pd.read_csv(path, dtype={n: str for n in _ALIASES["unit"]}, low_memory=False)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise CorruptData(f"{path}: not a readable CSV ({exc})") from None
    units = _column(frame, "unit", path).fillna("").astype(str).to_numpy()
    lon = pd.to_numeric(_column(frame, "lon", path), errors="coerce").to_numpy(np.float64)
    lat = pd.to_numeric(_column(frame, "lat", path), errors="coerce").to_numpy(np.float64)
    return tracks_from_arrays(units, _seconds(_column(frame, "time", path)), lon, lat)


def read_gpx(path: Path, *, unit_id: str | None = None) -> Tracks:
    """Track points of a GPX 1.0/1.1 file (all ``trkpt``), one unit named after the file or ``unit_id``."""
    if not path.is_file():
        raise DataNotFound(f"{path}: GPX file not found")
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise CorruptData(f"{path}: not valid GPX/XML ({exc})") from None
    lon, lat, when = [], [], []
    for pt in root.iter():
        if not pt.tag.endswith("trkpt"):
            continue
        lon.append(float(pt.get("lon", "nan")))
        lat.append(float(pt.get("lat", "nan")))
        stamp = next((c.text for c in pt if c.tag.endswith("time")), None)
        when.append(stamp or "")
    t = _seconds(pd.Series(when, dtype=str))
    name = unit_id or path.stem
    return tracks_from_arrays([name] * len(lon), t, np.asarray(lon), np.asarray(lat))


def _spikes(t: F64, x: F64, y: F64, unit: I64, max_speed: float) -> NDArray[np.bool_]:
    """Fixes reached too fast from the previous fix *and* left too fast to the next: a spike."""
    dt = np.diff(t)
    speed = np.hypot(np.diff(x), np.diff(y)) / np.maximum(dt, 1e-3)
    fast = (speed > max_speed) & (unit[1:] == unit[:-1])
    into = np.concatenate([[False], fast])
    out = np.concatenate([fast, [False]])
    first = np.concatenate([[True], unit[1:] != unit[:-1]])
    last = np.concatenate([unit[1:] != unit[:-1], [True]])
    spike: NDArray[np.bool_] = (into & out) | (first & out & ~last & _next_is_ok(fast)) | (last & into)
    return spike


def _next_is_ok(fast: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """For a track's first fix: the jump to fix 2 is fast but 2→3 is not, so fix 1 is the outlier."""
    nxt = np.concatenate([fast[1:], [True, True]])
    return ~nxt


def clean_tracks(tracks: Tracks, *, max_speed_mps: float = 60.0) -> tuple[Tracks, CleaningReport]:
    """Sort by unit and time, drop invalid, duplicate and impossible fixes, report the counts."""
    rep = CleaningReport(fixes_in=len(tracks))
    ok = (
        np.isfinite(tracks.t)
        & (np.abs(tracks.lon) <= 180)
        & (np.abs(tracks.lat) <= 90)
        & np.isfinite(tracks.lon)
        & np.isfinite(tracks.lat)
        & ~((tracks.lon == 0) & (tracks.lat == 0))
    )
    rep.invalid = int((~ok).sum())
    tr = tracks.take(np.flatnonzero(ok))
    same = tr.unit[1:] == tr.unit[:-1]
    rep.out_of_order = int(((tr.t[1:] < tr.t[:-1]) & same).sum())
    tr = tr.take(np.lexsort((tr.t, tr.unit)))
    dup = np.concatenate([[False], (tr.unit[1:] == tr.unit[:-1]) & (tr.t[1:] == tr.t[:-1])])
    rep.duplicates = int(dup.sum())
    tr = tr.take(np.flatnonzero(~dup))
    from xunfang.core.geo import MetricProjection

    if len(tr):
        proj = MetricProjection.for_points(tr.lon, tr.lat)
        x, y = proj.to_xy(tr.lon, tr.lat)
        for _ in range(5):
            bad = _spikes(tr.t, x, y, tr.unit, max_speed_mps)
            if not bad.any():
                break
            rep.impossible += int(bad.sum())
            keep = np.flatnonzero(~bad)
            tr, x, y = tr.take(keep), x[keep], y[keep]
    rep.fixes_out = len(tr)
    return tr, rep
