"""Tests for tamasuk.analysis.hotspots.

The analytic values are checked against PySAL (esda, libpysal), a test-only dependency, on data sets
that libpysal ships inside its wheel (no download). Weights are always built by our code from the
shapefiles' polygons and checked to equal libpysal's own Queen/Rook/DistanceBand/KNN weights first.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from tamasuk.analysis import hotspots as hs

TOL = 1e-9

# data set, variables (non-negative, for G and Moran)
DATASETS = {
    "columbus.shp": ["CRIME", "HOVAL"],
    "sids2.shp": ["SID79", "SIDR79"],
    "stl_hom.shp": ["HC8893", "HR8893"],
    "mexicojoin.shp": ["PCGDP2000"],
    "Chicago77.shp": ["SHAPE_AREA"],
    "10740.shp": [],  # has an island
    "us48.shp": [],
    "vautm17n.shp": [],
}


# ---------------------------------------------------------------------------------------------------
# helpers and fixtures
# ---------------------------------------------------------------------------------------------------


def _pysal():
    libpysal = pytest.importorskip("libpysal", reason="libpysal is a test-only dependency")
    esda = pytest.importorskip("esda", reason="esda is a test-only dependency")
    gpd = pytest.importorskip("geopandas", reason="geopandas comes with libpysal")
    return libpysal, esda, gpd


def _example(name):
    libpysal, _, gpd = _pysal()
    path = libpysal.examples.get_path(name)  # bundled in the libpysal wheel, no download
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = gpd.read_file(path)
    return path, df


def _close(a, b, tol=TOL):
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    assert a.shape == b.shape
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol, equal_nan=True)


def grid(rows, cols):
    x, y = np.meshgrid(np.arange(cols, dtype=float), np.arange(rows, dtype=float))
    return shapely.box(x.ravel(), y.ravel(), x.ravel() + 1, y.ravel() + 1)


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


# ---------------------------------------------------------------------------------------------------
# weights: hand-checkable grids
# ---------------------------------------------------------------------------------------------------


def test_3x3_grid_queen_and_rook():
    # positions:  6 7 8
    #             3 4 5
    #             0 1 2
    polys = grid(3, 3)
    queen = hs.queen_weights(polys).neighbor_dict()
    rook = hs.rook_weights(polys).neighbor_dict()
    assert rook == {
        0: [1, 3],
        1: [0, 2, 4],
        2: [1, 5],
        3: [0, 4, 6],
        4: [1, 3, 5, 7],
        5: [2, 4, 8],
        6: [3, 7],
        7: [4, 6, 8],
        8: [5, 7],
    }
    assert queen == {
        0: [1, 3, 4],
        1: [0, 2, 3, 4, 5],
        2: [1, 4, 5],
        3: [0, 1, 4, 6, 7],
        4: [0, 1, 2, 3, 5, 6, 7, 8],
        5: [1, 2, 4, 7, 8],
        6: [3, 4, 7],
        7: [3, 4, 5, 6, 8],
        8: [4, 5, 7],
    }
    for method in ("vertex", "strtree"):
        assert hs.queen_weights(polys, method=method).neighbor_dict() == queen
        assert hs.rook_weights(polys, method=method).neighbor_dict() == rook


def test_transforms_and_islands():
    polys = list(grid(3, 3)) + [shapely.box(10, 10, 11, 11)]
    w = hs.queen_weights(polys)
    assert w.islands == (9,)
    assert w.cardinalities.tolist() == [3, 5, 3, 5, 8, 5, 3, 5, 3, 0]
    r = w.transformed("r")
    sums = np.asarray(r.matrix.sum(axis=1)).ravel()
    _close(sums, [1] * 9 + [0])
    assert r.matrix[4, 0] == pytest.approx(1 / 8)
    b = r.transformed("b")
    assert set(b.matrix.data.tolist()) == {1.0}
    assert b.islands == (9,)
    star = w.with_self_weight(1.0).transformed("r")
    assert star.matrix[4, 4] == pytest.approx(1 / 9)
    assert star.matrix[9, 9] == 1.0  # an island with itself
    assert star.islands == (9,)  # self weight is not a neighbour
    with pytest.raises(ValueError, match="transform"):
        w.transformed("v")


def test_vertex_vs_strtree_when_vertices_do_not_coincide():
    # a big square on the left, two small squares on its right edge: the big square's edge
    # (2,0)-(2,2) has no vertex at (2,1), so no edge is shared vertex-for-vertex
    polys = [shapely.box(0, 0, 2, 2), shapely.box(2, 0, 3, 1), shapely.box(2, 1, 3, 2)]
    assert hs.rook_weights(polys).neighbor_dict() == {0: [], 1: [2], 2: [1]}
    assert hs.queen_weights(polys).neighbor_dict() == {0: [1, 2], 1: [0, 2], 2: [0, 1]}
    full = {0: [1, 2], 1: [0, 2], 2: [0, 1]}
    assert hs.rook_weights(polys, method="strtree").neighbor_dict() == full
    assert hs.queen_weights(polys, method="strtree").neighbor_dict() == full


def test_strtree_tolerance_bridges_small_gaps_but_not_corners():
    gap = 1e-7
    polys = [shapely.box(0, 0, 1, 1), shapely.box(1 + gap, 0, 2, 1), shapely.box(2 + gap, 1 + gap, 3, 2)]
    assert hs.rook_weights(polys, method="strtree").islands == (0, 1, 2)
    rook = hs.rook_weights(polys, method="strtree", tolerance=1e-5).neighbor_dict()
    queen = hs.queen_weights(polys, method="strtree", tolerance=1e-5).neighbor_dict()
    assert rook == {0: [1], 1: [0], 2: []}  # 1 and 2 only meet at a corner
    assert queen == {0: [1], 1: [0, 2], 2: [1]}
    with pytest.raises(ValueError, match="strtree"):
        hs.rook_weights(polys, tolerance=1e-5)


def test_multipolygons_and_holes():
    # an enclave (inside a hole) is a neighbour of the polygon around it; a two-part polygon
    # touches through either part
    outer = shapely.Polygon([(0, 0), (4, 0), (4, 4), (0, 4)], [[(1, 1), (3, 1), (3, 3), (1, 3)]])
    enclave = shapely.box(1, 1, 3, 3)
    multi = shapely.MultiPolygon([shapely.box(4, 0, 5, 4), shapely.box(6, 0, 7, 4)])
    right = shapely.box(7, 0, 8, 4)
    polys = [outer, enclave, multi, right]
    for method in ("vertex", "strtree"):
        assert hs.rook_weights(polys, method=method).neighbor_dict() == {
            0: [1, 2],
            1: [0],
            2: [0, 3],
            3: [2],
        }


def test_bad_geometries():
    with pytest.raises(ValueError, match="Polygon"):
        hs.queen_weights([shapely.Point(0, 0), shapely.box(0, 0, 1, 1)])
    with pytest.raises(ValueError, match="empty"):
        hs.queen_weights([shapely.Polygon(), shapely.box(0, 0, 1, 1)])
    with pytest.raises(ValueError, match="criterion"):
        hs.contiguity_weights(grid(2, 2), "bishop")


@settings(max_examples=40, deadline=None)
@given(rows=st.integers(1, 7), cols=st.integers(1, 7), data=st.data())
def test_grid_properties(rows, cols, data):
    polys = grid(rows, cols)
    keep = data.draw(st.lists(st.booleans(), min_size=rows * cols, max_size=rows * cols))
    idx = np.flatnonzero(keep)
    sub = polys[idx]
    if len(sub) == 0:
        return
    q = hs.queen_weights(sub).matrix.toarray()
    r = hs.rook_weights(sub).matrix.toarray()
    assert (q == q.T).all() and (r == r.T).all()
    assert (q >= r).all()  # every rook neighbour is a queen neighbour
    assert (np.diag(q) == 0).all()
    rr, cc = np.divmod(idx, cols)
    dr = np.abs(rr[:, None] - rr[None, :])
    dc = np.abs(cc[:, None] - cc[None, :])
    expect_rook = (dr + dc) == 1
    expect_queen = np.maximum(dr, dc) == 1
    assert (r.astype(bool) == expect_rook).all()
    assert (q.astype(bool) == expect_queen).all()
    assert (hs.queen_weights(sub, method="strtree").matrix.toarray() == q).all()
    assert (hs.rook_weights(sub, method="strtree").matrix.toarray() == r).all()


# ---------------------------------------------------------------------------------------------------
# weights: equal to libpysal on its bundled data sets
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(DATASETS))
@pytest.mark.parametrize("criterion", ["queen", "rook"])
def test_contiguity_equals_libpysal(name, criterion):
    libpysal, _, _ = _pysal()
    path, df = _example(name)
    cls = libpysal.weights.Queen if criterion == "queen" else libpysal.weights.Rook
    theirs = _quiet(cls.from_shapefile, path)
    ours = hs.contiguity_weights(df.geometry.values, criterion)
    assert ours.n == theirs.n
    assert (ours.matrix.toarray() == theirs.sparse.toarray()).all()
    assert list(ours.islands) == sorted(theirs.islands)
    strtree = hs.contiguity_weights(df.geometry.values, criterion, method="strtree")
    assert (strtree.matrix.toarray() == theirs.sparse.toarray()).all()
    theirs.transform = "r"
    _close(ours.transformed("r").matrix.toarray(), theirs.sparse.toarray(), 1e-12)


def test_island_data_set_reports_island():
    _, df = _example("10740.shp")
    assert hs.queen_weights(df.geometry.values).islands == (163,)


@pytest.mark.parametrize("binary,alpha", [(True, -1.0), (False, -1.0), (False, -2.0)])
def test_distance_band_equals_libpysal(binary, alpha):
    libpysal, _, _ = _pysal()
    _, df = _example("columbus.shp")
    pts = np.column_stack([df["X"], df["Y"]])
    threshold = 6.0
    theirs = _quiet(libpysal.weights.DistanceBand, pts, threshold=threshold, binary=binary, alpha=alpha)
    ours = hs.distance_band_weights(pts, threshold, binary=binary, alpha=alpha)
    _close(ours.matrix.toarray(), theirs.sparse.toarray(), 1e-12)
    # from polygons: centroids
    cents = shapely.get_coordinates(shapely.centroid(df.geometry.values))
    _close(
        hs.distance_band_weights(df.geometry.values, threshold).matrix.toarray(),
        hs.distance_band_weights(cents, threshold).matrix.toarray(),
    )


def test_distance_band_islands_and_errors():
    w = hs.distance_band_weights(np.array([[0.0, 0], [1, 0], [5, 0]]), 1.5)
    assert w.islands == (2,)
    with pytest.raises(ValueError, match="coincide"):
        hs.distance_band_weights(np.array([[0.0, 0], [0, 0]]), 1.0, binary=False)
    with pytest.raises(ValueError, match="threshold"):
        hs.distance_band_weights(np.array([[0.0, 0], [1, 0]]), 0)


@pytest.mark.parametrize("k", [1, 4, 8])
def test_knn_equals_libpysal(k):
    libpysal, _, _ = _pysal()
    _, df = _example("baltim.shp")
    pts = np.column_stack([df.geometry.x, df.geometry.y])
    theirs = _quiet(libpysal.weights.KNN, pts, k=k).sparse.toarray()
    ours = hs.knn_weights(pts, k)
    assert (ours.cardinalities == k).all()
    d = np.sqrt(((pts[:, None, :] - pts[None, :, :]) ** 2).sum(-1))
    np.fill_diagonal(d, np.inf)
    kth = np.sort(d, axis=1)[:, k - 1]
    tied = (d == kth[:, None]).sum(axis=1) > 1  # several points at the k-th distance
    mine = ours.matrix.toarray()
    assert (mine[~tied] == theirs[~tied]).all()
    assert tied.sum() < len(pts) // 4
    # ties are broken by position: all strictly nearer points, then the lowest positions
    for i in np.flatnonzero(tied):
        nearer = np.flatnonzero(d[i] < kth[i])
        at = np.flatnonzero(d[i] == kth[i])[: k - len(nearer)]
        assert ours.neighbors(i).tolist() == sorted([*nearer, *at])


def test_knn_duplicates_and_ties():
    pts = np.array([[0.0, 0], [0, 0], [0, 0], [1, 0], [-1, 0], [0, 1]])
    w = hs.knn_weights(pts, 2)
    assert w.neighbors(0).tolist() == [1, 2]
    assert w.neighbors(2).tolist() == [0, 1]
    assert w.neighbors(3).tolist() == [0, 1]  # three tied at distance 1: lowest positions
    with pytest.raises(ValueError, match="k must be"):
        hs.knn_weights(pts, 6)


# ---------------------------------------------------------------------------------------------------
# local statistics: analytic values equal to esda
# ---------------------------------------------------------------------------------------------------

CASES = [(name, var) for name, variables in sorted(DATASETS.items()) for var in variables]


@pytest.mark.parametrize("name,var", CASES)
@pytest.mark.parametrize("criterion", ["queen", "rook"])
@pytest.mark.parametrize("star", [False, True])
@pytest.mark.parametrize("transform", ["r", "b"])
def test_local_g_matches_esda(name, var, criterion, star, transform):
    libpysal, esda, _ = _pysal()
    path, df = _example(name)
    y = df[var].to_numpy(dtype=float)
    cls = libpysal.weights.Queen if criterion == "queen" else libpysal.weights.Rook
    theirs = _quiet(
        esda.G_Local, y, _quiet(cls.from_shapefile, path), transform=transform, star=star, permutations=0
    )
    ours = hs.local_g(
        y,
        hs.contiguity_weights(df.geometry.values, criterion),
        star=star,
        transform=transform,
        permutations=0,
    )
    for attr in ("Gs", "EGs", "VGs", "Zs", "p_norm"):
        _close(getattr(ours, attr), getattr(theirs, attr))
    assert ours.p_sim is None


@pytest.mark.parametrize("name,var", CASES)
@pytest.mark.parametrize("criterion", ["queen", "rook"])
@pytest.mark.parametrize("transform", ["r", "b"])
def test_local_moran_matches_esda(name, var, criterion, transform):
    libpysal, esda, _ = _pysal()
    path, df = _example(name)
    y = df[var].to_numpy(dtype=float)
    cls = libpysal.weights.Queen if criterion == "queen" else libpysal.weights.Rook
    theirs = _quiet(
        esda.Moran_Local, y, _quiet(cls.from_shapefile, path), transformation=transform, permutations=0
    )
    ours = hs.local_moran(
        y, hs.contiguity_weights(df.geometry.values, criterion), transform=transform, permutations=0
    )
    for attr in ("Is", "z", "EI", "VI", "EIc", "VIc"):
        _close(getattr(ours, attr), getattr(theirs, attr))
    assert (ours.q == theirs.q).all()
    with np.errstate(divide="ignore", invalid="ignore"):
        _close(ours.Z_I, (theirs.Is - theirs.EI) / np.sqrt(theirs.VI))
        _close(ours.Z_Ic, (theirs.Is - theirs.EIc) / np.sqrt(theirs.VIc))
        _close(ours.p_norm, stats.norm.sf(np.abs((theirs.Is - theirs.EI) / np.sqrt(theirs.VI))))


@pytest.mark.parametrize("binary", [True, False])
@pytest.mark.parametrize("transform", ["r", "b"])
def test_distance_band_statistics_match_esda(binary, transform):
    libpysal, esda, _ = _pysal()
    _, df = _example("columbus.shp")
    pts = np.column_stack([df["X"], df["Y"]])
    y = df["CRIME"].to_numpy(dtype=float)
    w_ours = hs.distance_band_weights(pts, 6.0, binary=binary)

    def theirs_w():
        return _quiet(libpysal.weights.DistanceBand, pts, threshold=6.0, binary=binary)

    g = _quiet(esda.G_Local, y, theirs_w(), transform=transform, star=False, permutations=0)
    ours = hs.local_g(y, w_ours, transform=transform, permutations=0)
    for attr in ("Gs", "EGs", "VGs", "Zs"):
        _close(getattr(ours, attr), getattr(g, attr))
    m = _quiet(esda.Moran_Local, y, theirs_w(), transformation=transform, permutations=0)
    ours_m = hs.local_moran(y, w_ours, transform=transform, permutations=0)
    for attr in ("Is", "EI", "VI", "EIc", "VIc"):
        _close(getattr(ours_m, attr), getattr(m, attr))


def test_g_star_on_points_example_from_esda_docs():
    # the doctest of esda.G_Local: six points, distance band 15, binary, Gi*
    pts = np.array([(10, 10), (20, 10), (40, 10), (15, 20), (30, 20), (30, 30)], dtype=float)
    y = np.array([2, 3, 3.2, 5, 8, 7])
    w = hs.distance_band_weights(pts, 15)
    res = hs.local_g(y, w, transform="b", star=True, permutations=0)
    expected = [-1.39727626, -0.28917762, 0.65064964, -0.28917762, 1.23452088, 2.02424331]
    _close(res.Zs, expected, 1e-8)
    res = hs.local_g(y, w, transform="b", star=False, permutations=0)
    _close(res.Zs, [-1.0136729, -0.04361589, 1.31558703, -0.31412676, 1.15373986, 1.77833941], 1e-8)


def test_statistics_reject_bad_input():
    w = hs.queen_weights(grid(3, 3))
    with pytest.raises(ValueError, match="negative"):
        hs.local_g([1, 2, 3, 4, -5, 6, 7, 8, 9], w)
    with pytest.raises(ValueError, match="9 areas"):
        hs.local_g([1, 2, 3], w)
    with pytest.raises(ValueError, match="not finite"):
        hs.local_moran([1, 2, 3, 4, np.nan, 6, 7, 8, 9], w)
    with pytest.raises(ValueError, match="constant"):
        hs.local_moran([1] * 9, w)
    with pytest.raises(ValueError, match="all zero"):
        hs.local_g([0] * 9, w)
    with pytest.raises(ValueError, match="alternative"):
        hs.local_g(np.arange(1, 10), w, alternative="sideways")


@settings(max_examples=30, deadline=None)
@given(
    y=st.lists(st.integers(0, 50), min_size=16, max_size=16).filter(lambda v: len(set(v)) > 1),
    scale=st.floats(0.1, 100),
    shift=st.floats(-100, 100),
)
def test_invariances(y, scale, shift):
    y = np.array(y, dtype=float)
    w = hs.queen_weights(grid(4, 4))
    a = hs.local_g(y, w, star=True, permutations=0)
    b = hs.local_g(y * scale, w, star=True, permutations=0)
    _close(a.Gs, b.Gs, 1e-9)
    _close(a.Zs, b.Zs, 1e-7)
    m1 = hs.local_moran(y, w, permutations=0)
    m2 = hs.local_moran(y * scale + shift, w, permutations=0)
    _close(m1.Is, m2.Is, 1e-7)
    # A quadrant is a sign; where z or its spatial lag is zero up to rounding, the sign is noise.
    lag = w.matrix @ m1.z
    clear = (np.abs(m1.z) > 1e-9) & (np.abs(lag) > 1e-9)
    assert (m1.q[clear] == m2.q[clear]).all()


# ---------------------------------------------------------------------------------------------------
# permutation inference
# ---------------------------------------------------------------------------------------------------


def test_permutations_are_seeded_and_reproducible():
    _, df = _example("columbus.shp")
    y = df["CRIME"].to_numpy(dtype=float)
    w = hs.queen_weights(df.geometry.values)
    a = hs.local_g(y, w, star=True, seed=42)
    b = hs.local_g(y, w, star=True, seed=42)
    c = hs.local_g(y, w, star=True, seed=43)
    assert a.permutations == 999
    assert (a.p_sim == b.p_sim).all() and (a.EG_sim == b.EG_sim).all()
    assert not (a.p_sim == c.p_sim).all()
    assert ((a.p_sim >= 1 / 1000) & (a.p_sim <= 0.5 + 1 / 1000)).all()
    m1 = hs.local_moran(y, w, seed=np.random.default_rng(7))
    m2 = hs.local_moran(y, w, seed=np.random.default_rng(7))
    assert (m1.p_sim == m2.p_sim).all()


def test_conditional_moments_match_exact_values():
    """With many permutations the simulated mean/variance converge to the exact conditional ones."""
    _, df = _example("columbus.shp")
    y = df["CRIME"].to_numpy(dtype=float)
    w = hs.queen_weights(df.geometry.values)
    n, P = len(y), 40_000
    # Moran: exact conditional mean is esda's EIc; exact variance by sampling without replacement
    m = hs.local_moran(y, w, permutations=P, seed=1)
    z_mean = (m.EI_sim - m.EIc) / np.sqrt(m.VI_sim / P)
    assert np.abs(z_mean).max() < 4.5
    wr = w.transformed("r").matrix.toarray()
    z = m.z
    scaling = (n - 1) / (z * z).sum()
    exact_var = np.empty(n)
    for i in range(n):
        others = np.delete(z, i)
        wi = np.delete(wr[i], i)
        N = n - 1
        var_lag = others.var() * N / (N - 1) * ((wi**2).sum() - wi.sum() ** 2 / N)
        exact_var[i] = scaling**2 * z[i] ** 2 * var_lag
    assert np.abs(m.VI_sim / exact_var - 1).max() < 0.05
    # Gi*: exact conditional mean
    g = hs.local_g(y, w, star=True, permutations=P, seed=2)
    ws = w.with_self_weight(1).transformed("r").matrix
    diag = ws.diagonal()
    off = np.asarray(ws.sum(axis=1)).ravel() - diag
    exact_mean = (off * (y.sum() - y) / (n - 1) + diag * y) / y.sum()
    assert np.abs((g.EG_sim - exact_mean) / (g.seG_sim / np.sqrt(P))).max() < 4.5


def test_p_values_match_exact_enumeration():
    """On a 2×3 grid the conditional distribution can be enumerated exactly."""
    polys = grid(2, 3)
    w = hs.queen_weights(polys)
    y = np.array([1.0, 7.0, 2.0, 9.0, 4.0, 3.0])
    P = 30_000
    res = hs.local_g(y, w, star=True, transform="b", permutations=P, seed=5)
    wb = w.with_self_weight(1).transformed("b").matrix.toarray()
    for i in range(6):
        others = [j for j in range(6) if j != i]
        k = int(wb[i].sum() - 1)
        sims = np.array([(y[list(c)].sum() + y[i]) / y.sum() for c in itertools.permutations(others, k)])
        larger = (sims >= res.Gs[i] - 1e-12).sum()
        exact_tail = min(larger, len(sims) - larger) / len(sims)
        assert res.p_sim[i] == pytest.approx(exact_tail, abs=0.015)
        assert res.EG_sim[i] == pytest.approx(sims.mean(), rel=0.01)


@pytest.mark.parametrize("stat", ["g", "g_star", "moran"])
def test_p_sim_close_to_esda(stat):
    libpysal, esda, _ = _pysal()
    P = 9999
    path, df = _example("sids2.shp")
    y = df["SIDR79"].to_numpy(dtype=float)
    w_theirs = _quiet(libpysal.weights.Queen.from_shapefile, path)
    w = hs.queen_weights(df.geometry.values)
    if stat == "moran":
        theirs = _quiet(esda.Moran_Local, y, w_theirs, permutations=P, seed=1, n_jobs=1)
        ours = hs.local_moran(y, w, permutations=P, seed=1)
        mean_t, mean_o, se = theirs.EI_sim, ours.EI_sim, ours.seI_sim
    else:
        star = stat == "g_star"
        theirs = _quiet(esda.G_Local, y, w_theirs, star=star, permutations=P, seed=1, n_jobs=1)
        ours = hs.local_g(y, w, star=star, permutations=P, seed=1)
        mean_t, mean_o, se = theirs.EG_sim, ours.EG_sim, ours.seG_sim
    # different random numbers, same distribution: the Monte Carlo sd of a p-value from P
    # permutations is at most 0.5 / sqrt(P) = 0.005, so two independent runs differ by about that
    diff = np.abs(theirs.p_sim - ours.p_sim)
    assert diff.mean() < 0.008
    assert diff.max() < 0.03
    assert stats.spearmanr(theirs.p_sim, ours.p_sim).statistic > 0.99
    # simulated means agree within Monte Carlo error (both estimate the same conditional mean)
    assert (np.abs(mean_o - mean_t) / (se * np.sqrt(2 / P))).max() < 5


def test_keep_simulations_and_islands():
    polys = list(grid(3, 3)) + [shapely.box(10, 10, 11, 11)]
    w = hs.queen_weights(polys)
    y = np.array([1, 2, 3, 4, 10, 6, 7, 8, 9, 5], dtype=float)
    res = hs.local_g(y, w, permutations=99, seed=0, keep_simulations=True)
    assert res.sim.shape == (10, 99)
    assert np.isnan(res.p_sim[9]) and np.isfinite(res.p_sim[:9]).all()
    assert np.isnan(res.Zs[9])  # an island has no neighbours: esda's formula gives 0 / 0
    # the simulated values reproduce the summary statistics
    _close(res.EG_sim[:9], res.sim[:9].mean(axis=1), 1e-12)
    m = hs.local_moran(y, w, permutations=99, seed=0)
    assert np.isnan(m.p_sim[9])
    classes = hs.classify(res.Zs, res.p_norm_two_sided)
    assert classes.bins[9] == 0


@pytest.mark.parametrize("alternative", ["directed", "greater", "lesser", "folded"])
def test_alternatives(alternative):
    w = hs.rook_weights(grid(5, 5))
    y = np.arange(25, dtype=float) ** 1.5
    res = hs.local_g(
        y, w, star=True, permutations=199, seed=3, alternative=alternative, keep_simulations=True
    )
    sims = res.sim
    obs = res.Gs[:, None]
    if alternative == "greater":
        expected = ((sims >= obs - 1e-15).sum(1) + 1) / 200
    elif alternative == "lesser":
        expected = ((sims <= obs + 1e-15).sum(1) + 1) / 200
    elif alternative == "folded":
        mean = sims.mean(1, keepdims=True)
        expected = ((np.abs(sims - mean) >= np.abs(obs - mean) - 1e-15).sum(1) + 1) / 200
    else:
        larger = (sims >= obs - 1e-15).sum(1)
        expected = (np.minimum(larger, 199 - larger) + 1) / 200
    _close(res.p_sim, expected, 1e-12)


def test_large_sparse_sampling_path():
    """n × P above the dense-shuffle limit uses rejection sampling; still uniform and distinct."""
    rng = np.random.default_rng(0)
    draws = hs._draw_without_replacement(20_000, 9, 999, rng)
    assert draws.shape == (999, 9)
    s = np.sort(draws, axis=1)
    assert not (s[:, 1:] == s[:, :-1]).any()
    counts = np.bincount(draws[:, 0] // 2000, minlength=10)
    assert stats.chisquare(counts).pvalue > 1e-4
    w = hs.queen_weights(grid(100, 100))
    y = np.random.default_rng(1).poisson(5, size=10_000).astype(float)
    res = hs.local_g(y, w, star=True, seed=1)
    assert np.isfinite(res.p_sim).all()
    # under the null (no pattern) about 10 % of p-values (directed = one-tailed) are <= 0.05
    assert 0.06 < (res.p_sim <= 0.05).mean() < 0.14


# ---------------------------------------------------------------------------------------------------
# FDR, classification, rates
# ---------------------------------------------------------------------------------------------------


def test_fdr_bh_hand_example():
    # sorted: 0.005 0.01 0.03 0.04 0.2 ; × m / rank: 0.025 0.025 0.05 0.05 0.2 ; running min from top
    p = [0.01, 0.04, 0.03, 0.005, 0.2]
    _close(hs.fdr_bh(p), [0.025, 0.05, 0.05, 0.025, 0.2], 1e-15)
    # a later smaller ratio pulls earlier ones down: 0.02*3/2 = 0.03 > 0.021*3/3 = 0.021
    _close(hs.fdr_bh([0.001, 0.02, 0.021]), [0.003, 0.021, 0.021], 1e-15)
    out = hs.fdr_bh([0.04, np.nan, 0.01])
    assert np.isnan(out[1])
    _close(out[[0, 2]], [0.04, 0.02], 1e-15)
    with pytest.raises(ValueError):
        hs.fdr_bh([0.5, 1.5])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=60))
def test_fdr_bh_properties(p):
    p = np.array(p)
    q = hs.fdr_bh(p)
    _close(q, stats.false_discovery_control(p, method="bh"), 1e-12)
    assert (q >= p - 1e-15).all() and (q <= 1).all()
    order = np.argsort(p, kind="stable")
    assert (np.diff(q[order]) >= -1e-15).all()


def test_classify_levels_and_fdr():
    z = np.array([3.0, 2.2, 1.7, 0.5, -1.8, -2.1, -3.5, 2.0])
    p = 2 * stats.norm.sf(np.abs(z))
    raw = hs.classify(z, p, fdr=False)
    assert raw.bins.tolist() == [3, 2, 1, 0, -1, -2, -3, 2]
    assert raw.labels[:3] == ("hot_99", "hot_95", "hot_90")
    assert raw.labels[3] == "not_significant" and raw.labels[6] == "cold_99"
    assert raw.confidence.tolist() == [99, 95, 90, 0, 90, 95, 99, 95]
    adjusted = hs.classify(z, p, fdr=True)
    _close(adjusted.p_used, hs.fdr_bh(p))
    assert (np.abs(adjusted.bins) <= np.abs(raw.bins)).all()  # FDR never adds significance
    assert adjusted.fdr and not raw.fdr
    # nan p-values and z == 0 are never significant
    c = hs.classify([2.5, 0.0, -3.0], [np.nan, 0.001, 0.001], fdr=False)
    assert c.bins.tolist() == [0, 0, -3]
    with pytest.raises(ValueError):
        hs.classify([1, 2], [0.1])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(-6, 6), st.floats(0, 1)), min_size=1, max_size=40))
def test_classify_properties(pairs):
    z = np.array([a for a, _ in pairs])
    p = np.array([b for _, b in pairs])
    for fdr in (False, True):
        c = hs.classify(z, p, fdr=fdr)
        assert set(c.bins.tolist()) <= {-3, -2, -1, 0, 1, 2, 3}
        assert (np.sign(c.bins) * np.sign(z) >= 0).all()
        assert ((c.bins != 0) == (c.p_used <= 0.10) & (z != 0)).all()


def test_rates():
    _close(hs.rates([5, 0, 3], [1000, 200, 0]), [5.0, 0.0, np.nan])
    _close(hs.rates([5], [2000], per=100_000), [250.0])
    with pytest.raises(ValueError, match=r"population\[1\]"):
        hs.rates([1, 2], [10, -1])
    with pytest.raises(ValueError, match="shape"):
        hs.rates([1, 2], [10])


def test_rates_feed_hotspots():
    # reports per 1,000 residents, then Gi* and classes, end to end on a grid
    rng = np.random.default_rng(3)
    pop = rng.integers(500, 5000, size=49)
    counts = rng.poisson(pop / 200)
    block = [0, 1, 2, 7, 8, 9, 14, 15, 16]  # a 3 × 3 corner block of high rates
    counts[block] += pop[block] // 20
    r = hs.rates(counts, pop)
    w = hs.queen_weights(grid(7, 7))
    g = hs.local_g(r, w, star=True, seed=1)
    c = hs.classify(g.Zs, g.p_sim_two_sided)
    assert c.bins[8] > 0 and c.labels[8].startswith("hot_")
    assert (c.bins[[34, 40, 48]] <= 0).all()


def test_two_sided_p_values_do_not_call_ties_significant():
    """Zero reports among many zeros is not a cold spot: ties count on both sides."""
    y = np.zeros(25)
    y[[6, 7, 11, 12]] = [9.0, 7.0, 8.0, 10.0]
    w = hs.queen_weights(grid(5, 5))
    directed = hs.local_g(y, w, star=True, permutations=999, seed=3)
    two = hs.local_g(y, w, star=True, permutations=999, seed=3, alternative="two-sided")
    far = 24  # a zero cell far from the cluster, all of its neighbours zero too
    assert directed.p_sim[far] == pytest.approx(1 / 1000)  # esda's convention
    assert two.p_sim[far] > 0.5 and two.p_sim_two_sided[far] == two.p_sim[far]
    hot = hs.classify(two.Zs, two.p_sim, fdr=False)
    assert hot.bins[12] > 0 and hot.bins[far] == 0
