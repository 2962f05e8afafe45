"""Scenarios of `xunfang bench reliability` added after the first set: overload (a position flood
against intake and dispatch), a read-only database, and coverage-guided fuzzing of the parsers.
Kept here so reliability.py only registers them; the live-feed fan-out lag is part of the surge.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from xunfang.bench.reliability import Profile

SCENARIOS = ("overload", "read_only", "fuzz_parsers")
FUZZ_RUNS_PER_EXAMPLE = 400  # parser cases per schemathesis example: quick 2,000, full 40,000 per parser


def overload_seconds(profile: Profile) -> float:
    """Each half of the overload run (calm, then flooded): 8 s in --quick, 30 s in the full run."""
    return min(30.0, max(8.0, profile.surge_s / 20))


def steps(profile: Profile, tmp: Path) -> dict[str, Callable[[], Any]]:
    def overload() -> Any:
        from xunfang.bench.rel_overload import overload as run

        return run(tmp, seconds=overload_seconds(profile))

    def read_only() -> Any:
        from xunfang.bench.rel_readonly import read_only as run

        return run(tmp)

    def fuzz_parsers() -> Any:
        from xunfang.bench.rel_fuzz_parsers import fuzz_parsers as run

        return run(profile.fuzz_examples * FUZZ_RUNS_PER_EXAMPLE, seed=1)

    return {"overload": overload, "read_only": read_only, "fuzz_parsers": fuzz_parsers}
