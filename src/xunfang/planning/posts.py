"""Post placement (屯警点): maximal covering, p-median and set covering.

Objects follow the spopt shape: build with ``from_cost_matrix`` (seconds, demand × candidates) or
``from_coverage`` (a sparse 0/1 matrix from :func:`~xunfang.planning.coverage.coverage_matrix`),
then ``solve()`` returns self with ``selected`` (candidate indices), ``objective``, ``bound`` and
the proven relative ``gap``.

Maximal covering is first reduced exactly (:mod:`~xunfang.planning.reduce`: identical demand rows
merged, dominated sites dropped). Then each stage runs only while the gap is above the tolerance:
greedy + swap (the incumbent); the Lagrangian bound with its own swap heuristic
(:mod:`~xunfang.planning.lagrange`; skipped for tolerances under 0.1 %, which only the LP or the
MIP can prove); the LP relaxation with rounding + swap; the MIP. The last two are HiGHS through
``scipy.optimize`` under the time limit. A timed-out solve never returns worse than the heuristic.
p-median and set covering go to the MIP directly.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal, Self

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse import csc_matrix, csr_matrix, eye, hstack

from xunfang.core.errors import Infeasible, InvalidInput
from xunfang.planning import heuristics as hx
from xunfang.planning.lagrange import lagrangian_mclp
from xunfang.planning.reduce import reduce_mclp

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
Method = Literal["exact", "heuristic"]
LAGRANGIAN_MIN_GAP = (
    1e-3  # tighter tolerances go straight to the LP / MIP (the Lagrangian stalls ~0.1-0.3 % above the LP)
)
MAX_PMEDIAN_CELLS = 2_000_000  # demand x candidates beyond which the p-median MIP is not built


@dataclass
class _Result:
    selected: I64 = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    objective: float = float("nan")
    bound: float = float("nan")
    gap: float = float("nan")
    status: str = "unsolved"
    seconds: float = 0.0
    method: str = ""


def _check_p(p: int, n_candidates: int, what: str) -> None:
    if p < 1:
        raise InvalidInput(f"{what}: number of posts must be at least 1, got {p}", field="posts")
    if p > n_candidates:
        raise Infeasible(
            f"{what}: cannot place {p} posts among only {n_candidates} candidate sites; "
            f"ask for at most {n_candidates} posts or add candidates"
        )


def _check_weights(w: F64, n: int) -> F64:
    w = np.asarray(w, dtype=np.float64)
    if w.shape != (n,):
        raise InvalidInput(f"weights: expected {n} values (one per demand point), got shape {w.shape}")
    if not np.isfinite(w).all() or (w < 0).any():
        raise InvalidInput("weights: every demand weight must be a finite number >= 0", field="weights")
    return w


def _milp_status(res: object) -> str:
    status = int(getattr(res, "status", -1))
    return {0: "optimal", 1: "time_limit", 2: "infeasible", 3: "unbounded"}.get(status, "error")


class MaximalCovering:
    """Maximise the demand weight within the standard of at least one of p posts."""

    def __init__(self, coverage: csr_matrix, weights: F64, p: int, *, name: str = "mclp") -> None:
        self.A = csr_matrix(coverage, dtype=np.bool_)
        self.weights = _check_weights(weights, self.A.shape[0])
        _check_p(p, self.A.shape[1], name)
        self.p, self.name, self.result = p, name, _Result()

    @classmethod
    def from_coverage(cls, coverage: csr_matrix, weights: F64, p: int, *, name: str = "mclp") -> Self:
        return cls(coverage, weights, p, name=name)

    @classmethod
    def from_cost_matrix(
        cls, cost: F64, weights: F64, p: int, service_radius: float, *, name: str = "mclp"
    ) -> Self:
        """From a dense cost matrix (demand × candidates) and the standard in the same unit."""
        return cls(csr_matrix(np.asarray(cost) <= service_radius), weights, p, name=name)

    @property
    def selected(self) -> I64:
        return self.result.selected

    @property
    def covered_weight(self) -> float:
        return self.result.objective

    @property
    def covered_share(self) -> float:
        total = float(self.weights.sum())
        return self.result.objective / total if total > 0 else 0.0

    @property
    def gap(self) -> float:
        return self.result.gap

    def evaluate(self, selected: I64) -> float:
        """Weight covered by a given set of candidate columns."""
        hit = np.asarray(self.A[:, selected].sum(axis=1)).ravel() > 0
        return float(self.weights @ hit)

    def solve(self, *, method: Method = "exact", time_limit_s: float = 60.0, mip_gap: float = 1e-4) -> Self:
        """Reduce exactly, then heuristic → Lagrangian bound → LP → MIP, each only while the gap is open."""
        t0 = time.perf_counter()
        red = reduce_mclp(self.A, self.weights)
        A, w, cols = red.A, red.w, red.cols
        if cols.size <= self.p:  # every useful site fits: cover all that can be covered
            res = _Result(self._pad(cols), float(w.sum()), float(w.sum()), status="optimal", method=method)
            return self._finish(res, t0)
        sel = hx.swap_mclp(A, w, hx.greedy_mclp(A, w, self.p), time_limit_s=min(10.0, time_limit_s / 4))
        res = _Result(sel, _covered(A, w, sel), float(w.sum()), status="heuristic", method="heuristic")
        if method == "exact" and mip_gap >= LAGRANGIAN_MIN_GAP:
            lag = lagrangian_mclp(A, w, self.p, sel, gap=mip_gap, time_limit_s=min(5.0, time_limit_s / 10))
            res = _Result(lag.selected, lag.objective, lag.bound, status="lagrangian_bound", method="exact")
        if method == "exact" and res.bound - res.objective > mip_gap * res.bound:
            left = time_limit_s - (time.perf_counter() - t0)
            res = _highs_mclp(A, w, self.p, res, limit=left, mip_gap=mip_gap)
        res.selected = cols[res.selected]
        return self._finish(res, t0)

    def _finish(self, res: _Result, t0: float) -> Self:
        res.objective = self.evaluate(res.selected)
        res.gap = max((res.bound - res.objective) / res.bound, 0.0) if res.bound > 0 else 0.0
        res.seconds = time.perf_counter() - t0
        self.result = res
        return self

    def _pad(self, cols: I64) -> I64:
        """``cols`` plus the lowest other candidates up to p sites (they add nothing, but p are asked for)."""
        rest = np.setdiff1d(np.arange(self.A.shape[1]), cols)[: self.p - cols.size]
        return np.concatenate([cols, rest]).astype(np.int64)


def _covered(A: csr_matrix, w: F64, sel: I64) -> float:
    return float(w @ (np.asarray(csc_matrix(A)[:, sel].sum(axis=1)).ravel() > 0))


def _highs_mclp(A: csr_matrix, w: F64, p: int, inc: _Result, *, limit: float, mip_gap: float) -> _Result:
    """LP relaxation, then (if the gap is still open) the MIP, both by HiGHS on the reduced instance.

    The LP's optimum is a proven bound, and rounding its largest sites then swapping often closes
    the gap; the MIP result replaces the incumbent only when it is better, so a timed-out solve
    never returns worse than the heuristic.
    """
    t0 = time.perf_counter()
    nd, nc = A.shape
    c = np.concatenate([np.zeros(nc), -w])
    link = hstack([-csr_matrix(A, dtype=np.float64), eye(nd)], format="csr")
    count = csr_matrix(np.concatenate([np.ones(nc), np.zeros(nd)])[None, :])
    out = _Result(inc.selected, inc.objective, inc.bound, status=inc.status, method="exact")
    lp = linprog(c, A_ub=link, b_ub=np.zeros(nd), A_eq=count, b_eq=[p], bounds=(0, 1), method="highs")
    if lp.status == 0:
        out.bound, out.status = min(inc.bound, -float(lp.fun)), "lp_bound"
        top = np.argsort(-lp.x[:nc], kind="stable")[:p].astype(np.int64)
        cand = hx.swap_mclp(A, w, top, time_limit_s=5.0)
        obj = _covered(A, w, cand)
        if obj > out.objective:
            out.selected, out.objective = cand, obj
    left = limit - (time.perf_counter() - t0)
    if out.bound - out.objective <= mip_gap * out.bound or left <= 0:
        return out
    cons = [LinearConstraint(link, -np.inf, 0.0), LinearConstraint(count, p, p)]
    integrality = np.concatenate([np.ones(nc), np.zeros(nd)])
    opts = {"time_limit": max(left, 1.0), "mip_rel_gap": mip_gap, "disp": False}
    res = milp(c, constraints=cons, integrality=integrality, bounds=Bounds(0, 1), options=opts)
    out.status = _milp_status(res)
    bound = -float(getattr(res, "mip_dual_bound", np.nan) or np.nan)
    if np.isfinite(bound):
        out.bound = min(out.bound, bound)
    if res.x is not None:
        cand = np.flatnonzero(res.x[:nc] > 0.5)[:p].astype(np.int64)
        obj = _covered(A, w, cand)
        if cand.size == p and obj >= out.objective:
            out.selected, out.objective = cand, obj
    return out


class PMedian:
    """Minimise the weighted travel time from each demand point to its nearest of p posts."""

    def __init__(self, cost: F64, weights: F64, p: int, *, name: str = "p-median") -> None:
        self.cost = np.asarray(cost, dtype=np.float64)
        self.weights = _check_weights(weights, self.cost.shape[0])
        _check_p(p, self.cost.shape[1], name)
        self.p, self.name, self.result = p, name, _Result()

    @classmethod
    def from_cost_matrix(cls, cost: F64, weights: F64, p: int, *, name: str = "p-median") -> Self:
        return cls(cost, weights, p, name=name)

    @property
    def selected(self) -> I64:
        return self.result.selected

    def solve(self, *, method: Method = "exact", time_limit_s: float = 60.0, mip_gap: float = 1e-4) -> Self:
        t0 = time.perf_counter()
        w, cost = self.weights, self.cost
        sel = hx.swap_pmedian(cost, w, hx.greedy_pmedian(cost, w, self.p), time_limit_s=time_limit_s / 4)
        res = _Result(sel, hx.pmedian_cost(cost, w, sel), 0.0, status="heuristic", method="heuristic")
        if method == "exact" and self.cost.size <= MAX_PMEDIAN_CELLS:
            res = self._exact(res, time_limit_s - (time.perf_counter() - t0), mip_gap)
        elif method == "exact":
            res.status = (
                f"heuristic: {self.cost.size} assignment variables exceed {MAX_PMEDIAN_CELLS} to prove"
            )
        res.gap = (res.objective - res.bound) / res.objective if res.objective > 0 else 0.0
        res.seconds = time.perf_counter() - t0
        self.result = res
        return self

    def _exact(self, inc: _Result, limit: float, mip_gap: float) -> _Result:
        nd, nc = self.cost.shape
        big = np.where(np.isfinite(self.cost), self.cost, 1e12)
        c = np.concatenate([np.zeros(nc), (big * self.weights[:, None]).ravel()])
        rows = np.repeat(np.arange(nd), nc)
        assign = csr_matrix((np.ones(nd * nc), (rows, nc + np.arange(nd * nc))), shape=(nd, nc + nd * nc))
        z = np.arange(nd * nc)
        link = csr_matrix(
            (np.concatenate([np.ones(nd * nc), -np.ones(nd * nc)]),
             (np.tile(z, 2), np.concatenate([nc + z, np.tile(np.arange(nc), nd)]))),
            shape=(nd * nc, nc + nd * nc),
        )  # fmt: skip
        count = csr_matrix(np.concatenate([np.ones(nc), np.zeros(nd * nc)])[None, :])
        cons = [
            LinearConstraint(assign, 1, 1),
            LinearConstraint(link, -np.inf, 0),
            LinearConstraint(count, self.p, self.p),
        ]
        integ = np.concatenate([np.ones(nc), np.zeros(nd * nc)])
        opts = {"time_limit": max(limit, 1.0), "mip_rel_gap": mip_gap, "disp": False}
        res = milp(c, constraints=cons, integrality=integ, bounds=Bounds(0, 1), options=opts)
        out = _Result(inc.selected, inc.objective, 0.0, status=_milp_status(res), method="exact")
        bound = float(getattr(res, "mip_dual_bound", np.nan) or np.nan)
        out.bound = bound if np.isfinite(bound) else 0.0
        if res.x is not None:
            sel = np.flatnonzero(res.x[:nc] > 0.5)[: self.p]
            obj = hx.pmedian_cost(self.cost, self.weights, sel)
            if obj <= inc.objective:
                out.selected, out.objective = sel, obj
        return out


class SetCovering:
    """The fewest posts such that every demand point (weight > 0) is within the standard."""

    def __init__(self, coverage: csr_matrix, weights: F64 | None = None, *, name: str = "set-cover") -> None:
        A = csr_matrix(coverage, dtype=np.bool_)
        w = np.ones(A.shape[0]) if weights is None else _check_weights(weights, A.shape[0])
        self.A = A[w > 0]
        bare = int((np.diff(self.A.indptr) == 0).sum())
        if bare:
            raise Infeasible(
                f"{name}: {bare} demand point(s) are not within the standard of any candidate; "
                "loosen the standard, add candidates, or use maximal covering"
            )
        self.name, self.result = name, _Result()

    @classmethod
    def from_coverage(cls, coverage: csr_matrix, weights: F64 | None = None) -> Self:
        return cls(coverage, weights)

    @classmethod
    def from_cost_matrix(cls, cost: F64, service_radius: float, weights: F64 | None = None) -> Self:
        return cls(csr_matrix(np.asarray(cost) <= service_radius), weights)

    @property
    def selected(self) -> I64:
        return self.result.selected

    def solve(self, *, method: Method = "exact", time_limit_s: float = 60.0, mip_gap: float = 1e-4) -> Self:
        t0 = time.perf_counter()
        sel = hx.greedy_setcover(self.A)
        res = _Result(sel, float(sel.size), 1.0, status="heuristic", method="heuristic")
        if method == "exact" and self.A.shape[0]:
            nc = self.A.shape[1]
            cons = [LinearConstraint(csr_matrix(self.A, dtype=np.float64), 1, np.inf)]
            opts = {"time_limit": max(time_limit_s, 1.0), "mip_rel_gap": mip_gap, "disp": False}
            r = milp(
                np.ones(nc), constraints=cons, integrality=np.ones(nc), bounds=Bounds(0, 1), options=opts
            )
            res.status, res.method = _milp_status(r), "exact"
            bound = float(getattr(r, "mip_dual_bound", np.nan) or np.nan)
            res.bound = bound if np.isfinite(bound) else 1.0
            if r.x is not None and int((r.x > 0.5).sum()) <= sel.size:
                res.selected = np.flatnonzero(r.x > 0.5)
                res.objective = float(res.selected.size)
        res.gap = (res.objective - res.bound) / res.objective if res.objective > 0 else 0.0
        res.seconds = time.perf_counter() - t0
        self.result = res
        return self
