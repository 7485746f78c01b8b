"""Hotspots: spatial weights, local Getis–Ord G / G*, local Moran's I, permutation inference, FDR.

Pure computation (numpy, scipy, shapely); no Django. Functions take arrays and shapely geometries and
return small frozen result objects whose attribute names follow PySAL (libpysal / esda), so a reader who
knows esda can check the numbers.

Spatial weights
    :class:`SpatialWeights` wraps an ``n × n`` :class:`scipy.sparse.csr_array` (row ``i`` holds the
    weights of area ``i``'s neighbours), the transform applied to it (``"o"`` original, ``"b"`` binary,
    ``"r"`` row-standardised) and the untransformed weights, so it can be re-transformed. Areas without
    a neighbour are reported in ``islands``.

    * :func:`contiguity_weights` (and :func:`queen_weights`, :func:`rook_weights`): polygons are
      neighbours under *queen* contiguity when they share at least one boundary point and under *rook*
      contiguity when they share at least one boundary edge. Two methods:

      - ``method="vertex"`` (default) does what libpysal's ``Queen``/``Rook`` do: queen neighbours share
        an identical vertex coordinate, rook neighbours share an identical edge (the same two
        consecutive vertices, in either direction), over all rings (holes included) of all parts. It is
        exact and fast but needs a clean tessellation whose neighbours were digitised with common
        vertices. (Unlike libpysal it never joins the last vertex of one ring to the first of the next.)
      - ``method="strtree"`` is geometric and works when vertices do not coincide (a vertex of one
        polygon lying in the middle of its neighbour's edge, a "T-junction"): an STRtree finds the
        candidate pairs; queen neighbours *intersect* (with ``tolerance > 0``: lie within
        ``tolerance`` of each other, which also bridges slivers and small gaps); rook neighbours also
        share a boundary of positive length (with ``tolerance > 0``: the part of one boundary within
        ``tolerance`` of the other is longer than ``min_shared_length``, by default ``4 * tolerance``,
        so that a corner touching inside the tolerance does not count as an edge). Overlapping
        polygons count as neighbours under both criteria.

    * :func:`distance_band_weights`: centroids (or given points) within ``threshold`` of each other,
      binary or inverse distance ``d ** alpha``.
    * :func:`knn_weights`: the ``k`` nearest centroids (not symmetric in general).

Local statistics
    :func:`local_g` computes Getis–Ord Gi (``star=False``) and Gi* (``star=True``: the area itself is
    included with weight 1 before the transform, as esda's ``G_Local(star=True)`` does for binary
    weights); :func:`local_moran` computes local Moran's I. The analytic moments are computed with
    exactly esda's formulas (``Gs, EGs, VGs, Zs, p_norm``; ``Is, EI, VI, EIc, VIc``), which the tests
    check against esda to 1e-9.

    Inference by conditional permutation follows esda: for area ``i`` its own value is held fixed and
    its neighbours' values are drawn at random, without replacement, from the other ``n - 1`` areas;
    each of ``permutations`` (default 999) draws is shared by all areas, as in esda. The pseudo
    p-value is esda's default ("directed", a folded one-sided test): with ``larger`` the number of
    simulated statistics ``>=`` the observed one, ``p_sim = (min(larger, P - larger) + 1) / (P + 1)``.
    The generator is a seeded :class:`numpy.random.Generator`, so results are reproducible but not the
    same random numbers as esda (which uses numba's legacy generator). Simulated values within a
    relative 1e-10 of the observed value count as ties (``>=``), so rounding in a different summation
    order cannot flip a tie. Islands get ``nan`` p-values (esda reports them as highly significant).

    Vectorisation: one draw of ``kmax + 1`` distinct areas (``kmax`` the largest number of
    neighbours) serves every area ``i``: its neighbours are the first ``card(i)`` drawn areas,
    except that if ``i`` itself is among them it is replaced by the ``card(i) + 1``-th. That is an
    exactly uniform draw from the other ``n - 1`` areas, and it makes all ``n × P`` simulated spatial
    lags one dense matrix product plus a few corrections.

Significance
    :func:`fdr_bh` gives Benjamini–Hochberg adjusted p-values (q-values); :func:`classify` turns
    z-scores and two-sided p-values into hot/cold spots at 90/95/99 % confidence, by default after
    the FDR correction (ArcGIS "Hot Spot Analysis" bins: 3..1 hot, 0 not significant, -1..-3 cold).

Rates
    :func:`rates` turns counts into rates per ``per`` people (default 1,000).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import shapely
from scipy import sparse
from scipy.spatial import cKDTree
from scipy.special import ndtr

__all__ = [
    "HotspotClasses",
    "LocalG",
    "LocalMoran",
    "SpatialWeights",
    "classify",
    "contiguity_weights",
    "distance_band_weights",
    "fdr_bh",
    "knn_weights",
    "local_g",
    "local_moran",
    "queen_weights",
    "rates",
    "rook_weights",
]

PERMUTATIONS = 999
_TRANSFORMS = ("o", "b", "r")
_ALTERNATIVES = ("directed", "greater", "lesser", "folded", "two-sided")
_TIE_RTOL = 1e-10


# ---------------------------------------------------------------------------------------------------
# Spatial weights
# ---------------------------------------------------------------------------------------------------


def _transform_matrix(original: sparse.csr_array, transform: str) -> sparse.csr_array:
    if transform == "o":
        return original.copy()
    if transform == "b":
        out = original.copy()
        out.data = np.ones_like(out.data)
        return out
    # "r": each row sums to one; rows without weight (islands) stay empty
    row_sums = np.asarray(original.sum(axis=1)).ravel()
    scale = np.divide(1.0, row_sums, out=np.zeros_like(row_sums), where=row_sums != 0)
    out = original.copy()
    out.data = out.data * np.repeat(scale, np.diff(out.indptr))
    return out


def _clean_csr(matrix, n: int) -> sparse.csr_array:
    m = sparse.csr_array(matrix, shape=(n, n), dtype=np.float64)
    m.sum_duplicates()
    m.eliminate_zeros()
    m.sort_indices()
    return m


@dataclasses.dataclass(frozen=True, eq=False)
class SpatialWeights:
    """Spatial weights: ``matrix`` (CSR, ``n × n``) after ``transform``; ``original`` before it.

    ``kind`` says how the weights were built (``"queen"``, ``"rook"``, ``"distance_band"``, ``"knn"``,
    ``"custom"``). Use :meth:`from_matrix` to wrap a matrix of your own.
    """

    matrix: sparse.csr_array
    original: sparse.csr_array
    transform: str = "o"
    kind: str = "custom"

    @classmethod
    def from_matrix(cls, matrix, transform: str = "o", kind: str = "custom") -> SpatialWeights:
        """Weights from any square (sparse or dense) matrix of original weights."""
        shape = matrix.shape
        if len(shape) != 2 or shape[0] != shape[1]:
            raise ValueError(f"weights matrix must be square, got shape {shape}")
        original = _clean_csr(matrix, shape[0])
        if original.data.size and (not np.isfinite(original.data).all() or (original.data < 0).any()):
            raise ValueError("weights must be finite and non-negative")
        return cls(original, original, "o", kind).transformed(transform)

    @classmethod
    def from_pairs(cls, n: int, i, j, weights=None, kind: str = "custom", symmetric: bool = True):
        """Weights from index pairs ``(i, j)`` (and optional weights); symmetrised if asked."""
        i = np.asarray(i, dtype=np.int64)
        j = np.asarray(j, dtype=np.int64)
        w = np.ones(i.shape, dtype=np.float64) if weights is None else np.asarray(weights, dtype=np.float64)
        keep = i != j
        i, j, w = i[keep], j[keep], w[keep]
        if symmetric:
            i, j, w = np.concatenate([i, j]), np.concatenate([j, i]), np.concatenate([w, w])
        # drop duplicate pairs (keep one) instead of summing them
        key = i * n + j
        _, first = np.unique(key, return_index=True)
        m = sparse.coo_array((w[first], (i[first], j[first])), shape=(n, n))
        original = _clean_csr(m, n)
        return cls(original, original, "o", kind)

    # --- properties -------------------------------------------------------------------------------
    @property
    def n(self) -> int:
        return self.matrix.shape[0]

    @property
    def cardinalities(self) -> np.ndarray:
        """Number of neighbours of each area (the area itself not counted)."""
        m = self.original
        rows = np.repeat(np.arange(self.n), np.diff(m.indptr))
        off = rows != m.indices
        return np.bincount(rows[off], minlength=self.n)

    @property
    def islands(self) -> tuple[int, ...]:
        """Positions of areas without any neighbour."""
        return tuple(int(i) for i in np.flatnonzero(self.cardinalities == 0))

    @property
    def has_self_weights(self) -> bool:
        return bool(np.any(self.original.diagonal() != 0))

    def neighbors(self, i: int) -> np.ndarray:
        """Positions of area ``i``'s neighbours (sorted, self excluded)."""
        m = self.original
        cols = m.indices[m.indptr[i] : m.indptr[i + 1]]
        return cols[cols != i]

    def neighbor_dict(self) -> dict[int, list[int]]:
        return {i: [int(c) for c in self.neighbors(i)] for i in range(self.n)}

    # --- derived weights --------------------------------------------------------------------------
    def transformed(self, transform: str) -> SpatialWeights:
        """The same weights with ``transform`` ``"o"`` (original), ``"b"`` (binary) or ``"r"`` (rows sum to 1)."""
        t = transform.lower()
        if t not in _TRANSFORMS:
            raise ValueError(f"transform must be one of {_TRANSFORMS}, got {transform!r}")
        return dataclasses.replace(self, matrix=_transform_matrix(self.original, t), transform=t)

    def with_self_weight(self, value: float = 1.0) -> SpatialWeights:
        """Original weights with every diagonal entry set to ``value`` (0 removes self weights)."""
        m = self.original.tocoo()
        off = m.row != m.col
        rows, cols, data = m.row[off], m.col[off], m.data[off]
        if value:
            diag = np.arange(self.n)
            rows, cols = np.concatenate([rows, diag]), np.concatenate([cols, diag])
            data = np.concatenate([data, np.full(self.n, float(value))])
        original = _clean_csr(sparse.coo_array((data, (rows, cols)), shape=(self.n, self.n)), self.n)
        return dataclasses.replace(self, original=original).transformed(self.transform)

    def without_self_weight(self) -> SpatialWeights:
        return self.with_self_weight(0.0)


