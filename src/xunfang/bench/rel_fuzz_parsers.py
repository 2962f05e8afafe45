"""Coverage-guided fuzzing (atheris, libFuzzer) of the parsers that take outside files and bodies:
the incident CSV import, the position batch body and the GeoJSON supervision-plan import.

A parser may refuse input only with xunfang's own errors (a clear message naming the problem) or,
for the position body, pydantic's ValidationError (FastAPI turns it into a 422). Any other
exception is a crash: the kind of bug that becomes a 500 or a traceback for the user. Crashes are
recorded (not raised) so one run finds every distinct one; the same seed gives the same run.

Run one target: ``python -m xunfang.bench.rel_fuzz_parsers TARGET OUT_DIR -runs=N -seed=S``.
:func:`fuzz_parsers` runs all three in subprocesses (libFuzzer exits the process at the end).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

TARGETS = ("incident_csv", "positions", "plan_geojson")

SEEDS: dict[str, list[bytes]] = {
    "incident_csv": [
        b"time,lon,lat,category,district,id\n2024-03-10T02:30:00-06:00,-87.63,41.88,theft,1,a\n"
        b"2024-03-10 08:15,-87.64,41.87,dispute,2,b\n,,,,,\n",
        b"time,lon,lat,category\n2020-01-31T22:15Z,116.4,39.9,noise\n",
    ],
    "positions": [
        b'[{"unit_id":"U1","lon":-87.63,"lat":41.88,"at":"2026-11-23T10:00:00Z"},'
        b'{"unit_id":"U2","lon":116.4,"lat":39.9,"at":"2026-11-23T10:00:01+08:00"}]',
    ],
    "plan_geojson": [
        b'{"type":"FeatureCollection","features":[{"type":"Feature","id":"p1","geometry":{"type":"Point",'
        b'"coordinates":[-87.63,41.88]},"properties":{"dwell_min":5,"windows":[["08:00","10:00"]]}},'
        b'{"type":"Feature","geometry":{"type":"LineString","coordinates":[[-87.63,41.88],[-87.62,41.89]]},'
        b'"properties":{"id":"l1"}},{"type":"Feature","geometry":{"type":"Point","coordinates":[-87.6,41.9]},'
        b'"properties":{"kind":"red_zone","radius_m":200}}],"units":{}}',
        b'{"points":[{"id":"p","lon":-87.63,"lat":41.88,"dwell_min":5,"windows":[["08:00","10:00"]]}],'
        b'"lines":[{"id":"l","coordinates":[[-87.63,41.88],[-87.62,41.89]],"required_share":0.8}],'
        b'"red_zones":[{"id":"r","lon":-87.6,"lat":41.9,"radius_m":200,"required_min":30}],'
        b'"units":{"U1":{"mode":"car"}}}',
    ],
}

# libFuzzer dictionaries: tokens spliced into inputs, so mutations stay structured (valid JSON of
# another shape, a CSV with other columns) instead of mostly unreadable bytes
_JSON = [
    '"{"',
    '"}"',
    '"["',
    '"]"',
    '"[]"',
    '"{}"',
    '"null"',
    '"true"',
    '"0"',
    '"-1"',
    '"1e309"',
    '"\\"\\""',
    '","',
]
TOKENS: dict[str, list[str]] = {
    "incident_csv": ['","', '"\\x0A"', '"time"', '"lon"', '"lat"', '"category"', '"9999-12-31"', '"NaN"',
                     '"inf"', '"T"', '"Z"', '"+14:00"', '"\\""', '"2024-03-10 02:30"'],
    "positions": [*_JSON, '"unit_id"', '"lon"', '"lat"', '"at"', '"2026-11-23T10:00:00Z"', '"+14:00"'],
    "plan_geojson": [*_JSON, '"features"', '"geometry"', '"coordinates"', '"properties"', '"Point"',
                     '"LineString"', '"units"', '"points"', '"lines"', '"red_zones"', '"windows"',
                     '"kind"', '"red_zone"', '"FeatureCollection"', '"type"'],
}  # fmt: skip


def _target(name: str, work: Path) -> tuple[Callable[[bytes], None], tuple[type[BaseException], ...]]:
    """The function under test and the exceptions it may refuse input with."""
    import pydantic

    from xunfang.core.errors import XunfangError

    if name == "incident_csv":
        from xunfang.analysis.history import ColumnMap, normalise, read_table

        path = work / "fuzz.csv"

        def csv(data: bytes) -> None:
            path.write_bytes(data)
            normalise(read_table(path), ColumnMap(), source="fuzz.csv")

        return csv, (XunfangError,)
    if name == "positions":
        from typing import Annotated

        from annotated_types import Len

        from xunfang.api.schemas.units import PositionIn
        from xunfang.store.units import Fix, newest

        adapter = pydantic.TypeAdapter(Annotated[list[PositionIn], Len(1, 5000)])

        def positions(data: bytes) -> None:
            fixes = adapter.validate_json(data)
            newest([Fix(f.unit_id, f.lon, f.lat, f.at) for f in fixes])

        return positions, (XunfangError, pydantic.ValidationError)
    if name == "plan_geojson":
        from xunfang.supervision.plan import read_plan

        plan = work / "fuzz.geojson"

        def geojson(data: bytes) -> None:
            plan.write_bytes(data)
            read_plan(plan)

        return geojson, (XunfangError,)
    raise ValueError(f"unknown fuzz target {name!r}; expected one of {TARGETS}")


def main(argv: list[str]) -> None:
    """One target under atheris; distinct crashes are appended to OUT_DIR/crashes.jsonl."""
    import atheris

    name, out = argv[1], Path(argv[2])
    with atheris.instrument_imports(include=["xunfang"]):
        fn, refusals = _target(name, out)
    seen: set[str] = set()

    def one(data: bytes) -> None:
        try:
            fn(data)
        except refusals:
            pass
        except Exception as exc:
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            sig = f"{type(exc).__name__} at {Path(frame.filename).name}:{frame.lineno}"
            if sig not in seen:
                seen.add(sig)
                with (out / "crashes.jsonl").open("a") as f:
                    f.write(json.dumps({"target": name, "crash": sig, "input": data[:300].decode("latin-1")}))
                    f.write("\n")

    corpus = out / f"corpus-{name}"
    corpus.mkdir(exist_ok=True)
    for i, seed in enumerate(SEEDS[name]):
        (corpus / f"seed{i}").write_bytes(seed)
    tokens = out / f"{name}.dict"
    tokens.write_text("\n".join(TOKENS[name]) + "\n")
    atheris.Setup([argv[0], *argv[3:], f"-dict={tokens}", str(corpus)], one)
    atheris.Fuzz()


def run_target(name: str, runs: int, seed: int, work: Path) -> dict[str, Any]:
    """One target in a subprocess: cases run and distinct crashes found."""
    out = work / name
    out.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "xunfang.bench.rel_fuzz_parsers", name, str(out)]
    cmd += [f"-runs={runs}", f"-seed={seed}", "-max_len=4096", f"-artifact_prefix={out}/"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=3600, check=False)
    done = re.findall(r"Done (\d+) runs", proc.stderr)
    crashes_file = out / "crashes.jsonl"
    crashes = (
        [json.loads(line) for line in crashes_file.read_text().splitlines()] if crashes_file.exists() else []
    )
    if not done:  # the harness itself failed: report it, never as 0 crashes
        raise RuntimeError(f"fuzzer for {name} did not finish (rc {proc.returncode}): {proc.stderr[-500:]}")
    return {"cases": int(done[-1]), "crashes": len(crashes), "found": [c["crash"] for c in crashes]}


def fuzz_parsers(runs: int, seed: int = 1, work: Path | None = None) -> dict[str, Any]:
    """All three targets, ``runs`` cases each; totals plus each target's figures."""
    with tempfile.TemporaryDirectory(prefix="xf-fuzzp-") as tmp:
        per = {t: run_target(t, runs, seed, work or Path(tmp)) for t in TARGETS}
    return {
        "cases": sum(p["cases"] for p in per.values()),
        "crashes": sum(p["crashes"] for p in per.values()),
        "engine": "atheris (libFuzzer, coverage of xunfang's modules)",
        "seed": seed,
        **per,
    }


if __name__ == "__main__":
    main(sys.argv)
