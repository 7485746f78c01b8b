"""The organisation network: centrality, components, bridging organisations, missing links, layout.

Pure computation (networkx, numpy, scipy); no Django. The caller turns its organisations and links into
plain records, builds the graph once with :func:`build_graph` and passes it to :func:`analyse` (or to
the single metrics), which return small frozen results whose per-organisation arrays follow
``NetworkResult.nodes`` (the order the organisations were given in).

Graph
    :func:`build_graph` makes an undirected :class:`networkx.Graph`. A node is an organisation: its
    ``id`` (any hashable: a database key or a code), ``type`` (municipal department, police, health,
    ...), ``sectors`` and ``areas``. A link has ``source``, ``target``, ``kind`` (one of
    :data:`LINK_KINDS`), ``strength`` (1–5) and ``since``. Links are treated as undirected (a referral or
    funding link still connects the two organisations). Several links between the same two
    organisations (say partnership and funding) make one edge whose ``weight`` is the *sum* of their
    strengths, with ``kinds`` (sorted), ``links`` (their number) and ``since`` (the earliest known). A link
    to an unknown organisation, a link of an organisation to itself, an unknown kind or a strength
    outside 1–5 is an error naming the link. ``kinds=`` keeps only some kinds (e.g. referral only).

Metrics (:func:`analyse` computes them all)
    * ``degree``: the number of partner organisations; ``weighted_degree``: the sum of edge weights.
    * ``betweenness`` (:func:`betweenness`): normalised shortest-path betweenness over *hops* (the
      strength of a link is not a distance, so it is not used), exactly networkx's
      ``betweenness_centrality(G, k, normalized=True, endpoints=False, seed=seed)``, computed by Brandes'
      algorithm in *batches of sources* with sparse-matrix products (one product per BFS level for a
      whole batch instead of one Python BFS per source). **Above** :data:`SAMPLE_ABOVE` (2,000)
      **organisations it is sampled**: ``k =`` :data:`SAMPLE_K` (500) source organisations drawn with
      ``random.Random(seed).sample`` (the same draw networkx makes, so the numbers equal networkx's
      for the same seed), rescaled as networkx 3.6 does (the sum over the ``k`` sources divided by
      ``k (n − 2)``, or by ``(k − 1)(n − 2)`` for a node that is itself a source);
      ``NetworkResult.betweenness_k`` says which (``None`` = exact). A graph whose BFS depth exceeds ``max_levels`` (a long chain) falls back to
      networkx's own loop, which is faster there.
    * ``components``: connected components, largest first; ``component[i]`` is the index of node ``i``'s
      component; ``isolated``: organisations without any link.
    * ``bridging`` (:func:`cut_points`): *articulation points*, organisations whose removal increases the
      number of components. For each: ``components_after``, the number of pieces its own component
      falls into without it (so the network gains ``components_after - 1`` components), the ``sizes``
      of those pieces (largest first) and ``cut_off``, the organisations outside the largest piece.
      Sorted by ``cut_off``, then ``components_after``, then node order. One depth-first search finds
      them all with the sizes (Hopcroft–Tarjan low-points and DFS subtree sizes), rather than removing
      each organisation and recounting.
    * ``bridges``: links whose removal disconnects their component, with the sizes of the two sides
      (from the same search); sorted by the smaller side, largest first.
    * ``missing_type_pairs`` / ``missing_sector_pairs`` (:func:`missing_pairs`): pairs of *different*
      organisation types (sectors) present in the network with no link at all between an organisation
      of one and an organisation of the other, e.g. ``("health", "police")``. A link between ``u`` and
      ``v`` joins every sector of ``u`` with every sector of ``v``; an organisation working in two
      sectors does not link them by itself. ``type_links`` counts the links per type pair.
    * ``suggestions`` (:func:`suggest_links`): pairs of organisations that are not linked (by any kind)
      but serve at least one same area **and** at least one same sector, ranked by the Jaccard overlap of
      the (area, sector) cells they serve, ``|A₁∩A₂|·|S₁∩S₂| / (|A₁|·|S₁| + |A₂|·|S₂| − |A₁∩A₂|·|S₁∩S₂|)``,
      then by the number of shared cells, then node order; at most ``max_suggestions`` (default 50).
      Candidates come from a sparse product of the organisation × cell matrix, in blocks of rows, so
      organisations that share nothing are never paired.

Layout
    :func:`layout` gives every organisation a position in [0, 1]² for an SVG drawing. Each component is
    laid out on its own: with Kamada–Kawai up to ``small`` (100) organisations (deterministic: it starts
    from a circle), networkx's seeded spring layout (Fruchterman–Reingold) up to ``large`` (500), and
    above that our own seeded Fruchterman–Reingold with *random vertex sampling* (Gove, "Random vertex
    sampling", 2019: each node is pushed away from 256 sampled nodes per iteration rather than all of
    them; networkx's own spring layout takes about a minute for 5,000 nodes, this a few seconds).
    Stronger links pull closer in both spring layouts. The components
    are then packed in rows, largest first, each in a square whose area is proportional to its number of
    organisations, and the whole is scaled to the unit square keeping the aspect ratio. The same graph
    (same node order) and seed give the same positions.
"""

