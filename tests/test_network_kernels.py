"""The compiled kernels give exactly the shortest-path answers of networkx and of the scipy reference."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import dijkstra

from xunfang.network.coverage import CoverageState
from xunfang.network.engine import NetworkEngine, UnitPosition
from xunfang.network.graph import RoadClass, RoadGraph, build_graph
from xunfang.network.reference import ReferenceEngine
from xunfang.network.router import Router
from xunfang.network.synthetic import synthetic_city

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _random_graph(seed: int, n: int, m: int, chains: int = 0) -> RoadGraph:
    """Random edges plus a ring; ``chains`` adds roads drawn with shape points (paths of up to 40
    nodes of one edge in and one out, one-way or two-way), as in the GMNS networks."""
    rng = np.random.default_rng(seed)
    u, v = rng.integers(0, n, m), rng.integers(0, n, m)
    ring = np.arange(n)  # a two-way ring keeps most nodes in the strongly connected core
    us, vs = [u, ring], [v, (ring + 1) % n]
    oneway = [rng.random(m) < 0.6, rng.random(n) < 0.3]
    total = n
    for _ in range(chains):
        size = int(rng.integers(1, 40))
        path = np.concatenate([[rng.integers(n)], np.arange(total, total + size), [rng.integers(n)]])
        total += size
        us.append(path[:-1])
        vs.append(path[1:])
        oneway.append(np.full(size + 1, rng.random() < 0.7))
    return build_graph(
        name="random",
        node_lon=116.0 + rng.uniform(0, 0.02, total),
        node_lat=39.9 + rng.uniform(0, 0.02, total),
        node_ref=np.arange(total),
        u=np.concatenate(us),
        v=np.concatenate(vs),
        oneway=np.concatenate(oneway),
        road_class=np.full(sum(a.size for a in us), RoadClass.RESIDENTIAL, dtype=np.int8),
    )


def _nx(g: RoadGraph, w: np.ndarray, reverse: bool = False) -> nx.DiGraph:
    d = nx.DiGraph()
    d.add_nodes_from(range(g.n_nodes))
    tails, heads = (g.edge_v, g.edge_u) if reverse else (g.edge_u, g.edge_v)
    for a, b, x in zip(tails.tolist(), heads.tolist(), w.tolist(), strict=True):
        if not d.has_edge(a, b) or d[a][b]["weight"] > x:
            d.add_edge(a, b, weight=x)
    return d


@st.composite
def cases(draw: st.DrawFn) -> tuple[RoadGraph, np.ndarray, Router, np.random.Generator]:
    seed = draw(st.integers(0, 10_000))
    n = draw(st.integers(4, 40))
    g = _random_graph(seed, n, draw(st.integers(n, 4 * n)), chains=draw(st.integers(0, 4)))
    rng = np.random.default_rng(seed)
    w = rng.uniform(1.0, 30.0, g.n_edges)
    if draw(st.booleans()):
        w = np.round(w)  # integer weights: many exact ties
    delta = draw(st.sampled_from([None, 0.5, 5.0, 40.0]))  # ≤ min weight (Dial) and wider (re-scans)
    return g, w, Router(g, w, delta=delta), rng


def _expected_rank(
    dist: dict[int, float], nodes: np.ndarray, off: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    tot = np.array([dist.get(int(v), np.inf) for v in nodes]) + off
    order = np.lexsort((np.arange(nodes.size), tot))
    return order, tot[order]


@SETTINGS
@given(cases(), st.integers(1, 12))
def test_rank_matches_networkx(
    case: tuple[RoadGraph, np.ndarray, Router, np.random.Generator], k: int
) -> None:
    g, w, router, rng = case
    # units on half the nodes: many stand inside the shape-point chains the searches walk through
    units = rng.integers(0, g.n_nodes, max(15, g.n_nodes // 2))
    off = rng.uniform(0, 20, units.size)
    target = int(rng.integers(g.n_nodes))
    dist = nx.single_source_dijkstra_path_length(_nx(g, w, reverse=True), target)
    order, tot = _expected_rank(dist, units, off)
    idx, eta, metres = router.rank_nodes(target, 3.0, units, off, None)
    np.testing.assert_allclose(eta, tot + 3.0, rtol=0, atol=1e-9)
    assert np.array_equal(np.sort(idx), np.arange(units.size))
    top_idx, top_eta, _ = router.rank_nodes(target, 3.0, units, off, k)
    np.testing.assert_allclose(top_eta, tot[:k] + 3.0, rtol=0, atol=1e-9)
    if np.unique(np.round(tot, 9)).size == tot.size:
        assert np.array_equal(idx, order) and np.array_equal(top_idx, order[:k])
    # metres: the road length of a path whose time is the shortest time
    for i, mtr in zip(idx[:3], metres[:3], strict=True):
        _, path_edges = router.path(int(units[i]), target)
        assert w[path_edges].sum() == pytest.approx(eta[list(idx).index(i)] - off[i] - 3.0, abs=1e-9)
        assert mtr >= 0.0


@SETTINGS
@given(cases())
def test_matrix_and_route_match_networkx(
    case: tuple[RoadGraph, np.ndarray, Router, np.random.Generator],
) -> None:
    g, w, router, rng = case
    d = _nx(g, w)
    src = rng.integers(0, g.n_nodes, 4)
    dst = rng.integers(0, g.n_nodes, 6)
    got = router.matrix(src, dst)
    for i, s in enumerate(src):
        lengths = nx.single_source_dijkstra_path_length(d, int(s))
        np.testing.assert_allclose(got[i], [lengths[int(t)] for t in dst], rtol=0, atol=1e-9)
        seconds, edges = router.path(int(s), int(dst[0]))
        assert seconds == pytest.approx(lengths[int(dst[0])], abs=1e-9)
        assert w[edges].sum() == pytest.approx(seconds, abs=1e-9)
        if edges.size:
            assert g.edge_u[edges[0]] == s and g.edge_v[edges[-1]] == dst[0]
            assert np.array_equal(g.edge_v[edges[:-1]], g.edge_u[edges[1:]])


def _nx_coverage(
    g: RoadGraph, w: np.ndarray, nodes: np.ndarray, off: np.ndarray, cutoff: float
) -> np.ndarray:
    d = _nx(g, w)
    root = g.n_nodes
    for v, o in zip(nodes.tolist(), off.tolist(), strict=True):
        if not d.has_edge(root, v) or d[root][v]["weight"] > o:
            d.add_edge(root, v, weight=o)
    lengths = nx.single_source_dijkstra_path_length(d, root, cutoff=cutoff)
    out = np.full(g.n_nodes, np.inf)
    for v, x in lengths.items():
        if v != root:
            out[v] = x
    return out


@SETTINGS
@given(cases(), st.lists(st.integers(0, 10_000), min_size=1, max_size=8))
def test_coverage_full_and_incremental_match_networkx(
    case: tuple[RoadGraph, np.ndarray, Router, np.random.Generator], moves: list[int]
) -> None:
    g, w, router, rng = case
    nodes = rng.integers(0, g.n_nodes, 5)
    off = rng.uniform(0, 10, nodes.size)
    state = CoverageState(router, (15.0, 40.0))
    cov = state.full_nodes(nodes, off)
    np.testing.assert_allclose(cov.node_s, _nx_coverage(g, w, nodes, off, 40.0), rtol=0, atol=1e-9)
    for mv in moves:
        j, node, o = mv % nodes.size, mv % g.n_nodes, float(mv % 7)
        nodes[j], off[j] = node, o
        cov = state.move_node(j, node, o)
        expected = _nx_coverage(g, w, nodes, off, 40.0)
        np.testing.assert_allclose(cov.node_s, expected, rtol=0, atol=1e-9)
        fresh = CoverageState(router, (15.0, 40.0)).full_nodes(nodes, off)
        assert np.array_equal(cov.edge_tier, fresh.edge_tier)
        assert np.array_equal(cov.owner, fresh.owner)  # ties go to the lower unit index
        for t, frac in fresh.fraction.items():
            assert cov.fraction[t] == pytest.approx(frac, abs=1e-12)


def test_synthetic_city_is_city_like() -> None:
    g = synthetic_city(2500, seed=3)
    assert 2000 < g.n_nodes <= 2500
    assert g.edge_oneway.any() and not g.edge_oneway.all()
    assert {RoadClass.PRIMARY, RoadClass.TERTIARY, RoadClass.RESIDENTIAL} <= set(
        np.unique(g.edge_class).tolist()
    )
    assert np.array_equal(g.edge_u, synthetic_city(2500, seed=3).edge_u)  # seeded


# -- Chicago: identical to the scipy reference ---------------------------------------------------


@pytest.fixture(scope="module")
def chicago(data_dir: Path) -> RoadGraph:
    from xunfang.network.loaders.gmns import load_gmns

    return load_gmns(data_dir / "chicago" / "osm_arterial_network_gmns")


@pytest.mark.data
def test_chicago_1000_pairs_equal_reference(chicago: RoadGraph) -> None:
    engine = NetworkEngine(chicago)
    w = engine.weights("car", 8)
    rng = np.random.default_rng(7)
    src = rng.integers(0, chicago.n_nodes, 40)
    dst = rng.integers(0, chicago.n_nodes, 25)
    got = engine.router("car", 8).matrix(src, dst)
    ref = dijkstra(chicago.to_csr_matrix(w), indices=src)[:, dst]
    assert got.shape == (40, 25)
    assert np.abs(got - ref).max() <= 1e-6


@pytest.mark.data
def test_chicago_engine_equals_reference_engine(chicago: RoadGraph) -> None:
    engine, ref = NetworkEngine(chicago), ReferenceEngine(chicago)
    rng = np.random.default_rng(11)
    pick = rng.integers(0, chicago.n_nodes, 60)
    lon = chicago.node_lon[pick] + rng.normal(0, 0.001, pick.size)
    lat = chicago.node_lat[pick] + rng.normal(0, 0.001, pick.size)
    modes = ["car", "ebike", "drone", "foot"]
    units = [UnitPosition(f"u{i}", lon[i], lat[i], modes[i % 4]) for i in range(50)]  # type: ignore[arg-type]
    for q in range(50, 55):
        a = engine.rank_units(lon[q], lat[q], units, hour=8)
        b = ref.rank_units(lon[q], lat[q], units, hour=8)
        assert [x.unit_id for x in a] == [x.unit_id for x in b]
        assert max(abs(x.eta_s - y.eta_s) for x, y in zip(a, b, strict=True)) <= 1e-6
        assert max(abs(x.distance_m - y.distance_m) for x, y in zip(a, b, strict=True)) <= 1e-6
        top = engine.rank_units(lon[q], lat[q], units, hour=8, k=3)
        assert [x.unit_id for x in top] == [x.unit_id for x in b[:3]]
    r1, r2 = (
        engine.route((lon[55], lat[55]), (lon[56], lat[56])),
        ref.route((lon[55], lat[55]), (lon[56], lat[56])),
    )
    assert r1.seconds == pytest.approx(r2.seconds, abs=1e-6)
    cars = [u for u in units if u.mode == "car"]
    c1, c2 = engine.coverage(cars, hour=8), ref.coverage(cars, hour=8)
    assert np.array_equal(np.isfinite(c1.node_s), np.isfinite(c2.node_s))
    fin = np.isfinite(c2.node_s)
    assert np.abs(c1.node_s[fin] - c2.node_s[fin]).max() <= 1e-6
    assert np.array_equal(c1.edge_tier, c2.edge_tier)


@pytest.mark.data
def test_chicago_incremental_coverage_equals_full(chicago: RoadGraph) -> None:
    engine = NetworkEngine(chicago)
    rng = np.random.default_rng(5)
    nodes = rng.integers(0, chicago.n_nodes, 100)
    off = rng.uniform(0, 60, nodes.size)
    state = CoverageState(engine.router("car", 17), (60.0, 180.0, 300.0))
    state.full_nodes(nodes, off)
    for _ in range(200):
        j = int(rng.integers(nodes.size))
        nodes[j], off[j] = int(rng.integers(chicago.n_nodes)), float(rng.uniform(0, 60))
        cov = state.move_node(j, int(nodes[j]), float(off[j]))
    fresh = CoverageState(engine.router("car", 17), (60.0, 180.0, 300.0)).full_nodes(nodes, off)
    assert np.array_equal(cov.node_s, fresh.node_s)
    assert np.array_equal(cov.owner, fresh.owner)
    assert np.array_equal(cov.edge_tier, fresh.edge_tier)
    for t, frac in fresh.fraction.items():
        assert cov.fraction[t] == pytest.approx(frac, abs=1e-12)
    lon, lat = chicago.node_lon[nodes[:3]], chicago.node_lat[nodes[:3]]
    lonlat_state = engine.coverage_state(hour=17)
    lonlat_state.full(lon, lat)
    moved = lonlat_state.move(0, float(lon[1]), float(lat[1]))
    assert moved.owner[nodes[1]] in (0, 1)


@pytest.mark.data
def test_chicago_rank_nodes_equals_rank_units(chicago: RoadGraph) -> None:
    engine = NetworkEngine(chicago)
    rng = np.random.default_rng(13)
    pick = rng.integers(0, chicago.n_nodes, 41)
    lon = chicago.node_lon[pick] + rng.normal(0, 0.001, pick.size)
    lat = chicago.node_lat[pick] + rng.normal(0, 0.001, pick.size)
    units = [UnitPosition(f"u{i}", lon[i], lat[i]) for i in range(40)]
    nodes, off_m = engine.snapper.snap(lon[:40], lat[:40])
    t_node, t_off = engine.snapper.snap(lon[40], lat[40])
    off_s = engine.model.offroad_seconds("car", off_m)
    t_off_s = float(engine.model.offroad_seconds("car", t_off[0]))
    idx, eta, _ = engine.rank_nodes(int(t_node[0]), t_off_s, nodes, off_s, hour=8, k=5)
    ranked = engine.rank_units(lon[40], lat[40], units, hour=8, k=5)
    assert [f"u{i}" for i in idx] == [r.unit_id for r in ranked]
    np.testing.assert_allclose(eta, [r.eta_s for r in ranked], rtol=0, atol=1e-6)


def test_warm_compiles_every_search_a_ranking_uses() -> None:
    """After ``warm`` a ranking of a few units out of many (top k) compiles nothing more: the first
    incidents of a fresh service once waited 1.2 s behind that compilation."""
    from xunfang.network import kernels

    engine = NetworkEngine(_random_graph(5, 300, 900))
    engine.warm(8)

    def compiled() -> dict[tuple[bool, bool, bool], int]:
        return {key: len(fn.signatures) for key, fn in kernels._SEARCH_TARGETS.items()}

    before = compiled()
    nodes = np.arange(0, 60, 3, dtype=np.int64)
    engine.router("car", 8).rank_nodes(7, 0.0, nodes, np.zeros(nodes.size), 3)
    engine.router("car", 8).rank_nodes(7, 0.0, nodes, np.zeros(nodes.size), nodes.size)
    assert compiled() == before
