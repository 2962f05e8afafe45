"""Incident history: one columnar frame, whatever the source file looked like.

Every importer produces a pandas frame with exactly the columns of :data:`COLUMNS`:

* ``time``: ``datetime64[ns]``, **naive local wall-clock time** of the city the incidents happened
  in (what a duty officer reads on the station clock; time-of-day profiles need it). Inputs with a
  UTC offset are converted to the mapping's ``tz`` and then made naive.
* ``lon``, ``lat``: WGS84 degrees (projected inputs are transformed from the mapping's CRS).
* ``category``, ``district``, ``id``: strings (``district`` and ``id`` may be empty strings).

Nothing is dropped silently: :class:`ImportReport` counts every rejected row by reason (``bad
time``, ``missing field``, ``bad coordinates``, ``outside area``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from xunfang.core.errors import CorruptData, DataNotFound, InvalidInput
from xunfang.core.geo import parse_crs

COLUMNS = ("time", "lon", "lat", "category", "district", "id")


@dataclass(frozen=True)
class ColumnMap:
    """How a source file's columns become the history columns.

    ``time`` names one column (ISO 8601 or any pandas-parsable text, or a date column), or use
    ``date`` + ``clock`` for split date and time-of-day columns. ``x``/``y`` are read in ``crs``
    (``EPSG:4326`` means lon/lat). ``category`` may be a column name or, with ``category_value``,
    a constant for single-offence files.
    """

    time: str | None = "time"
    x: str = "lon"
    y: str = "lat"
    crs: str = "EPSG:4326"
    category: str | None = "category"
    category_value: str | None = None
    district: str | None = "district"
    id: str | None = "id"
    date: str | None = None
    clock: str | None = None
    tz: str = "UTC"
    time_format: str | None = None

    def required(self) -> list[str]:
        cols = [self.x, self.y]
        extra = [self.date, self.clock] if self.date else [self.time]
        if self.category and self.category_value is None:
            extra.append(self.category)
        return cols + [c for c in extra if c]


@dataclass
class ImportReport:
    """What an import read, kept and rejected (by reason)."""

    source: str
    rows_read: int = 0
    rows_kept: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    first: str | None = None
    last: str | None = None

    def reject(self, reason: str, count: int) -> None:
        if count:
            self.rejected[reason] = self.rejected.get(reason, 0) + int(count)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "rows_read": self.rows_read,
            "rows_kept": self.rows_kept,
            "rejected": dict(sorted(self.rejected.items())),
            "first": self.first,
            "last": self.last,
        }


def read_table(path: Path) -> pd.DataFrame:
    """A CSV (optionally gzipped) as strings, refused with the file named when unreadable."""
    if not path.is_file():
        raise DataNotFound(f"{path}: incident file not found")
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, low_memory=False)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError, OSError) as exc:
        raise CorruptData(f"{path}: not a readable CSV ({exc})") from None


def _check_columns(raw: pd.DataFrame, cmap: ColumnMap, source: str) -> None:
    missing = [c for c in cmap.required() if c not in raw.columns]
    if missing:
        raise InvalidInput(
            f"{source}: unknown column(s) {', '.join(missing)}; "
            f"the file has {', '.join(map(str, raw.columns))}"
            " (map them with --map time=COL,x=COL,y=COL,category=COL,crs=EPSG:XXXX)"
        )


def _check_tz(tz: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"--map tz={tz}: unknown time zone; expected e.g. Asia/Shanghai or UTC") from None


def _parse_time(raw: pd.DataFrame, cmap: ColumnMap) -> pd.Series:
    if cmap.date:
        text = raw[cmap.date].astype(str).str.strip()
        if cmap.clock:
            text = text + " " + raw[cmap.clock].astype(str).str.strip()
    else:
        text = raw[str(cmap.time)].astype(str).str.strip()
    parsed = pd.to_datetime(text, errors="coerce", format=cmap.time_format or "mixed", utc=True)
    # Offsets (or none, which pandas reads as UTC here) → the city's wall clock, naive.
    local = parsed.dt.tz_convert(cmap.tz) if _has_offsets(text) else parsed
    naive = local.dt.tz_localize(None)
    # pandas may parse years beyond 1677-2262 at a coarser unit; such a row is a bad time (rejected
    # and counted), not a reason to abort the whole import (found by the parser fuzzer)
    naive = naive.where((naive >= pd.Timestamp.min) & (naive <= pd.Timestamp.max))
    return naive.astype("datetime64[ns]")


def _has_offsets(text: pd.Series) -> bool:
    sample = text.head(50)
    return bool(sample.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True).any())


def _coords(raw: pd.DataFrame, cmap: ColumnMap) -> tuple[np.ndarray, np.ndarray]:
    x = pd.to_numeric(raw[cmap.x], errors="coerce").to_numpy(np.float64)
    y = pd.to_numeric(raw[cmap.y], errors="coerce").to_numpy(np.float64)
    crs = parse_crs(cmap.crs)
    if crs.to_epsg() == 4326:
        return x, y
    lon, lat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True).transform(x, y)
    return np.asarray(lon, np.float64), np.asarray(lat, np.float64)


def _refuse_unreadable(
    raw: pd.DataFrame, cmap: ColumnMap, source: str, time: pd.Series, lon: np.ndarray
) -> None:
    """A column where *no* value parses is a mapping mistake, not bad rows: say so instead."""
    if len(raw) == 0:
        return
    if time.isna().all():
        col = cmap.date or cmap.time
        raise InvalidInput(
            f"{source}: column {col!r}: no value could be read as a date/time "
            f"(first value {str(raw[str(col)].iloc[0])!r}); expected ISO 8601 like 2020-01-31T22:15"
        )
    if not np.isfinite(lon).any():
        raise InvalidInput(
            f"{source}: column {cmap.x!r}: no value is a number (first value {str(raw[cmap.x].iloc[0])!r})"
        )


def _text(raw: pd.DataFrame, col: str | None, n: int) -> np.ndarray:
    if col and col in raw.columns:
        return raw[col].astype(str).str.strip().to_numpy(dtype=object)
    return np.full(n, "", dtype=object)


def normalise(
    raw: pd.DataFrame,
    cmap: ColumnMap,
    *,
    source: str,
    area: shapely.Geometry | None = None,
    report: ImportReport | None = None,
) -> tuple[pd.DataFrame, ImportReport]:
    """Map a raw table onto the history columns, rejecting (and counting) bad rows."""
    _check_columns(raw, cmap, source)
    _check_tz(cmap.tz)
    rep = report or ImportReport(source=source)
    n = len(raw)
    rep.rows_read += n
    time = _parse_time(raw, cmap)
    lon, lat = _coords(raw, cmap)
    _refuse_unreadable(raw, cmap, source, time, lon)
    cat = (
        np.full(n, cmap.category_value, dtype=object)
        if cmap.category_value is not None
        else _text(raw, cmap.category, n)
    )
    missing_xy = ~(np.isfinite(lon) & np.isfinite(lat))
    empty_cat = cat == ""
    bad_time = time.isna().to_numpy() & ~missing_xy
    ok = ~missing_xy & ~bad_time & ~empty_cat
    rep.reject("missing field", int((missing_xy | (empty_cat & ~bad_time)).sum()))
    rep.reject("bad time", int(bad_time.sum()))
    bad_range = ok & ((np.abs(lon) > 180) | (np.abs(lat) > 90) | ((lon == 0) & (lat == 0)))
    rep.reject("bad coordinates", int(bad_range.sum()))
    ok &= ~bad_range
    if area is not None:
        inside = np.zeros(n, dtype=bool)
        inside[ok] = shapely.contains_xy(area, lon[ok], lat[ok])
        rep.reject("outside area", int((ok & ~inside).sum()))
        ok &= inside
    frame = pd.DataFrame(
        {
            "time": time.to_numpy()[ok],
            "lon": lon[ok],
            "lat": lat[ok],
            "category": cat[ok].astype(str),
            "district": _text(raw, cmap.district, n)[ok].astype(str),
            "id": _text(raw, cmap.id, n)[ok].astype(str),
        }
    )
    return frame, rep


def finish(frames: list[pd.DataFrame], report: ImportReport) -> pd.DataFrame:
    """Concatenate, sort by time and fill the report's totals."""
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(COLUMNS))
    frame = frame.sort_values("time", kind="stable").reset_index(drop=True)
    report.rows_kept = len(frame)
    if len(frame):
        report.first = pd.Timestamp(frame["time"].iloc[0]).isoformat()
        report.last = pd.Timestamp(frame["time"].iloc[-1]).isoformat()
    return frame


def parse_map(options: list[str]) -> dict[str, str]:
    """``["time=date", "x=longitude,y=latitude"]`` → a dict, refusing unknown keys."""
    known = set(ColumnMap.__dataclass_fields__)
    out: dict[str, str] = {}
    for opt in options:
        for part in filter(None, (p.strip() for p in opt.split(","))):
            key, sep, value = part.partition("=")
            if not sep or key.strip() not in known:
                raise InvalidInput(
                    f"--map: cannot read {part!r}; "
                    f"expected KEY=VALUE with KEY one of {', '.join(sorted(known))}"
                )
            out[key.strip()] = value.strip()
    return out


def save_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write the history columnar (Parquet) for later runs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path, index=False)


def load_parquet(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise DataNotFound(f"{path}: history file not found")
    frame = pd.read_parquet(path)
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise CorruptData(f"{path}: not a xunfang history (missing {', '.join(missing)})")
    return frame