from __future__ import annotations

import math
import random
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

__all__ = [
    "LINK_KINDS",
    "SAMPLE_ABOVE",
    "SAMPLE_K",
    "Bridge",
    "BridgingOrganisation",
    "Link",
    "NetworkResult",
    "Organisation",
    "SuggestedLink",
    "analyse",
    "betweenness",
    "build_graph",
    "cut_points",
    "layout",
    "missing_pairs",
    "suggest_links",
]

LINK_KINDS = ("partnership", "referral", "funding", "coordination")
SAMPLE_ABOVE = 2000
SAMPLE_K = 500


@dataclass(frozen=True)
class Organisation:
    id: Hashable
    type: str
    sectors: tuple[str, ...] = ()
    areas: tuple[Hashable, ...] = ()


@dataclass(frozen=True)
class Link:
    source: Hashable
    target: Hashable
    kind: str = "partnership"
    strength: int = 1
    since: Any = None  # a date, a year, or None


@dataclass(frozen=True)
class BridgingOrganisation:
    id: Hashable
    components_after: int  # pieces its component falls into without it (≥ 2)
    sizes: tuple[int, ...]  # their sizes, largest first
    cut_off: int  # organisations outside the largest piece

    @property
    def added_components(self) -> int:
        return self.components_after - 1


@dataclass(frozen=True)
class Bridge:
    source: Hashable
    target: Hashable
    sizes: tuple[int, int]  # the two sides once the link is gone, larger first


@dataclass(frozen=True)
class SuggestedLink:
    source: Hashable
    target: Hashable
    jaccard: float
    shared_cells: int  # |shared areas| × |shared sectors|
    shared_areas: tuple[Hashable, ...]
    shared_sectors: tuple[str, ...]


@dataclass(frozen=True)
class NetworkResult:
    nodes: tuple[Hashable, ...]
    degree: np.ndarray = field(repr=False)
    weighted_degree: np.ndarray = field(repr=False)
    betweenness: np.ndarray = field(repr=False)
    betweenness_k: int | None  # sources sampled; None = exact
    seed: int
    component: np.ndarray = field(repr=False)  # component index per node (0 = largest)
    components: tuple[tuple[Hashable, ...], ...]
    isolated: tuple[Hashable, ...]
    bridging: tuple[BridgingOrganisation, ...]
    bridges: tuple[Bridge, ...]
    type_links: Mapping[tuple[str, str], int]
    missing_type_pairs: tuple[tuple[str, str], ...]
    missing_sector_pairs: tuple[tuple[str, str], ...]
    suggestions: tuple[SuggestedLink, ...]

    def index(self, node: Hashable) -> int:
        return self.nodes.index(node)


# ---------------------------------------------------------------------------------------------------
# graph
# ---------------------------------------------------------------------------------------------------


def _record(x: Any, cls: type, i: int, what: str) -> Any:
    if isinstance(x, cls):
        return x
    if isinstance(x, Mapping):
        names = cls.__dataclass_fields__
        try:
            return cls(**{k: x[k] for k in names if k in x})
        except TypeError as e:
            raise ValueError(f"network: {what} {i} is incomplete: {e}") from None
    raise TypeError(f"network: {what} {i} is a {type(x).__name__}; give a {cls.__name__} or a mapping")


