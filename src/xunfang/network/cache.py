"""Disk cache of built road graphs, so that the second load of a city takes a tenth of a second.

Parsing CSV/WKT/PBF and building the graph costs about half a second for Chicago, plus the import
of pandas and shapely; reading back the finished arrays costs a few milliseconds. An entry is
keyed by the source files' resolved paths, sizes and modification times, the loader options and
:data:`LOADER_VERSION`, so an edited source or a changed loader never serves a stale graph. The
arrays are stored uncompressed (``np.savez``) so that loading is a plain read; the graph's
``meta`` goes beside them as JSON. A damaged entry is ignored and rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np

from xunfang.core.settings import get_settings
from xunfang.network.graph import RoadGraph

# Bump when any loader or build_graph changes what it produces for the same input.
LOADER_VERSION = 6
_ARRAY_FIELDS = tuple(f.name for f in fields(RoadGraph) if f.name not in ("name", "crs", "meta"))


def cache_key(files: Iterable[Path], options: dict[str, Any]) -> str:
    """A digest of the source files' identity (path, size, mtime) and the loader options."""
    parts: list[Any] = [LOADER_VERSION, sorted(options.items())]
    for path in files:
        stat = path.stat()
        parts.append([str(path.resolve()), stat.st_size, stat.st_mtime_ns])
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:24]


def cache_dir() -> Path:
    return get_settings().cache_dir / "networks"


def read(key: str) -> RoadGraph | None:
    """The cached graph for ``key``, or None when absent or unreadable."""
    path = cache_dir() / f"{key}.npz"
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in _ARRAY_FIELDS}
            header = json.loads(bytes(data["__meta__"]).decode())
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, json.JSONDecodeError):
        return None
    meta = dict(header["meta"], cache="hit")
    return RoadGraph(name=header["name"], crs=header["crs"], meta=meta, **arrays)


def write(key: str, graph: RoadGraph) -> None:
    """Store a graph atomically (write to a temporary file, then rename). Failure is not fatal."""
    folder = cache_dir()
    header = {"name": graph.name, "crs": graph.crs, "meta": graph.meta, "version": LOADER_VERSION}
    blob = np.frombuffer(json.dumps(header, ensure_ascii=False, default=str).encode(), dtype=np.uint8)
    arrays = {name: getattr(graph, name) for name in _ARRAY_FIELDS}
    tmp: str | None = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, __meta__=blob, **arrays)
        os.replace(tmp, folder / f"{key}.npz")
    except OSError:  # a read-only or full cache disk only costs speed
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def cached(key: str, build: Callable[[], RoadGraph]) -> RoadGraph:
    """Read the graph from the cache, else build it and store it."""
    graph = read(key)
    if graph is not None:
        return graph
    graph = build()
    write(key, graph)
    graph.meta["cache"] = "miss"
    return graph
