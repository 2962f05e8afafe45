"""Bucket rows that fill up are grown and the searches still give the exact answers."""

from __future__ import annotations

import numpy as np
from scipy.sparse.csgraph import dijkstra

from xunfang.network.coverage import CoverageState
from xunfang.network.router import Router
from xunfang.network.synthetic import synthetic_city


def _router(delta: float | None) -> Router:
    g = synthetic_city(3000, seed=11)
    w = np.random.default_rng(11).uniform(2.0, 20.0, g.n_edges)
    return Router(g, w, delta=delta)


def test_full_buckets_grow_for_ranking() -> None:
    for delta in (None, 30.0):  # Dial and wide buckets (re-scans)
        r = _router(delta)
        r.ws.bq = np.zeros((r.n_buckets, 1), dtype=np.int32)  # forces the grow-and-retry path
        rng = np.random.default_rng(1)
        units = rng.integers(0, r.n, 200)
        idx, eta, _ = r.rank_nodes(7, 0.0, units, np.zeros(units.size))
        ref = dijkstra(r.graph.to_csr_matrix(r.weights).T.tocsr(), indices=7)[units]
        assert np.array_equal(idx, np.lexsort((np.arange(units.size), ref)))
        np.testing.assert_allclose(eta, ref[idx], rtol=0, atol=1e-9)
        assert r.ws.bq.shape[1] > 1


def test_full_buckets_grow_for_coverage() -> None:
    for delta in (None, 30.0):
        r = _router(delta)
        rng = np.random.default_rng(2)
        nodes = rng.integers(0, r.n, 40)
        off = rng.uniform(0, 20, nodes.size)
        want = CoverageState(r, (60.0, 120.0)).full_nodes(nodes, off)
        state = CoverageState(r, (60.0, 120.0))
        state._bq = np.zeros((r.n_buckets, 1), dtype=np.int32)
        got = state.full_nodes(nodes, off)
        assert np.array_equal(got.node_s, want.node_s)
        assert np.array_equal(got.owner, want.owner)
        for j in range(5):
            state._bq = np.zeros((r.n_buckets, 1), dtype=np.int32)
            nodes[j] = (nodes[j] * 7 + 13) % r.n
            got = state.move_node(j, int(nodes[j]), 1.0)
            off[j] = 1.0
        fresh = CoverageState(r, (60.0, 120.0)).full_nodes(nodes, off)
        assert np.array_equal(got.node_s, fresh.node_s)
        assert np.array_equal(got.owner, fresh.owner)
        assert np.array_equal(got.edge_tier, fresh.edge_tier)


def test_per_unit_search_equals_one_search() -> None:
    """Both full-recompute strategies give the same times and owners, ties included."""
    g = synthetic_city(2000, seed=5)
    for seed, delta in ((1, None), (2, 30.0), (3, 0.5)):
        rng = np.random.default_rng(seed)
        w = np.round(rng.uniform(1.0, 12.0, g.n_edges))  # integer weights: many exact ties
        r = Router(g, w, delta=delta)
        nodes = rng.integers(0, r.n, 60)
        off = np.round(rng.uniform(0, 5, nodes.size))
        got = []
        for each in (True, False):
            state = CoverageState(r, (30.0, 90.0))
            state.dist.fill(np.inf)
            state._bq = np.zeros((r.n_buckets, 1), dtype=np.int32)  # also exercises the resume
            state._search(nodes, off, np.arange(nodes.size, dtype=np.int32), False, each=each)
            got.append((state.dist.copy(), state.owner.copy()))
        assert np.array_equal(got[0][0], got[1][0])
        assert np.array_equal(got[0][1], got[1][1])
        best = np.min(dijkstra(g.to_csr_matrix(w), indices=nodes) + off[:, None], axis=0)
        best[best > 90.0] = np.inf
        np.testing.assert_allclose(got[0][0], best, rtol=0, atol=1e-9)