def _as_tuple(v: Any) -> tuple:
    if v is None:
        return ()
    if isinstance(v, str | bytes):
        return (v,)
    return tuple(dict.fromkeys(v))  # unique, order kept


def build_graph(
    organisations: Iterable[Organisation | Mapping[str, Any]],
    links: Iterable[Link | Mapping[str, Any]],
    *,
    kinds: Iterable[str] | None = None,
) -> nx.Graph:
    """An undirected graph of organisations and their links (see the module docstring)."""
    G = nx.Graph()
    for i, o in enumerate(organisations):
        org = _record(o, Organisation, i, "organisation")
        if org.id in G:
            raise ValueError(f"network: organisation {org.id!r} is listed twice")
        G.add_node(org.id, type=str(org.type), sectors=_as_tuple(org.sectors), areas=_as_tuple(org.areas))
    keep = None if kinds is None else set(kinds)
    if keep is not None and not keep <= set(LINK_KINDS):
        raise ValueError(f"network: unknown link kinds {sorted(keep - set(LINK_KINDS))}; use {LINK_KINDS}")
    for i, x in enumerate(links):
        ln = _record(x, Link, i, "link")
        where = f"link {i} ({ln.source!r} → {ln.target!r})"
        if ln.kind not in LINK_KINDS:
            raise ValueError(f"network: {where} has kind {ln.kind!r}; use one of {LINK_KINDS}")
        if (
            isinstance(ln.strength, bool)
            or not isinstance(ln.strength, int | float)
            or not 1 <= ln.strength <= 5
        ):
            raise ValueError(f"network: {where} has strength {ln.strength!r}; give a number from 1 to 5")
        for end in (ln.source, ln.target):
            if end not in G:
                raise ValueError(f"network: {where} names organisation {end!r}, which is not in the list")
        if ln.source == ln.target:
            raise ValueError(f"network: {where} links an organisation to itself")
        if keep is not None and ln.kind not in keep:
            continue
        e = G.get_edge_data(ln.source, ln.target)
        if e is None:
            G.add_edge(
                ln.source, ln.target, weight=float(ln.strength), kinds=(ln.kind,), links=1, since=ln.since
            )
        else:
            e["weight"] += float(ln.strength)
            e["kinds"] = tuple(sorted(set(e["kinds"]) | {ln.kind}))
            e["links"] += 1
            if ln.since is not None and (e["since"] is None or ln.since < e["since"]):
                e["since"] = ln.since
    return G


def _index(G: nx.Graph) -> tuple[list[Hashable], dict[Hashable, int]]:
    if G.is_directed() or G.is_multigraph():
        raise TypeError("network: give an undirected simple graph (nx.Graph), as build_graph makes")
    nodes = list(G.nodes())
    return nodes, {v: i for i, v in enumerate(nodes)}


def _adjacency(G: nx.Graph, pos: Mapping[Hashable, int]) -> sparse.csr_array:
    n = len(pos)
    m = G.number_of_edges()
    r = np.empty(m, dtype=np.int64)
    c = np.empty(m, dtype=np.int64)
    for q, (u, v) in enumerate(G.edges()):
        r[q] = pos[u]
        c[q] = pos[v]
    rows = np.concatenate([r, c])
    cols = np.concatenate([c, r])
    A = sparse.csr_array((np.ones(rows.size), (rows, cols)), shape=(n, n))
    A.sum_duplicates()
    return A


# ---------------------------------------------------------------------------------------------------
# betweenness
# ---------------------------------------------------------------------------------------------------


def _nx_scale(n: int, sources: Sequence[int] | None) -> np.ndarray | float:
    """networkx 3.6's ``_rescale`` for normalized=True, endpoints=False, undirected."""
    N = n - 1
    if N < 2:
        return 1.0
    if sources is None:
        return 1.0 / (N * (N - 1))
    k = len(sources)
    s_src = 1.0 / ((k - 1) * (N - 1)) if k > 1 else math.nan
    out = np.full(n, 1.0 / (k * (N - 1)))
    out[np.asarray(sources, dtype=np.int64)] = s_src
    return out


