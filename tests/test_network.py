"""Tests for tamasuk.analysis.network: hand-checked cases, networkx as the reference, property tests."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tamasuk.analysis import network as nw
from tamasuk.analysis.network import Link, Organisation


def two_groups():
    """A–B and D–E are two groups; X is linked to all four and is the only way between them."""
    orgs = [
        Organisation("A", "health", ("health",), ("W1",)),
        Organisation("B", "psychosocial", ("psychosocial",), ("W1",)),
        Organisation("X", "municipal", ("coordination",), ("W1", "W2")),
        Organisation("D", "police", ("security",), ("W2",)),
        Organisation("E", "civil_society", ("youth",), ("W2",)),
    ]
    links = [
        Link("A", "B", "referral", 3),
        Link("A", "X", "coordination", 2),
        Link("B", "X", "coordination", 2),
        Link("D", "E", "partnership", 4),
        Link("X", "D", "coordination", 1),
        Link("X", "E", "funding", 5),
        Link("X", "E", "partnership", 1),  # a second link between X and E: one edge, weight 6
    ]
    return orgs, links


def test_single_bridging_organisation_by_hand():
    G = nw.build_graph(*two_groups())
    r = nw.analyse(G)
    assert r.nodes == ("A", "B", "X", "D", "E")
    assert r.betweenness_k is None
    assert r.degree.tolist() == [2, 2, 4, 2, 2]
    assert r.weighted_degree.tolist() == [5, 5, 11, 5, 10]
    # X lies on every shortest path between {A, B} and {D, E}: 4 of the 6 pairs of the others
    assert r.betweenness.tolist() == pytest.approx([0, 0, 4 / 6, 0, 0])
    assert [b.id for b in r.bridging] == ["X"]
    x = r.bridging[0]
    assert (x.components_after, x.sizes, x.cut_off, x.added_components) == (2, (2, 2), 2, 1)
    assert r.bridges == ()  # both groups are triangles with X
    assert r.components == (("A", "B", "X", "D", "E"),) and r.isolated == ()
    e = G.edges["X", "E"]
    assert (e["weight"], e["kinds"], e["links"]) == (6.0, ("funding", "partnership"), 2)


def test_bridge_link_and_sizes():
    orgs = [Organisation(i, "other") for i in range(7)]
    links = [Link(0, 1), Link(1, 2), Link(0, 2), Link(3, 4), Link(4, 5), Link(3, 5), Link(2, 3)]
    r = nw.analyse(nw.build_graph(orgs, links))
    assert len(r.bridges) == 1
    b = r.bridges[0]
    assert {b.source, b.target} == {2, 3} and b.sizes == (3, 3)
    assert {x.id for x in r.bridging} == {2, 3}
    assert all(x.sizes == (3, 2) for x in r.bridging)
    assert r.isolated == (6,) and r.components == ((0, 1, 2, 3, 4, 5), (6,))
    assert r.component.tolist() == [0, 0, 0, 0, 0, 0, 1]


def test_health_police_never_linked_is_reported():
    orgs, links = two_groups()
    r = nw.analyse(nw.build_graph(orgs, links))
    assert ("health", "police") in r.missing_type_pairs
    assert ("civil_society", "health") in r.missing_type_pairs
    assert ("health", "psychosocial") not in r.missing_type_pairs
    assert r.type_links[("health", "psychosocial")] == 1
    assert ("health", "security") in r.missing_sector_pairs
    assert ("coordination", "security") not in r.missing_sector_pairs
    # three types, two linked pairs: exactly one missing
    orgs3 = [Organisation("m", "municipal", ("governance",)), Organisation("h", "health", ("health",))]
    orgs3.append(Organisation("p", "police", ("security",)))
    miss, counts = nw.missing_pairs(nw.build_graph(orgs3, [Link("m", "h"), Link("m", "p")]))
    assert miss == (("health", "police"),) and counts == {
        ("health", "municipal"): 1,
        ("municipal", "police"): 1,
    }


def test_suggested_link_same_area_and_sector():
    orgs = [
        Organisation("P", "health", ("health",), ("W1", "W2")),
        Organisation("Q", "civil_society", ("health", "food"), ("W1",)),
        Organisation("R", "faith", ("food",), ("W2",)),  # shares W2 with P, but no sector
        Organisation("S", "health", ("health",), ("W9",)),  # shares a sector with P, Q, no area
        Organisation("T", "youth", ("youth",), ("W3",)),
        Organisation("U", "school", ("youth",), ("W3",)),  # same area and sector as T, but linked
    ]
    G = nw.build_graph(orgs, [Link("T", "U", "partnership", 2)])
    s = nw.suggest_links(G)
    assert [(x.source, x.target) for x in s] == [("P", "Q")]
    pq = s[0]
    # cells P {(W1,h),(W2,h)}, Q {(W1,h),(W1,f)}: 1 shared of 3
    assert pq.jaccard == pytest.approx(1 / 3) and pq.shared_cells == 1
    assert pq.shared_areas == ("W1",) and pq.shared_sectors == ("health",)
    # Q–R share the food sector but no area; P–R share W2 but no sector; T–U are linked
    assert nw.suggest_links(G, limit=0) == ()


def test_validation_errors():
    orgs = [Organisation("a", "health"), Organisation("b", "police")]
    with pytest.raises(ValueError, match="'c', which is not in the list"):
        nw.build_graph(orgs, [Link("a", "c")])
    with pytest.raises(ValueError, match="strength 6"):
        nw.build_graph(orgs, [Link("a", "b", strength=6)])
    with pytest.raises(ValueError, match="kind 'friendship'"):
        nw.build_graph(orgs, [Link("a", "b", kind="friendship")])
    with pytest.raises(ValueError, match="to itself"):
        nw.build_graph(orgs, [Link("a", "a")])
    with pytest.raises(ValueError, match="listed twice"):
        nw.build_graph([*orgs, Organisation("a", "x")], [])
    with pytest.raises(TypeError, match="undirected simple graph"):
        nw.analyse(nx.DiGraph([(1, 2)]))
    G = nw.build_graph(
        [{"id": 1, "type": "health", "sectors": "health"}, {"id": 2, "type": "x"}],
        [{"source": 1, "target": 2, "kind": "referral", "strength": 2, "since": 2019}],
        kinds=["partnership"],
    )
    assert G.nodes[1]["sectors"] == ("health",) and G.number_of_edges() == 0


def test_betweenness_equals_networkx_exact_and_sampled():
    G = nx.relabel_nodes(nx.gnp_random_graph(120, 0.04, seed=3), lambda i: f"n{i}")
    G.add_nodes_from(["lonely"])
    for k, seed in [(None, 0), (10, 1), (50, 7), (1, 2)]:
        ours = nw.betweenness(G, k=k, seed=seed)
        ref = nx.betweenness_centrality(G, k=k, seed=seed)
        assert ours.keys() == ref.keys()
        a = np.array([ours[v] for v in G])
        b = np.array([ref[v] for v in G])
        np.testing.assert_allclose(a, b, atol=1e-12, equal_nan=True)
    # small batches and the networkx fallback for deep graphs give the same numbers
    small = nw.betweenness(G, batch_cells=300)
    ref = nx.betweenness_centrality(G)
    assert max(abs(small[v] - ref[v]) for v in G) < 1e-12
    P = nx.path_graph(40)
    deep = nw.betweenness(P, max_levels=5)
    assert max(abs(deep[v] - x) for v, x in nx.betweenness_centrality(P).items()) < 1e-12


def test_large_graphs_are_sampled(monkeypatch):
    assert (nw.SAMPLE_ABOVE, nw.SAMPLE_K) == (2000, 500)
    monkeypatch.setattr(nw, "SAMPLE_ABOVE", 60)
    monkeypatch.setattr(nw, "SAMPLE_K", 25)
    G = nx.gnm_random_graph(61, 150, seed=1)
    for v in G:
        G.nodes[v].update(type="other", sectors=(), areas=())
    r = nw.analyse(G, seed=3, max_suggestions=0)
    assert r.betweenness_k == 25 and r.suggestions == ()
    ref = nx.betweenness_centrality(G, k=25, seed=3)
    assert np.allclose(r.betweenness, [ref[v] for v in G], atol=1e-12)
    assert nw.analyse(G.subgraph(range(60))).betweenness_k is None
    assert nw.analyse(G, betweenness_k=None).betweenness_k is None
    assert nw.analyse(G, betweenness_k=10).betweenness_k == 10


def test_layout_is_deterministic_and_in_unit_square():
    G = nw.build_graph(*two_groups())
    G.add_node("alone", type="other", sectors=(), areas=())
    big = nx.gnm_random_graph(150, 400, seed=2)  # spring layout (over 100 nodes)
    big = nx.relabel_nodes(big, lambda i: f"b{i}")
    G.update(big)
    p1 = nw.layout(G, seed=4)
    p2 = nw.layout(G, seed=4)
    assert p1 == p2
    assert list(p1) == list(G.nodes)
    P = np.array(list(p1.values()))
    assert P.min() >= 0.0 and P.max() <= 1.0
    assert len({(round(x, 9), round(y, 9)) for x, y in P}) == len(P)
    assert nw.layout(nx.Graph()) == {}
    assert nw.layout(nx.Graph([(1, 2)])) == nw.layout(nx.Graph([(1, 2)]))
    # the sampled spring layout of large components is seeded too
    H = nx.relabel_nodes(nx.gnm_random_graph(600, 1500, seed=5), str)
    assert nw.layout(H, seed=1) == nw.layout(H, seed=1)


# ---------------------------------------------------------------------------------------------------
# properties
# ---------------------------------------------------------------------------------------------------

TYPES = ["health", "police", "faith", "youth"]
SECTORS = ["health", "food", "security"]
AREAS = ["w1", "w2", "w3", "w4"]


@st.composite
def networks(draw):
    n = draw(st.integers(1, 14))
    orgs = [
        Organisation(
            f"o{i}",
            draw(st.sampled_from(TYPES)),
            tuple(draw(st.lists(st.sampled_from(SECTORS), max_size=2, unique=True))),
            tuple(draw(st.lists(st.sampled_from(AREAS), max_size=3, unique=True))),
        )
        for i in range(n)
    ]
    pairs = list(itertools.combinations(range(n), 2))
    chosen = draw(st.lists(st.sampled_from(pairs), max_size=25)) if pairs else []
    links = [
        Link(f"o{i}", f"o{j}", draw(st.sampled_from(nw.LINK_KINDS)), draw(st.integers(1, 5)))
        for i, j in chosen
    ]
    return nw.build_graph(orgs, links)


@settings(max_examples=200, deadline=None)
@given(networks())
def test_removing_a_bridging_organisation_splits_its_component(G):
    r = nw.analyse(G, max_suggestions=0)
    assert {b.id for b in r.bridging} == set(nx.articulation_points(G))
    base = nx.number_connected_components(G)
    assert len(r.components) == base
    for b in r.bridging:
        H = G.copy()
        H.remove_node(b.id)
        assert nx.number_connected_components(H) == base + b.components_after - 1 > base
        comp = nx.node_connected_component(G, b.id) - {b.id}
        sizes = sorted((len(c) for c in nx.connected_components(G.subgraph(comp))), reverse=True)
        assert list(b.sizes) == sizes
    assert {frozenset((b.source, b.target)) for b in r.bridges} == {frozenset(e) for e in nx.bridges(G)}
    for b in r.bridges:
        H = G.copy()
        H.remove_edge(b.source, b.target)
        assert sorted(
            (len(nx.node_connected_component(H, v)) for v in (b.source, b.target)), reverse=True
        ) == list(b.sizes)
    ref = nx.betweenness_centrality(G)
    assert np.allclose(r.betweenness, [ref[v] for v in G], atol=1e-12)


@settings(max_examples=200, deadline=None)
@given(networks(), st.integers(1, 60))
def test_suggestions_are_unlinked_pairs_sharing_area_and_sector(G, limit):
    s = nw.suggest_links(G, limit)
    expected = []
    for u, v in itertools.combinations(G.nodes, 2):
        du, dv = G.nodes[u], G.nodes[v]
        if (
            G.has_edge(u, v)
            or not (set(du["areas"]) & set(dv["areas"]))
            or not (set(du["sectors"]) & set(dv["sectors"]))
        ):
            continue
        cu = {(a, x) for a in du["areas"] for x in du["sectors"]}
        cv = {(a, x) for a in dv["areas"] for x in dv["sectors"]}
        expected.append((len(cu & cv) / len(cu | cv), (u, v)))
    assert len(s) == min(limit, len(expected))
    for x in s:
        assert not G.has_edge(x.source, x.target)
        assert x.shared_areas and x.shared_sectors
        assert set(x.shared_areas) == set(G.nodes[x.source]["areas"]) & set(G.nodes[x.target]["areas"])
        assert 0 < x.jaccard <= 1
    assert [x.jaccard for x in s] == pytest.approx(sorted((j for j, _ in expected), reverse=True)[:limit])


@settings(max_examples=200, deadline=None)
@given(networks())
def test_missing_pairs_match_brute_force(G):
    for attr in ("type", "sectors"):
        miss, counts = nw.missing_pairs(G, attr)

        def vals(v, attr=attr):
            x = G.nodes[v][attr]
            return {x} if attr == "type" else set(x)

        present = sorted(set().union(*(vals(v) for v in G)) if len(G) else set())
        linked = {frozenset((a, b)) for u, v in G.edges() for a in vals(u) for b in vals(v) if a != b}
        assert set(miss) == {
            (a, b) for a, b in itertools.combinations(present, 2) if frozenset((a, b)) not in linked
        }
        assert {frozenset(p) for p in counts} == linked
