"""Larson's hypercube queueing model, approximate version (Larson 1975), for validating the simulator.

N units serve J demand atoms with Poisson arrival rates ``lam[j]`` and exponential service (mean
``1/mu``). Each atom has a fixed preference order of units (by travel time); a call takes the most
preferred free unit, or waits in an infinite FCFS line when all are busy.

The approximation solves N equations instead of the 2^N-state Markov chain. The probability that
a call from atom j finds its first k-1 preferred units busy and the k-th free is taken as
``Q(N, rho, k-1) * prod(rho[a_j1..a_j(k-1)]) * (1 - rho[a_jk])``, where the correction factor Q
(Larson & Odoni, *Urban Operations Research*, eq. 5.48) makes this exact for the M/M/N queue with
identical units; calls that find every unit busy are spread evenly over the units.

References: R. C. Larson, "Approximating the performance of urban emergency service systems",
Operations Research 23(5), 1975; Larson & Odoni (1981), section 5.5.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from xunfang.core.errors import InvalidInput

F64 = NDArray[np.float64]


def mmn_p0(n: int, rho: float) -> float:
    """P{no unit busy} for M/M/N with utilisation rho = lambda / (N mu) < 1."""
    a = n * rho
    head = sum(a**k / math.factorial(k) for k in range(n))
    return 1.0 / (head + a**n / (math.factorial(n) * (1.0 - rho)))


def erlang_c(n: int, rho: float) -> float:
    """P{all N busy} (a call waits) for M/M/N."""
    a = n * rho
    return mmn_p0(n, rho) * a**n / (math.factorial(n) * (1.0 - rho))


def correction_q(n: int, rho: float, j: int) -> float:
    """Larson's Q(N, rho, j) for the infinite-line-capacity case (checked against the book:
    Q(3, 0.5, 0..2) = 1, 0.73684, 0.63158)."""
    p0 = mmn_p0(n, rho)
    total = 0.0
    for k in range(j, n):
        total += (
            math.factorial(n - j - 1)
            * (n - k)
            * n**k
            * rho ** (k - j)
            / (math.factorial(k - j) * math.factorial(n))
        )
    return total * p0 / (1.0 - rho)


@dataclass(frozen=True)
class HypercubeResult:
    utilisation: F64  # per unit
    dispatch_fraction: F64  # f[n, j]: share of all calls that send unit n to atom j
    mean_travel_s: float
    iterations: int


def approximate_hypercube(
    lam: F64, mu: float, travel_s: F64, *, tol: float = 1e-9, max_iter: int = 500
) -> HypercubeResult:
    """Solve the approximate hypercube model.

    ``lam``: arrival rate per atom (per second); ``mu``: service rate per unit (per second);
    ``travel_s[n, j]``: travel time from unit n's home to atom j (defines the preference order).
    """
    lam = np.asarray(lam, dtype=np.float64)
    travel = np.asarray(travel_s, dtype=np.float64)
    n_units, n_atoms = travel.shape
    if lam.shape != (n_atoms,) or (lam < 0).any() or mu <= 0:
        raise InvalidInput("hypercube: lam must be non-negative per atom and mu positive")
    total = float(lam.sum())
    rho_bar = total / (n_units * mu)
    if not 0 < rho_bar < 1:
        raise InvalidInput(f"hypercube: average utilisation {rho_bar:.3f} must lie in (0, 1)")
    pref = np.argsort(travel, axis=0, kind="stable").T  # pref[j, k] = k-th preferred unit of atom j
    q = np.array([correction_q(n_units, rho_bar, k) for k in range(n_units)])
    p_all_busy = erlang_c(n_units, rho_bar)
    share_queued = total * p_all_busy / (n_units * mu)
    rho = np.full(n_units, rho_bar)
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007
        busy_before = np.cumprod(np.column_stack([np.ones(n_atoms), rho[pref[:, :-1]]]), axis=1)
        weight = lam[:, None] * q[None, :] * busy_before / mu  # [atom, k]
        v = np.bincount(pref.ravel(), weights=weight.ravel(), minlength=n_units)
        new = (v + share_queued) / (1.0 + v)
        new *= n_units * rho_bar / new.sum()  # total workload is fixed: sum(rho) = lambda / mu
        done = float(np.max(np.abs(new - rho))) < tol
        rho = new
        if done:
            break
    busy_before = np.cumprod(np.column_stack([np.ones(n_atoms), rho[pref[:, :-1]]]), axis=1)
    p_assign = q[None, :] * busy_before * (1.0 - rho[pref])  # [atom, k]
    frac = np.zeros((n_units, n_atoms))
    atoms = np.repeat(np.arange(n_atoms), n_units)
    np.add.at(frac, (pref.ravel(), atoms), (lam[:, None] * p_assign).ravel() / total)
    frac += (lam / total)[None, :] * p_all_busy / n_units  # queued calls: any unit, equally
    mean_travel = float((frac * travel).sum() / frac.sum())
    return HypercubeResult(rho, frac, mean_travel, it)