def betweenness(
    G: nx.Graph,
    k: int | None = None,
    seed: int = 0,
    *,
    max_levels: int = 64,
    batch_cells: int = 2_000_000,
) -> dict[Hashable, float]:
    """Normalised betweenness centrality over hops; ``k`` sampled sources (``None`` = all). See module doc.

    Equal to ``nx.betweenness_centrality(G, k=k, normalized=True, seed=seed)`` up to rounding.
    ``batch_cells`` bounds the size of the ``nodes × sources`` work arrays (about 5 of them, 8 bytes each).
    """
    nodes, pos = _index(G)
    n = len(nodes)
    if k is not None:
        if not 0 < k <= n:
            raise ValueError(f"network: betweenness sample k={k} must be between 1 and {n}")
        if k == n:
            k = None
    if k is None:
        src_all = np.arange(n)
        sampled = None
    else:
        src_all = np.array([pos[v] for v in random.Random(seed).sample(nodes, k)], dtype=np.int64)
        sampled = src_all
    bc = np.zeros(n)
    if n < 3 or G.number_of_edges() == 0:
        return dict.fromkeys(nodes, 0.0)
    A = _adjacency(G, pos)
    b = max(1, min(len(src_all), batch_cells // max(n, 1)))
    for start in range(0, len(src_all), b):
        src = src_all[start : start + b]
        dist = csgraph.shortest_path(A, method="D", directed=False, unweighted=True, indices=src)
        finite = np.isfinite(dist)
        levels = int(dist[finite].max()) if finite.any() else 0
        if levels > max_levels:
            return nx.betweenness_centrality(G, k=k, normalized=True, seed=seed)
        depth = np.where(finite, dist, -1).astype(np.int32).T.copy()  # n × b
        cols = np.arange(src.size)
        sigma = np.zeros((n, src.size))
        sigma[src, cols] = 1.0
        for d in range(1, levels + 1):
            Y = A @ np.where(depth == d - 1, sigma, 0.0)
            at = depth == d
            sigma[at] = Y[at]
        delta = np.zeros((n, src.size))
        W = np.zeros((n, src.size))
        for d in range(levels, 0, -1):
            at = depth == d
            W.fill(0.0)
            W[at] = (1.0 + delta[at]) / sigma[at]
            Z = A @ W
            prev = depth == d - 1
            delta[prev] = sigma[prev] * Z[prev]
        delta[src, cols] = 0.0
        bc += delta.sum(axis=1)
    bc *= _nx_scale(n, sampled)
    return dict(zip(nodes, bc.tolist(), strict=True))


# ---------------------------------------------------------------------------------------------------
# articulation points and bridges
# ---------------------------------------------------------------------------------------------------


def _dfs_cuts(
    adj: list[list[int]],
) -> tuple[list[int], list[int], dict[int, list[int]], list[tuple[int, int, int, int]]]:
    """One iterative DFS: component root per node, component sizes per root, the pieces each node's
    removal leaves (subtree sizes, without the part that still holds the root), and the bridges as
    ``(parent, child, child subtree size, root)``."""
    n = len(adj)
    disc = [-1] * n
    low = [0] * n
    size = [1] * n
    parent = [-1] * n
    root_of = [-1] * n
    pieces: dict[int, list[int]] = {}
    bridges: list[tuple[int, int, int, int]] = []
    comp_size = [0] * n
    t = 0
    for root in range(n):
        if disc[root] != -1:
            continue
        disc[root] = low[root] = t
        t += 1
        root_of[root] = root
        stack = [(root, iter(adj[root]))]
        while stack:
            v, it = stack[-1]
            pushed = False
            for w in it:
                if disc[w] == -1:
                    parent[w] = v
                    root_of[w] = root
                    disc[w] = low[w] = t
                    t += 1
                    stack.append((w, iter(adj[w])))
                    pushed = True
                    break
                if w != parent[v] and disc[w] < low[v]:
                    low[v] = disc[w]
            if pushed:
                continue
            stack.pop()
            if stack:
                p = stack[-1][0]
                if low[v] < low[p]:
                    low[p] = low[v]
                size[p] += size[v]
                if low[v] >= disc[p]:
                    pieces.setdefault(p, []).append(size[v])
                    if low[v] > disc[p]:
                        bridges.append((p, v, size[v], root))
        comp_size[root] = size[root]
    return root_of, comp_size, pieces, bridges


def _adj_lists(G: nx.Graph, pos: Mapping[Hashable, int]) -> list[list[int]]:
    return [[pos[w] for w in G.adj[v]] for v in G.nodes()]


def cut_points(G: nx.Graph) -> tuple[tuple[BridgingOrganisation, ...], tuple[Bridge, ...]]:
    """Bridging organisations (articulation points, with what their removal leaves) and bridges."""
    nodes, pos = _index(G)
    return _cuts(nodes, _adj_lists(G, pos))[2:]


def _cuts(
    nodes: Sequence[Hashable], adj: list[list[int]]
) -> tuple[list[int], list[int], tuple[BridgingOrganisation, ...], tuple[Bridge, ...]]:
    root_of, comp_size, pieces, raw_bridges = _dfs_cuts(adj)
    out = []
    for v, pcs in pieces.items():
        root = root_of[v]
        sizes = list(pcs)
        if v != root:
            sizes.append(comp_size[root] - 1 - sum(pcs))
        if len(sizes) < 2:
            continue
        sizes.sort(reverse=True)
        out.append((v, BridgingOrganisation(nodes[v], len(sizes), tuple(sizes), sum(sizes[1:]))))
    out.sort(key=lambda t: (-t[1].cut_off, -t[1].components_after, t[0]))
    br = []
    for p, c, s, root in raw_bridges:
        big, small = max(s, comp_size[root] - s), min(s, comp_size[root] - s)
        br.append((small, min(p, c), max(p, c), Bridge(nodes[p], nodes[c], (big, small))))
    br.sort(key=lambda t: (-t[0], t[1], t[2]))
    return root_of, comp_size, tuple(b for _, b in out), tuple(b[3] for b in br)


# ---------------------------------------------------------------------------------------------------
# missing pairs and suggested links
# ---------------------------------------------------------------------------------------------------


def missing_pairs(G: nx.Graph, attribute: str = "type") -> tuple[tuple[tuple[str, str], ...], dict]:
    """Pairs of different ``type`` (or ``sectors``) values with no link between them, and the link count
    of every linked pair (sorted pairs, sorted lists)."""
    if attribute not in ("type", "sectors"):
        raise ValueError(f"network: missing_pairs compares 'type' or 'sectors', not {attribute!r}")

    def values(v: Hashable) -> tuple:
        x = G.nodes[v].get(attribute)
        return (x,) if attribute == "type" else tuple(x or ())

    vals = {v: values(v) for v in G.nodes}
    present = sorted({x for xs in vals.values() for x in xs}, key=str)
    code = {x: q for q, x in enumerate(present)}
    codes = {v: [code[x] for x in xs] for v, xs in vals.items()}
    counts: dict[tuple[int, int], int] = {}
    for u, v in G.edges():
        seen = {(a, b) if a < b else (b, a) for a in codes[u] for b in codes[v] if a != b}
        for pr in seen:
            counts[pr] = counts.get(pr, 0) + 1
    k = len(present)
    missing = tuple(
        (present[i], present[j]) for i in range(k) for j in range(i + 1, k) if (i, j) not in counts
    )
    return missing, {(present[i], present[j]): c for (i, j), c in sorted(counts.items())}


def suggest_links(G: nx.Graph, limit: int = 50, *, block: int = 512) -> tuple[SuggestedLink, ...]:
    """Unlinked pairs sharing an area and a sector, by Jaccard overlap of (area, sector) cells."""
    nodes, pos = _index(G)
    n = len(nodes)
    if limit <= 0 or n < 2:
        return ()
    cell_id: dict[tuple[Any, Any], int] = {}
    rows, cols = [], []
    for i, v in enumerate(nodes):
        d = G.nodes[v]
        for a in d.get("areas", ()):
            for s in d.get("sectors", ()):
                c = cell_id.setdefault((a, s), len(cell_id))
                rows.append(i)
                cols.append(c)
    if not cell_id:
        return ()
    M = sparse.csr_array(
        (np.ones(len(rows), dtype=np.int64), (np.array(rows), np.array(cols))), shape=(n, len(cell_id))
    )
    M.data[:] = 1  # duplicates summed by the constructor: back to 0/1
    ncell = np.asarray(M.sum(axis=1)).ravel()
    MT = M.T.tocsc()
    linked = np.array(
        sorted(min(pos[u], pos[v]) * n + max(pos[u], pos[v]) for u, v in G.edges()), dtype=np.int64
    )
    best_i = np.empty(0, dtype=np.int64)
    best_j = np.empty(0, dtype=np.int64)
    best_x = np.empty(0, dtype=np.int64)
    best_jac = np.empty(0)
    for r0 in range(0, n, block):
        P = (M[r0 : r0 + block] @ MT).tocoo()
        i = P.row.astype(np.int64) + r0
        j = P.col.astype(np.int64)
        x = P.data.astype(np.int64)
        keep = j > i
        i, j, x = i[keep], j[keep], x[keep]
        if linked.size:
            keep = ~np.isin(i * n + j, linked)
            i, j, x = i[keep], j[keep], x[keep]
        jac = x / (ncell[i] + ncell[j] - x)
        i = np.concatenate([best_i, i])
        j = np.concatenate([best_j, j])
        x = np.concatenate([best_x, x])
        jac = np.concatenate([best_jac, jac])
        order = np.lexsort((j, i, -x, -jac))[:limit]
        best_i, best_j, best_x, best_jac = i[order], j[order], x[order], jac[order]
    out = []
    for i, j, x, jac in zip(
        best_i.tolist(), best_j.tolist(), best_x.tolist(), best_jac.tolist(), strict=True
    ):
        du, dv = G.nodes[nodes[i]], G.nodes[nodes[j]]
        areas = tuple(a for a in du.get("areas", ()) if a in set(dv.get("areas", ())))
        sectors = tuple(s for s in du.get("sectors", ()) if s in set(dv.get("sectors", ())))
        out.append(SuggestedLink(nodes[i], nodes[j], float(jac), int(x), areas, sectors))
    return tuple(out)


# ---------------------------------------------------------------------------------------------------
# everything
# ---------------------------------------------------------------------------------------------------


def analyse(
    G: nx.Graph,
    *,
    betweenness_k: int | None | str = "auto",
    seed: int = 0,
    max_suggestions: int = 50,
) -> NetworkResult:
    """All the metrics of the module docstring. ``betweenness_k="auto"`` samples :data:`SAMPLE_K` sources
    above :data:`SAMPLE_ABOVE` organisations and is exact below; an int samples that many; ``None`` is exact."""
    nodes, pos = _index(G)
    n = len(nodes)
    if betweenness_k == "auto":
        k = SAMPLE_K if n > SAMPLE_ABOVE else None
    elif betweenness_k is None or isinstance(betweenness_k, int):
        k = betweenness_k if betweenness_k is None or betweenness_k < n else None
    else:
        raise ValueError(f"network: betweenness_k must be 'auto', an int or None, not {betweenness_k!r}")
    degree = np.array([G.degree(v) for v in nodes], dtype=np.int64)
    wdeg = np.array([G.degree(v, weight="weight") for v in nodes], dtype=float)
    bc_map = betweenness(G, k=k, seed=seed)
    bc = np.array([bc_map[v] for v in nodes], dtype=float)

    root_of, comp_size, bridging, bridges = _cuts(nodes, _adj_lists(G, pos))
    roots = sorted({r for r in root_of}, key=lambda r: (-comp_size[r], r))
    comp_index = {r: q for q, r in enumerate(roots)}
    component = np.array([comp_index[r] for r in root_of], dtype=np.int64)
    members: list[list[Hashable]] = [[] for _ in roots]
    for i, v in enumerate(nodes):
        members[component[i]].append(v)
    missing_types, type_links = missing_pairs(G, "type")
    missing_sectors, _ = missing_pairs(G, "sectors")
    for arr in (degree, wdeg, bc, component):
        arr.setflags(write=False)
    return NetworkResult(
        nodes=tuple(nodes),
        degree=degree,
        weighted_degree=wdeg,
        betweenness=bc,
        betweenness_k=k,
        seed=seed,
        component=component,
        components=tuple(tuple(m) for m in members),
        isolated=tuple(v for i, v in enumerate(nodes) if degree[i] == 0),
        bridging=bridging,
        bridges=bridges,
        type_links=type_links,
        missing_type_pairs=missing_types,
        missing_sector_pairs=missing_sectors,
        suggestions=suggest_links(G, max_suggestions),
    )


# ---------------------------------------------------------------------------------------------------
# layout
# ---------------------------------------------------------------------------------------------------


def _unit_box(P: np.ndarray) -> np.ndarray:
    """Fit points into [0, 1]² keeping the aspect ratio, centred."""
    if len(P) == 1:
        return np.array([[0.5, 0.5]])
    lo = P.min(axis=0)
    span = (P.max(axis=0) - lo).max()
    if span <= 0:
        return np.full_like(P, 0.5)
    Q = (P - lo) / span
    return Q + (1.0 - Q.max(axis=0)) / 2


def _spring_sampled(
    G: nx.Graph, nodes: Sequence[Hashable], seed: int, iterations: int = 100, sample: int = 256
) -> np.ndarray:
    """Fruchterman–Reingold with random vertex sampling (Gove 2019): each iteration every node is pushed
    away from ``sample`` randomly drawn nodes (force × n / sample) instead of all ``n``; attraction along
    every edge, proportional to its weight; linear cooling. O(n · sample) per iteration."""
    n = len(nodes)
    A = nx.to_scipy_sparse_array(G, nodelist=list(nodes), weight="weight", format="coo")
    i, j, w = A.row, A.col, A.data.astype(float)
    rng = np.random.default_rng(seed)
    P = rng.random((n, 2))
    k = 1.0 / math.sqrt(n)
    m = min(sample, n)
    push = (n / m) * k * k
    t = 0.1
    dt = t / (iterations + 1)
    for _ in range(iterations):
        S = P[rng.choice(n, m, replace=False)]
        d = P[:, None, :] - S[None, :, :]
        d2 = np.maximum(np.einsum("ijk,ijk->ij", d, d), 1e-9)
        disp = np.einsum("ijk,ij->ik", d, push / d2)
        de = P[i] - P[j]
        f = w * np.sqrt(np.einsum("ij,ij->i", de, de)) / k
        disp[:, 0] -= np.bincount(i, de[:, 0] * f, n)
        disp[:, 1] -= np.bincount(i, de[:, 1] * f, n)
        L = np.maximum(np.sqrt(np.einsum("ij,ij->i", disp, disp)), 1e-12)
        P += disp * (np.minimum(L, t) / L)[:, None]
        t -= dt
    return P


def layout(
    G: nx.Graph, seed: int = 0, *, small: int = 100, large: int = 500
) -> dict[Hashable, tuple[float, float]]:
    """Deterministic positions in [0, 1]² (see the module docstring)."""
    nodes, pos = _index(G)
    if not nodes:
        return {}
    comps = [sorted(c, key=pos.__getitem__) for c in nx.connected_components(G)]
    comps.sort(key=lambda c: (-len(c), pos[c[0]]))
    boxes = []
    for c in comps:
        if len(c) == 1:
            P = np.array([[0.5, 0.5]])
        else:
            sub = G.subgraph(c)
            if len(c) <= small:
                p = nx.kamada_kawai_layout(sub, weight=None)
                P = np.array([p[v] for v in c], dtype=float)
            elif len(c) <= large:
                p = nx.spring_layout(sub, seed=seed, weight="weight", method="force")
                P = np.array([p[v] for v in c], dtype=float)
            else:
                P = _spring_sampled(sub, c, seed)
            P = _unit_box(P)
        boxes.append((c, P, math.sqrt(len(c))))
    # shelf packing: rows of squares of side √size, with a gap of a quarter of the smallest square
    pad = 0.25
    width = max(boxes[0][2], math.sqrt(sum((s + pad) ** 2 for _, _, s in boxes)))
    x = y = row_h = 0.0
    placed = []
    for c, P, s in boxes:
        if x > 0 and x + s > width:
            x, y, row_h = 0.0, y + row_h + pad, 0.0
        placed.append((c, P * s + [x, y]))
        x += s + pad
        row_h = max(row_h, s)
    allP = np.vstack([P for _, P in placed])
    total = _unit_box(allP)
    out: dict[Hashable, tuple[float, float]] = {}
    q = 0
    for c, _ in placed:
        for v in c:
            px, py = np.clip(total[q], 0.0, 1.0)
            out[v] = (float(px), float(py))
            q += 1
    return {v: out[v] for v in nodes}