def _as_geometry_array(geoms) -> np.ndarray:
    arr = np.asarray(geoms, dtype=object)
    if arr.ndim != 1:
        raise ValueError("geometries must be a 1-D sequence of shapely geometries")
    if not all(isinstance(g, shapely.Geometry) for g in arr):
        raise TypeError("every geometry must be a shapely geometry")
    if arr.size and shapely.is_empty(arr).any():
        bad = int(np.flatnonzero(shapely.is_empty(arr))[0])
        raise ValueError(f"geometry at position {bad} is empty")
    return arr


def _pairs_sharing_keys(keys: np.ndarray, owners: np.ndarray, n_owners: int):
    """All pairs of distinct owners that share a key (a vertex or an edge id)."""
    if keys.size == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    combo = np.unique(keys.astype(np.int64) * n_owners + owners.astype(np.int64))
    k = combo // n_owners
    o = combo % n_owners
    _, counts = np.unique(k, return_counts=True)
    max_run = int(counts.max())
    left, right = [], []
    for d in range(1, max_run):
        same = k[:-d] == k[d:]
        left.append(o[:-d][same])
        right.append(o[d:][same])
    if not left:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return np.concatenate(left), np.concatenate(right)


def _vertex_contiguity_pairs(geoms: np.ndarray, criterion: str):
    parts, part_owner = shapely.get_parts(geoms, return_index=True)
    polys = shapely.get_type_id(parts) == shapely.GeometryType.POLYGON.value
    if not polys.all():
        raise ValueError("contiguity weights need Polygon or MultiPolygon geometries")
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    ring_owner = part_owner[ring_part]
    coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
    coords = coords + 0.0  # -0.0 and 0.0 are the same point
    _, cid = np.unique(coords, axis=0, return_inverse=True)
    cid = cid.ravel().astype(np.int64)
    n = len(geoms)
    if criterion == "queen":
        return _pairs_sharing_keys(cid, ring_owner[coord_ring], n)
    same_ring = coord_ring[:-1] == coord_ring[1:]
    a, b = cid[:-1][same_ring], cid[1:][same_ring]
    edge_owner = ring_owner[coord_ring[:-1][same_ring]]
    proper = a != b  # repeated vertices make zero-length edges
    a, b, edge_owner = a[proper], b[proper], edge_owner[proper]
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    _, edge_id = np.unique(lo * (int(cid.max()) + 1) + hi, return_inverse=True)
    return _pairs_sharing_keys(edge_id.ravel(), edge_owner, n)


