"""Small pieces the loaders share: reading a CSV with the required columns, polylines as arrays."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from xunfang.core.errors import CorruptData, DataNotFound

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


def read_csv(path: Path, required: tuple[str, ...], *, what: str) -> pd.DataFrame:
    """A CSV with the columns a format needs, or an error naming the file and the missing columns."""
    if not path.is_file():
        raise DataNotFound(f"{path}: file not found ({what})")
    try:
        frame = pd.read_csv(path, low_memory=False)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CorruptData(f"{path}: not a readable CSV ({reason})") from None
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise CorruptData(
            f"{path}: missing column(s) {', '.join(missing)}; expected columns {', '.join(required)}"
        )
    return frame


def numeric(frame: pd.DataFrame, column: str) -> F64:
    """A numeric column as float64 (NaN where empty, unparseable or absent)."""
    if column not in frame:
        return np.full(len(frame), np.nan)
    return np.asarray(pd.to_numeric(frame[column], errors="coerce"), dtype=np.float64)


def text(frame: pd.DataFrame, column: str) -> NDArray[np.str_]:
    """A text column with empty cells as '' (all '' when the column is absent)."""
    if column not in frame:
        return np.full(len(frame), "", dtype=np.str_)
    return np.asarray(frame[column].fillna("").astype(str).to_numpy(), dtype=np.str_)


def wkt_lines(values: NDArray[np.str_], *, path: Path, column: str) -> tuple[I64, F64, F64]:
    """Parse a WKT LINESTRING column into (ptr, lon, lat) polyline arrays.

    Raises :class:`CorruptData` naming the first row (1-based, as a spreadsheet counts with the
    header) whose value is not a line of at least two points.
    """
    geoms = shapely.from_wkt(values, on_invalid="ignore")
    kinds = shapely.get_type_id(geoms)
    counts = shapely.get_num_coordinates(geoms)
    bad = np.flatnonzero((kinds != shapely.GeometryType.LINESTRING) | (counts < 2))
    if bad.size:
        row = int(bad[0])
        raise CorruptData(
            f"{path}: row {row + 2}, column {column}: expected a WKT LINESTRING with at least two points, "
            f"got {str(values[row])[:60]!r}"
        )
    return lines_to_arrays(geoms)


def lines_to_arrays(geoms: NDArray[np.object_]) -> tuple[I64, F64, F64]:
    """Shapely LineStrings → (ptr, x, y): polyline e is ``x[ptr[e]:ptr[e+1]]``."""
    coords, which = shapely.get_coordinates(geoms, return_index=True)
    ptr = np.zeros(len(geoms) + 1, dtype=np.int64)
    np.cumsum(np.bincount(which, minlength=len(geoms)), out=ptr[1:])
    return ptr, np.ascontiguousarray(coords[:, 0]), np.ascontiguousarray(coords[:, 1])


def reverse_lines(ptr: I64, x: F64, y: F64, flip: NDArray[np.bool_]) -> tuple[F64, F64]:
    """Polylines with the flagged ones reversed in place order (for ``oneway=-1``)."""
    if not flip.any():
        return x, y
    lens = np.diff(ptr)
    start = np.repeat(ptr[:-1], lens)
    end = np.repeat(ptr[1:] - 1, lens)
    idx = np.arange(ptr[-1], dtype=np.int64)
    src = np.where(np.repeat(flip, lens), start + end - idx, idx)
    return x[src], y[src]
