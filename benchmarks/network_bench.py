"""Benchmark: the organisation-network analysis on 5,000 organisations and 50,000 links.

Ours (tamasuk.analysis.network) against a straightforward networkx call sequence in the same run, on
a random network with communities: organisations fall into ``--communities`` groups, each with a few
home areas and a main sector; 90 % of the links stay inside a community, endpoints are drawn with
heavy-tailed weights (a few hubs, many organisations with one or two links, some with none), so there
are articulation points, bridges and isolated organisations. Not a test; run it by hand:

    .venv/bin/python benchmarks/network_bench.py [--orgs 5000] [--links 50000] [--repeat 1]

Betweenness is **sampled** above 2,000 organisations: ``k = 500`` sources drawn with the seed, ours and
networkx's with the same seed (so the same sources; the maximum difference is printed). Ours is also
timed exact (all sources) for reference; networkx exact would take minutes and is not run.

The peer ("plain networkx"), per metric:
    degree            dict(G.degree()), dict(G.degree(weight="weight"))
    betweenness       nx.betweenness_centrality(G, k=500, seed=seed)
    components        list(nx.connected_components(G))
    bridging orgs     nx.articulation_points(G), then for each: the components of its own component
                      without it, G.subgraph(nx.node_connected_component(G, v) - {v}) (the pieces)
    bridges           list(nx.bridges(G))
    missing pairs     a loop over the edges collecting type pairs and sector pairs
    suggested links   an inverted index area → organisations, every pair in an area checked for a shared
                      sector and no link, Jaccard of the (area, sector) cells with Python sets,
                      heapq.nlargest(50)
python-igraph, if installed, adds its exact betweenness (all sources, C code) as a further reference.
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import time

import networkx as nx
import numpy as np

from tamasuk.analysis import network as nw

TYPES = [
    "municipal",
    "national",
    "police",
    "civil_society",
    "health",
    "psychosocial",
    "faith",
    "youth",
    "women",
    "school",
    "business",
    "other",
]
SECTORS = [
    "health",
    "psychosocial",
    "education",
    "livelihoods",
    "food",
    "shelter",
    "protection",
    "security",
    "youth",
    "culture",
]


def make_network(n_orgs: int, n_links: int, n_comm: int, n_areas: int, seed: int):
    rng = np.random.default_rng(seed)
    comm = rng.integers(0, n_comm, n_orgs)
    home_areas = [rng.choice(n_areas, size=4, replace=False) for _ in range(n_comm)]
    main_sector = rng.integers(0, len(SECTORS), n_comm)
    orgs = []
    for i in range(n_orgs):
        c = comm[i]
        k_areas = 1 + rng.poisson(0.8)
        areas = {f"A{a:03d}" for a in rng.choice(home_areas[c], size=min(k_areas, 4), replace=False)}
        if rng.random() < 0.1:
            areas.add(f"A{rng.integers(0, n_areas):03d}")
        sectors = {SECTORS[main_sector[c]] if rng.random() < 0.6 else SECTORS[rng.integers(0, len(SECTORS))]}
        if rng.random() < 0.3:
            sectors.add(SECTORS[rng.integers(0, len(SECTORS))])
        orgs.append(
            nw.Organisation(
                id=f"org{i:05d}",
                type=TYPES[rng.integers(0, len(TYPES))],
                sectors=tuple(sorted(sectors)),
                areas=tuple(sorted(areas)),
            )
        )
    # heavy-tailed endpoint weights; 3 % of organisations never linked
    w = rng.pareto(1.5, n_orgs) + 0.05
    w[rng.random(n_orgs) < 0.03] = 0.0
    members = [np.flatnonzero(comm == c) for c in range(n_comm)]
    wall = w / w.sum()
    kinds = nw.LINK_KINDS
    seen: set[tuple[int, int]] = set()
    links = []
    while len(links) < n_links:
        size = 2 * (n_links - len(links)) + 1000
        u = rng.choice(n_orgs, size=size, p=wall)
        v = rng.choice(n_orgs, size=size, p=wall)  # across communities
        inside = rng.random(size) < 0.9
        for c in range(n_comm):  # inside the community of u
            m = members[c]
            wc = w[m]
            sel = inside & (comm[u] == c)
            if wc.sum() > 0 and sel.any():
                v[sel] = m[
                    np.searchsorted(np.cumsum(wc) / wc.sum(), rng.random(int(sel.sum())), side="right")
                ]
        kind = rng.integers(0, len(kinds), size)
        strength = rng.integers(1, 6, size)
        since = rng.integers(2010, 2026, size)
        for q in range(size):
            a, b = int(u[q]), int(v[q])
            if a == b or w[b] == 0:
                continue
            key = (min(a, b), max(a, b))
            if key in seen:
                continue
            tu, tv = orgs[a].type, orgs[b].type
            if "police" in (tu, tv) and {tu, tv} - {"police", "municipal", "national", "civil_society"}:
                continue  # police only linked with municipal, national and civil society: missing type pairs
            seen.add(key)
            links.append(
                nw.Link(
                    orgs[a].id,
                    orgs[b].id,
                    kind=kinds[kind[q]],
                    strength=int(strength[q]),
                    since=int(since[q]),
                )
            )
            if len(links) == n_links:
                break
    return orgs, links


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


# ---------------------------------------------------------------------------------------------------
# the peer: plain networkx and Python
# ---------------------------------------------------------------------------------------------------


def peer_bridging(G):
    out = {}
    for v in nx.articulation_points(G):
        rest = nx.node_connected_component(G, v) - {v}
        comps = list(nx.connected_components(G.subgraph(rest)))
        out[v] = (len(comps), sorted((len(c) for c in comps), reverse=True))
    return out


def peer_missing(G):
    types = {G.nodes[v]["type"] for v in G}
    sectors = {s for v in G for s in G.nodes[v]["sectors"]}
    tp, sp = set(), set()
    for u, v in G.edges():
        tp.add(frozenset((G.nodes[u]["type"], G.nodes[v]["type"])))
        for a in G.nodes[u]["sectors"]:
            for b in G.nodes[v]["sectors"]:
                sp.add(frozenset((a, b)))
    mt = [(a, b) for a, b in itertools.combinations(sorted(types), 2) if frozenset((a, b)) not in tp]
    ms = [(a, b) for a, b in itertools.combinations(sorted(sectors), 2) if frozenset((a, b)) not in sp]
    return mt, ms


def peer_suggest(G, limit=50):
    by_area: dict = {}
    for v in G:
        for a in G.nodes[v]["areas"]:
            by_area.setdefault(a, []).append(v)
    cells = {v: {(a, s) for a in G.nodes[v]["areas"] for s in G.nodes[v]["sectors"]} for v in G}
    seen = set()
    scored = []
    for group in by_area.values():
        for u, v in itertools.combinations(group, 2):
            key = (u, v) if u < v else (v, u)
            if key in seen:
                continue
            seen.add(key)
            if G.has_edge(u, v):
                continue
            inter = len(cells[u] & cells[v])
            if inter == 0:
                continue
            scored.append((inter / len(cells[u] | cells[v]), inter, key))
    return heapq.nlargest(limit, scored, key=lambda t: (t[0], t[1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--orgs", type=int, default=5000)
    ap.add_argument("--links", type=int, default=50000)
    ap.add_argument("--communities", type=int, default=50)
    ap.add_argument("--areas", type=int, default=80)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--no-peer", action="store_true", help="time ours only")
    ap.add_argument("--no-exact", action="store_true", help="skip our exact betweenness")
    ap.add_argument("--layout", action="store_true", help="also time layout() on the whole network")
    args = ap.parse_args()

    t, (orgs, links) = timed(
        lambda: make_network(args.orgs, args.links, args.communities, args.areas, args.seed)
    )
    print(f"generated {len(orgs)} organisations, {len(links)} links in {t:.1f} s")
    t_build, G = timed(lambda: nw.build_graph(orgs, links))
    n = G.number_of_nodes()
    k = nw.SAMPLE_K if n > nw.SAMPLE_ABOVE else None
    print(f"graph: {n} nodes, {G.number_of_edges()} edges; betweenness sampled with k={k}, seed={args.seed}")
    print(f"{'metric':<22}{'ours (s)':>10}{'networkx (s)':>14}")

    rows = []
    t_ours = {"build_graph": t_build}
    t_ours["degree"], _ = timed(lambda: ([G.degree(v) for v in G], [G.degree(v, weight="weight") for v in G]))
    t_ours["betweenness"], bc = timed(lambda: nw.betweenness(G, k=k, seed=args.seed))
    t_ours["cuts+components"], (bridging, bridges) = timed(lambda: nw.cut_points(G))
    t_ours["missing pairs"], _ = timed(lambda: (nw.missing_pairs(G, "type"), nw.missing_pairs(G, "sectors")))
    t_ours["suggested links"], sugg = timed(lambda: nw.suggest_links(G, 50))
    t_ours["analyse (all)"], res = timed(lambda: nw.analyse(G, seed=args.seed))

    t_peer: dict[str, float | None] = dict.fromkeys(t_ours)
    if not args.no_peer:
        t_peer["degree"], _ = timed(lambda: (dict(G.degree()), dict(G.degree(weight="weight"))))
        t_peer["betweenness"], bc_nx = timed(lambda: nx.betweenness_centrality(G, k=k, seed=args.seed))
        tc, comps = timed(lambda: list(nx.connected_components(G)))
        tb, peer_b = timed(lambda: peer_bridging(G))
        tbr, peer_br = timed(lambda: list(nx.bridges(G)))
        t_peer["cuts+components"] = tc + tb + tbr
        t_peer["missing pairs"], peer_m = timed(lambda: peer_missing(G))
        t_peer["suggested links"], peer_s = timed(lambda: peer_suggest(G, 50))
        t_peer["analyse (all)"] = sum(
            v for key, v in t_peer.items() if v is not None and key != "analyse (all)"
        )
        for key in t_ours:
            rows.append((key, t_ours[key], t_peer[key]))
        # agreement
        diff = max(abs(bc[v] - bc_nx[v]) for v in G)
        same_ap = {b.id: (b.components_after, list(b.sizes)) for b in bridging} == peer_b
        same_br = {frozenset((b.source, b.target)) for b in bridges} == {frozenset(e) for e in peer_br}
        same_s = [round(s.jaccard, 12) for s in sugg] == [round(x[0], 12) for x in peer_s]
        same_m = (list(res.missing_type_pairs), list(res.missing_sector_pairs)) == peer_m
    else:
        rows = [(key, t_ours[key], None) for key in t_ours]
    for key, a, b in rows:
        print(f"{key:<22}{a:>10.2f}{(f'{b:.2f}' if b is not None else '-'):>14}")
    print(
        f"components: {len(res.components)} (largest {len(res.components[0])}, isolated {len(res.isolated)}); "
        f"bridging organisations: {len(res.bridging)}; bridges: {len(res.bridges)}; "
        f"missing type pairs: {len(res.missing_type_pairs)}; missing sector pairs: {len(res.missing_sector_pairs)}; "
        f"suggestions: {len(res.suggestions)}"
    )
    if not args.no_peer:
        print(
            f"agreement with the peer: betweenness max |diff| {diff:.1e}; bridging organisations and sizes "
            f"{'same' if same_ap else 'DIFFER'}; bridges {'same' if same_br else 'DIFFER'}; missing pairs "
            f"{'same' if same_m else 'DIFFER'}; suggestion scores {'same' if same_s else 'DIFFER'}"
        )
    total = t_build + t_ours["analyse (all)"]
    print(f"full analysis (build + analyse): {total:.1f} s — {'PASS' if total < 30 else 'MISS'} against 30 s")
    if not args.no_exact:
        t, _ = timed(lambda: nw.betweenness(G, k=None))
        print(f"ours, exact betweenness (all {n} sources): {t:.1f} s")
    try:
        import igraph as ig  # optional reference
    except ImportError:
        print("python-igraph not installed: no igraph reference")
    else:
        nodes = list(G)
        pos = {v: i for i, v in enumerate(nodes)}
        H = ig.Graph(n=len(nodes), edges=[(pos[u], pos[v]) for u, v in G.edges()])
        t, _ = timed(lambda: H.betweenness(directed=False))
        print(f"igraph exact betweenness (all sources, C): {t:.1f} s")
    if args.layout:
        t, _ = timed(lambda: nw.layout(G, seed=args.seed))
        print(f"layout of all {n} organisations: {t:.1f} s")


if __name__ == "__main__":
    main()