def _strtree_contiguity_pairs(geoms: np.ndarray, criterion: str, tolerance: float, min_shared_length):
    tree = shapely.STRtree(geoms)
    if tolerance > 0:
        i, j = tree.query(geoms, predicate="dwithin", distance=tolerance)
    else:
        i, j = tree.query(geoms, predicate="intersects")
    keep = i < j
    i, j = i[keep], j[keep]
    if criterion == "rook" and i.size:
        bi = shapely.boundary(geoms[i])
        bj = shapely.boundary(geoms[j])
        if tolerance > 0:
            shared = shapely.intersection(bi, shapely.buffer(bj, tolerance))
            limit = 4.0 * tolerance if min_shared_length is None else float(min_shared_length)
        else:
            shared = shapely.intersection(bi, bj)
            limit = 0.0 if min_shared_length is None else float(min_shared_length)
        edge = shapely.length(shared) > limit
        i, j = i[edge], j[edge]
    return i, j


def contiguity_weights(
    geoms: Sequence[shapely.Geometry],
    criterion: str = "queen",
    *,
    method: str = "vertex",
    tolerance: float = 0.0,
    min_shared_length: float | None = None,
    transform: str = "o",
) -> SpatialWeights:
    """Queen or rook contiguity weights between polygons (binary; see the module doc for methods)."""
    criterion = criterion.lower()
    if criterion not in ("queen", "rook"):
        raise ValueError(f"criterion must be 'queen' or 'rook', got {criterion!r}")
    arr = _as_geometry_array(geoms)
    n = len(arr)
    if method == "vertex":
        if tolerance:
            raise ValueError("tolerance applies to method='strtree' only")
        i, j = _vertex_contiguity_pairs(arr, criterion)
    elif method == "strtree":
        if tolerance < 0:
            raise ValueError("tolerance must be >= 0")
        i, j = _strtree_contiguity_pairs(arr, criterion, float(tolerance), min_shared_length)
    else:
        raise ValueError(f"method must be 'vertex' or 'strtree', got {method!r}")
    return SpatialWeights.from_pairs(n, i, j, kind=criterion).transformed(transform)


