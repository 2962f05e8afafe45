"""The build stamp: a hash of everything the front-end bundle is built from.

``frontend/scripts/stamp.mjs`` writes it into ``dist/build-stamp.json`` at build time; the test
suite recomputes it from the sources, so a commit that changes the front end without rebuilding
the committed bundle fails. Both sides hash the sorted posix paths, each as ``path NUL bytes NUL``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

INPUTS = (
    "src",
    "index.html",
    "package.json",
    "package-lock.json",
    "vite.config.ts",
    "tsconfig.json",
    "scripts",
)


def source_files(frontend: Path) -> list[str]:
    """Posix paths, relative to ``frontend``, of every file the bundle depends on, sorted."""
    files: list[str] = []
    for name in INPUTS:
        path = frontend / name
        if path.is_dir():
            files.extend(p.relative_to(frontend).as_posix() for p in path.rglob("*") if p.is_file())
        elif path.is_file():
            files.append(name)
    return sorted(files)


def sources_sha256(frontend: Path) -> str:
    """The hash stamp.mjs records for the same sources."""
    digest = hashlib.sha256()
    for rel in source_files(frontend):
        digest.update(rel.encode() + b"\0")
        digest.update((frontend / rel).read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def recorded_sha256(dist: Path) -> str:
    """The hash recorded in a built ``dist/``."""
    data = json.loads((dist / "build-stamp.json").read_text(encoding="utf-8"))
    return str(data["sources_sha256"])