def queen_weights(geoms, **kwargs) -> SpatialWeights:
    """Queen contiguity (a shared boundary point). Keywords as :func:`contiguity_weights`."""
    return contiguity_weights(geoms, "queen", **kwargs)


def rook_weights(geoms, **kwargs) -> SpatialWeights:
    """Rook contiguity (a shared boundary edge). Keywords as :func:`contiguity_weights`."""
    return contiguity_weights(geoms, "rook", **kwargs)


def _points(geoms_or_points) -> np.ndarray:
    if isinstance(geoms_or_points, np.ndarray) and geoms_or_points.dtype != object:
        pts = np.asarray(geoms_or_points, dtype=np.float64)
    else:
        seq = list(geoms_or_points)
        if seq and isinstance(seq[0], shapely.Geometry):
            arr = _as_geometry_array(seq)
            pts = shapely.get_coordinates(shapely.centroid(arr))
        else:
            pts = np.asarray(seq, dtype=np.float64)
    if pts.ndim != 2 or pts.shape[1] != 2:
        raise ValueError(f"points must have shape (n, 2), got {pts.shape}")
    if not np.isfinite(pts).all():
        raise ValueError("points must be finite")
    return pts


def distance_band_weights(
    geoms_or_points,
    threshold: float,
    *,
    binary: bool = True,
    alpha: float = -1.0,
    transform: str = "o",
) -> SpatialWeights:
    """Neighbours within ``threshold`` (Euclidean, between centroids or given ``(n, 2)`` points).

    ``binary=False`` gives inverse-distance weights ``d ** alpha`` (``alpha=-1`` by default), as
    libpysal's ``DistanceBand``. Coincident points are neighbours (binary) or an error (inverse).
    """
    if not threshold > 0:
        raise ValueError("threshold must be > 0")
    pts = _points(geoms_or_points)
    n = len(pts)
    tree = cKDTree(pts)
    pairs = tree.sparse_distance_matrix(tree, max_distance=float(threshold), output_type="ndarray")
    i, j, d = pairs["i"], pairs["j"], pairs["v"]
    off = i != j
    i, j, d = i[off], j[off], d[off]
    if binary:
        w = np.ones_like(d)
    else:
        if alpha < 0 and (d == 0).any():
            raise ValueError("inverse-distance weights need distinct points (two points coincide)")
        w = d**alpha
    m = sparse.coo_array((w, (i, j)), shape=(n, n))
    original = _clean_csr(m, n)
    if binary:
        original.data[:] = 1.0
    return SpatialWeights(original, original, "o", "distance_band").transformed(transform)


def knn_weights(geoms_or_points, k: int, *, transform: str = "o") -> SpatialWeights:
    """Each area's ``k`` nearest neighbours (centroids); binary, generally not symmetric."""
    pts = _points(geoms_or_points)
    n = len(pts)
    if not 1 <= k < n:
        raise ValueError(f"k must be between 1 and n - 1 = {n - 1}, got {k}")
    tree = cKDTree(pts)
    m = min(n, k + 4)
    while True:
        dist, idx = tree.query(pts, k=m)
        # ties at the k-th distance are broken by position; make sure all tied points were seen
        if m == n or not (dist[:, -1] <= dist[:, k]).any():
            break
        m = min(n, 2 * m)
    rows_ = np.arange(n)[:, None]
    is_self = idx == rows_
    # order each row by (is not self, distance, position): self first, then nearest, lowest position
    order = np.lexsort((idx, dist, ~is_self), axis=1)
    idx = np.take_along_axis(idx, order, axis=1)
    is_self = np.take_along_axis(is_self, order, axis=1)
    # with duplicate points a site may be missing from its own list: then drop the last instead
    cols = np.where(is_self[:, :1], idx[:, 1 : k + 1], idx[:, :k])
    rows = np.repeat(np.arange(n), k)
    m = sparse.coo_array((np.ones(n * k), (rows, cols.ravel())), shape=(n, n))
    original = _clean_csr(m, n)
    return SpatialWeights(original, original, "o", "knn").transformed(transform)


# ---------------------------------------------------------------------------------------------------
# Conditional permutation engine
# ---------------------------------------------------------------------------------------------------


def _draw_without_replacement(n: int, m: int, permutations: int, rng: np.random.Generator) -> np.ndarray:
    """``permutations`` rows of ``m`` distinct integers from ``range(n)``, each row uniform."""
    if m == 0:
        return np.empty((permutations, 0), dtype=np.int64)
    if permutations * n <= 8_000_000:
        base = np.broadcast_to(np.arange(n, dtype=np.int64), (permutations, n))
        return rng.permuted(base, axis=1)[:, :m].copy()
    if 8 * m * m < n:
        # rejection: i.i.d. draws conditioned on being distinct are uniform over distinct tuples
        out = rng.integers(0, n, size=(permutations, m), dtype=np.int64)
        while True:
            s = np.sort(out, axis=1)
            dup = (s[:, 1:] == s[:, :-1]).any(axis=1)
            if not dup.any():
                return out
            out[dup] = rng.integers(0, n, size=(int(dup.sum()), m), dtype=np.int64)
    return np.stack([rng.choice(n, size=m, replace=False) for _ in range(permutations)]).astype(np.int64)


@dataclasses.dataclass(frozen=True, eq=False)
class _SimSummary:
    p_sim: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    sim: np.ndarray | None


def _p_from_sims(sims: np.ndarray, obs: np.ndarray, alternative: str) -> np.ndarray:
    P = sims.shape[1]
    scale = np.maximum(np.abs(obs), np.abs(sims).max(axis=1, initial=0.0))
    tol = (_TIE_RTOL * scale)[:, None]
    if alternative == "folded":
        mean = sims.mean(axis=1, keepdims=True)
        count = (np.abs(sims - mean) >= np.abs(obs[:, None] - mean) - tol).sum(axis=1)
    elif alternative == "lesser":
        count = (sims <= obs[:, None] + tol).sum(axis=1)
    elif alternative == "two-sided":
        # Ties count on both sides. esda's "directed" counts them on one side only, so an area at the
        # minimum of many equal values (say, zero reports among zeros) looks "significantly cold".
        ge = (sims >= obs[:, None] - tol).sum(axis=1)
        le = (sims <= obs[:, None] + tol).sum(axis=1)
        return np.minimum(1.0, 2.0 * (np.minimum(ge, le) + 1.0) / (P + 1.0))
    else:
        count = (sims >= obs[:, None] - tol).sum(axis=1)
        if alternative == "directed":
            count = np.minimum(count, P - count)
    return (count + 1.0) / (P + 1.0)


def _conditional_permutations(
    values: np.ndarray,
    weights: sparse.csr_array,
    observed: np.ndarray,
    stat_from_lag,
    permutations: int,
    seed,
    alternative: str,
    keep_simulations: bool,
) -> _SimSummary:
    """Simulate ``stat_from_lag(rows, lag)`` under conditional randomisation of ``values``.

    ``weights`` holds the off-diagonal weights only; ``lag[r, p]`` is the simulated spatial lag
    ``sum_j w_ij * values[draw_j]`` of area ``rows[r]`` in permutation ``p``.
    """
    if alternative not in _ALTERNATIVES:
        raise ValueError(f"alternative must be one of {_ALTERNATIVES}, got {alternative!r}")
    n = len(values)
    P = int(permutations)
    rng = np.random.default_rng(seed)
    card = np.diff(weights.indptr)
    kmax = int(card.max()) if n else 0
    draws = _draw_without_replacement(n, min(kmax + 1, n), P, rng)
    # padded (n, kmax) weights: slot k of row i is the weight of i's k-th neighbour
    rows_of = np.repeat(np.arange(n), card)
    slot_of = np.arange(weights.nnz) - np.repeat(weights.indptr[:-1], card)
    w_pad = np.zeros((n, kmax))
    w_pad[rows_of, slot_of] = weights.data
    drawn_values = values[draws]  # (P, kmax + 1)
    # corrections: where area i is itself among its first card(i) draws, use draw card(i) instead
    p_idx = np.repeat(np.arange(P), kmax)
    k_idx = np.tile(np.arange(kmax), P)
    site = draws[:, :kmax].ravel()
    hit = k_idx < card[site]
    p_idx, k_idx, site = p_idx[hit], k_idx[hit], site[hit]
    repl = drawn_values[p_idx, card[site]] - values[site]
    corr = w_pad[site, k_idx] * repl
    order = np.argsort(site, kind="stable")
    p_idx, site, corr = p_idx[order], site[order], corr[order]

    p_sim = np.full(n, np.nan)
    mean = np.full(n, np.nan)
    std = np.full(n, np.nan)
    sim = np.empty((n, P)) if keep_simulations else None
    chunk = max(1, 2_000_000 // max(P, 1))
    a_t = np.ascontiguousarray(drawn_values[:, :kmax].T)  # (kmax, P)
    for r0 in range(0, n, chunk):
        r1 = min(n, r0 + chunk)
        lag = w_pad[r0:r1] @ a_t if kmax else np.zeros((r1 - r0, P))
        lo, hi = np.searchsorted(site, [r0, r1])
        if hi > lo:
            lag[site[lo:hi] - r0, p_idx[lo:hi]] += corr[lo:hi]
        rows = np.arange(r0, r1)
        sims = stat_from_lag(rows, lag)
        live = card[r0:r1] > 0
        if keep_simulations:
            sim[r0:r1] = sims
        if live.any():
            s = sims[live]
            p_sim[r0:r1][live] = _p_from_sims(s, observed[r0:r1][live], alternative)
            mean[r0:r1][live] = s.mean(axis=1)
            std[r0:r1][live] = s.std(axis=1)
    return _SimSummary(p_sim, mean, std, sim)


def _split_self(w: sparse.csr_array):
    """(diagonal, off-diagonal CSR) of a weights matrix."""
    n = w.shape[0]
    diag = w.diagonal().astype(np.float64)
    m = w.tocoo()
    keep = m.row != m.col
    off = _clean_csr(sparse.coo_array((m.data[keep], (m.row[keep], m.col[keep])), shape=(n, n)), n)
    return diag, off


def _check_y(y, n: int) -> np.ndarray:
    arr = np.asarray(y, dtype=np.float64).ravel()
    if arr.shape[0] != n:
        raise ValueError(f"y has {arr.shape[0]} values but the weights have {n} areas")
    if not np.isfinite(arr).all():
        bad = int(np.flatnonzero(~np.isfinite(arr))[0])
        raise ValueError(f"y[{bad}] is not finite; impute or drop missing values first")
    return arr


# ---------------------------------------------------------------------------------------------------
# Getis–Ord local G and G*
# ---------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False)
class LocalG:
    """Local Getis–Ord statistics, named as in esda's ``G_Local``.

    ``Gs`` statistic; ``EGs``, ``VGs`` its expectation and variance under normality (esda's
    formulas); ``Zs`` z-score; ``p_norm`` one-sided normal p-value of ``|Zs|``. With permutations:
    ``p_sim`` pseudo p-value (``alternative``, esda's "directed" by default), ``EG_sim``, ``VG_sim``,
    ``seG_sim``, ``z_sim``, ``p_z_sim``; ``sim`` (``n × P``) only if ``keep_simulations``.
    """

    Gs: np.ndarray
    EGs: np.ndarray
    VGs: np.ndarray
    Zs: np.ndarray
    p_norm: np.ndarray
    star: bool
    transform: str
    permutations: int
    alternative: str
    p_sim: np.ndarray | None = None
    EG_sim: np.ndarray | None = None
    VG_sim: np.ndarray | None = None
    seG_sim: np.ndarray | None = None
    z_sim: np.ndarray | None = None
    p_z_sim: np.ndarray | None = None
    sim: np.ndarray | None = None

    @property
    def p_norm_two_sided(self) -> np.ndarray:
        return np.minimum(1.0, 2.0 * self.p_norm)

    @property
    def p_sim_two_sided(self) -> np.ndarray | None:
        if self.p_sim is None or self.alternative == "two-sided":
            return self.p_sim
        return np.minimum(1.0, 2.0 * self.p_sim)


def local_g(
    y,
    weights: SpatialWeights,
    *,
    star: bool = False,
    transform: str = "r",
    permutations: int = PERMUTATIONS,
    seed=None,
    alternative: str = "directed",
    keep_simulations: bool = False,
) -> LocalG:
    """Getis–Ord Gi (``star=False``) or Gi* (``star=True``) of non-negative ``y``.

    ``weights`` are taken untransformed (``weights.original``); for Gi* the area itself gets weight 1
    first, then ``transform`` (``"r"`` default, as esda, or ``"b"``) is applied.
    """
    t = transform.lower()
    if t not in ("r", "b"):
        raise ValueError("transform must be 'r' (row-standardised) or 'b' (binary)")
    n = weights.n
    y = _check_y(y, n)
    if (y < 0).any():
        bad = int(np.flatnonzero(y < 0)[0])
        raise ValueError(
            f"y[{bad}] = {y[bad]} is negative: Getis–Ord G needs non-negative values "
            "(counts, rates); use local_moran for variables that can be negative"
        )
    if y.sum() <= 0:
        raise ValueError("y is all zero: Getis–Ord G is undefined")
    w = weights.with_self_weight(1.0 if star else 0.0).transformed(t).matrix

    remove_self = not star
    N = n - remove_self
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = (w @ y) / (y.sum() - y * remove_self)
        empirical_mean = (y.sum() - y * remove_self) / N
        mean_of_squares = ((y**2).sum() - (y**2) * remove_self) / N
        empirical_variance = mean_of_squares - empirical_mean**2
        cardinality = np.asarray(w.sum(axis=1)).ravel()
        expected_value = cardinality / N
        expected_variance = cardinality * (N - cardinality)
        expected_variance /= N - 1
        expected_variance *= 1 / N**2
        expected_variance *= empirical_variance / (empirical_mean**2)
        z_scores = (statistic - expected_value) / np.sqrt(expected_variance)
    p_norm = ndtr(-np.abs(z_scores))

    extra = {}
    if permutations:
        self_w, off = _split_self(w)
        ysum = y.sum()
        if star:

            def stat_from_lag(rows, lag):
                return (lag + (self_w[rows] * y[rows])[:, None]) / ysum

        else:

            def stat_from_lag(rows, lag):
                return lag / (ysum - y[rows])[:, None]

        s = _conditional_permutations(
            y, off, statistic, stat_from_lag, permutations, seed, alternative, keep_simulations
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            z_sim = (statistic - s.mean) / s.std
        extra = dict(
            p_sim=s.p_sim,
            EG_sim=s.mean,
            VG_sim=s.std * s.std,
            seG_sim=s.std,
            z_sim=z_sim,
            p_z_sim=ndtr(-np.abs(z_sim)),
            sim=s.sim,
        )
    return LocalG(
        Gs=statistic,
        EGs=expected_value,
        VGs=expected_variance,
        Zs=z_scores,
        p_norm=p_norm,
        star=star,
        transform=t,
        permutations=int(permutations),
        alternative=alternative,
        **extra,
    )


# ---------------------------------------------------------------------------------------------------
# Local Moran's I
# ---------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False)
class LocalMoran:
    """Local Moran's I, named as in esda's ``Moran_Local``.

    ``Is`` statistic; ``q`` quadrant (PySAL scheme: 1 HH, 2 LH, 3 LL, 4 HL); ``EI``, ``VI`` moments
    under total randomisation and ``EIc``, ``VIc`` under conditional randomisation (Sokal et al. 1998,
    esda's formulas); ``Z_I = (Is - EI) / sqrt(VI)`` and ``Z_Ic`` likewise, ``p_norm`` the one-sided
    normal p-value of ``|Z_I|``. With permutations: ``p_sim``, ``EI_sim``, ``VI_sim``, ``seI_sim``,
    ``z_sim``, ``p_z_sim`` and ``sim`` if kept.
    """

    Is: np.ndarray
    q: np.ndarray
    z: np.ndarray
    EI: np.ndarray
    VI: np.ndarray
    EIc: np.ndarray
    VIc: np.ndarray
    Z_I: np.ndarray
    Z_Ic: np.ndarray
    p_norm: np.ndarray
    transform: str
    permutations: int
    alternative: str
    p_sim: np.ndarray | None = None
    EI_sim: np.ndarray | None = None
    VI_sim: np.ndarray | None = None
    seI_sim: np.ndarray | None = None
    z_sim: np.ndarray | None = None
    p_z_sim: np.ndarray | None = None
    sim: np.ndarray | None = None

    @property
    def p_sim_two_sided(self) -> np.ndarray | None:
        if self.p_sim is None or self.alternative == "two-sided":
            return self.p_sim
        return np.minimum(1.0, 2.0 * self.p_sim)


def local_moran(
    y,
    weights: SpatialWeights,
    *,
    transform: str = "r",
    permutations: int = PERMUTATIONS,
    seed=None,
    alternative: str = "directed",
    keep_simulations: bool = False,
) -> LocalMoran:
    """Local Moran's I of ``y`` with ``weights`` transformed by ``transform`` (``"r"`` default)."""
    w = weights.transformed(transform).matrix
    n = weights.n
    y = _check_y(y, n)
    if n < 3:
        raise ValueError("local Moran's I needs at least 3 areas")
    sy = y.std()
    if sy == 0:
        raise ValueError("y is constant: local Moran's I is undefined")
    z = y - y.mean()
    z /= sy
    den = (z * z).sum()
    lag = w @ z
    Is = (n - 1) * z * lag / den

    zp = z > 0
    lp = lag > 0
    q = 1 * (zp & lp) + 2 * (~zp & lp) + 3 * (~zp & ~lp) + 4 * (zp & ~lp)

    m2 = (z * z).sum() / n
    wi = np.asarray(w.sum(axis=1)).ravel()
    wi2 = np.asarray(w.multiply(w).sum(axis=1)).ravel()
    EIc = -(z**2 * wi) / ((n - 1) * m2)
    VIc = (z / m2) ** 2 * (n / (n - 2)) * (wi2 - (wi**2 / (n - 1))) * (m2 - (z**2 / (n - 1)))
    m4 = (z**4).sum() / n
    b2 = m4 / m2**2
    EI = -wi / (n - 1)
    n1 = n - 1
    VI = wi2 * (n - b2) / n1
    VI += (wi**2 - wi2) * (2 * b2 - n) / (n1 * (n - 2))
    VI -= (-wi / n1) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        Z_I = (Is - EI) / np.sqrt(VI)
        Z_Ic = (Is - EIc) / np.sqrt(VIc)

    extra = {}
    if permutations:
        self_w, off = _split_self(w)
        scaling = (n - 1) / den

        def stat_from_lag(rows, sim_lag):
            zi = z[rows][:, None]
            return zi * (sim_lag + self_w[rows][:, None] * zi) * scaling

        s = _conditional_permutations(
            z, off, Is, stat_from_lag, permutations, seed, alternative, keep_simulations
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            z_sim = (Is - s.mean) / s.std
        extra = dict(
            p_sim=s.p_sim,
            EI_sim=s.mean,
            VI_sim=s.std * s.std,
            seI_sim=s.std,
            z_sim=z_sim,
            p_z_sim=ndtr(-np.abs(z_sim)),
            sim=s.sim,
        )
    return LocalMoran(
        Is=Is,
        q=q,
        z=z,
        EI=EI,
        VI=VI,
        EIc=EIc,
        VIc=VIc,
        Z_I=Z_I,
        Z_Ic=Z_Ic,
        p_norm=ndtr(-np.abs(Z_I)),
        transform=transform.lower(),
        permutations=int(permutations),
        alternative=alternative,
        **extra,
    )


# ---------------------------------------------------------------------------------------------------
# Multiple testing and classification
# ---------------------------------------------------------------------------------------------------


def fdr_bh(p) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values); ``nan`` stays ``nan`` and is not counted.

    ``q_(i) = min_{j >= i} min(1, m * p_(j) / j)`` over the ``m`` finite p-values sorted ascending.
    Rejecting ``q <= alpha`` is the BH step-up procedure at FDR level ``alpha``.
    """
    p = np.asarray(p, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    flat = p.ravel()
    ok = np.flatnonzero(np.isfinite(flat))
    if ok.size == 0:
        return out
    vals = flat[ok]
    if (vals < 0).any() or (vals > 1).any():
        raise ValueError("p-values must lie in [0, 1]")
    m = vals.size
    order = np.argsort(vals, kind="stable")
    ranked = vals[order] * m / np.arange(1, m + 1)
    q = np.minimum(1.0, np.minimum.accumulate(ranked[::-1])[::-1])
    res = np.empty(m)
    res[order] = q
    out.ravel()[ok] = res
    return out


_LEVELS = ((0.01, 99), (0.05, 95), (0.10, 90))


@dataclasses.dataclass(frozen=True, eq=False)
class HotspotClasses:
    """Per area: ``bins`` 3/2/1 hot at 99/95/90 %, 0 not significant, -1/-2/-3 cold at 90/95/99 %;
    ``confidence`` 99/95/90/0; ``labels`` such as ``"hot_99"``, ``"cold_90"``, ``"not_significant"``;
    ``p_used`` the p-values compared with 0.01/0.05/0.10 (BH-adjusted when ``fdr``)."""

    bins: np.ndarray
    confidence: np.ndarray
    labels: tuple[str, ...]
    p_used: np.ndarray
    fdr: bool


def classify(z, p, fdr: bool = True) -> HotspotClasses:
    """Hot/cold spots from z-scores (sign) and two-sided p-values, optionally after BH FDR.

    Pass two-sided p-values, e.g. ``LocalG.p_norm_two_sided`` or ``LocalG.p_sim_two_sided``. An area
    is significant at confidence ``c`` when its (adjusted) p-value is at most ``1 - c``; ``nan``
    p-values and ``z == 0`` are never significant.
    """
    z = np.asarray(z, dtype=np.float64).ravel()
    p = np.asarray(p, dtype=np.float64).ravel()
    if z.shape != p.shape:
        raise ValueError(f"z has {z.size} values but p has {p.size}")
    p_used = fdr_bh(p) if fdr else p.copy()
    confidence = np.zeros(z.size, dtype=np.int64)
    for alpha, level in reversed(_LEVELS):
        confidence[np.nan_to_num(p_used, nan=2.0) <= alpha] = level
    confidence[~(np.abs(z) > 0)] = 0
    step = np.select([confidence == 99, confidence == 95, confidence == 90], [3, 2, 1], 0)
    bins = np.where(step == 0, 0, np.sign(np.nan_to_num(z)) * step).astype(np.int64)
    labels = tuple(
        "not_significant" if b == 0 else f"{'hot' if b > 0 else 'cold'}_{c}"
        for b, c in zip(bins, confidence, strict=True)
    )
    return HotspotClasses(bins=bins, confidence=confidence, labels=labels, p_used=p_used, fdr=fdr)


# ---------------------------------------------------------------------------------------------------
# Rates
# ---------------------------------------------------------------------------------------------------


def rates(counts, population, per: float = 1000.0) -> np.ndarray:
    """``counts / population * per``; ``nan`` where the population is 0 (no rate can be given)."""
    c = np.asarray(counts, dtype=np.float64)
    pop = np.asarray(population, dtype=np.float64)
    if c.shape != pop.shape:
        raise ValueError(f"counts have shape {c.shape} but population has {pop.shape}")
    for name, arr in (("counts", c), ("population", pop)):
        bad = ~np.isfinite(arr) | (arr < 0)
        if bad.any():
            i = int(np.flatnonzero(bad.ravel())[0])
            raise ValueError(f"{name}[{i}] = {arr.ravel()[i]} must be a finite number >= 0")
    if not per > 0:
        raise ValueError("per must be > 0")
    out = np.full(c.shape, np.nan)
    np.divide(c, pop, out=out, where=pop > 0)
    return out * per
