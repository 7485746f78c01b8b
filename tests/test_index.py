"""Small hand-checkable cases for the composite index engine (tamasuk.analysis.index)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tamasuk.analysis.index import (
    IndexOptions,
    IndexSpec,
    Node,
    aggregate,
    compute,
    denominate,
    impute,
    kurtosis,
    normalise,
    rank,
    skewness,
    treat,
    with_weights,
)
from tamasuk.analysis.uncertainty import Assumptions, sensitivity, sobol_indices, uncertainty

nan = math.nan


def flat_spec(weights=(1.0, 3.0), directions=None) -> IndexSpec:
    directions = directions or (1,) * len(weights)
    nodes = [Node(f"i{k}", 1, "I", w, d) for k, (w, d) in enumerate(zip(weights, directions, strict=True))]
    return IndexSpec((*nodes, Node("I", 2, None)))


def tree_spec() -> IndexSpec:
    """I ← {T1 (w 2) ← {a (w 1), b (w 3)},  T2 (w 1) ← {c (w 1)}}."""
    return IndexSpec(
        (
            Node("a", 1, "T1", 1.0),
            Node("b", 1, "T1", 3.0),
            Node("c", 1, "T2", 1.0),
            Node("T1", 2, "I", 2.0),
            Node("T2", 2, "I", 1.0),
            Node("I", 3, None),
        )
    )


# -- spec ---------------------------------------------------------------------------------------------------


def test_spec_order_and_validation() -> None:
    spec = tree_spec()
    assert spec.indicators == ("a", "b", "c")
    assert spec.aggregates == ("T1", "T2", "I")
    assert spec.codes == ("a", "b", "c", "T1", "T2", "I")
    with pytest.raises(ValueError, match="parent 'X'"):
        IndexSpec((Node("a", 1, "X"), Node("I", 2)))
    with pytest.raises(ValueError, match="exactly one node"):
        IndexSpec((Node("a", 1, "I"), Node("I", 2), Node("J", 2)))
    with pytest.raises(ValueError, match="level must be higher"):
        IndexSpec((Node("a", 2, "I"), Node("b", 1, "a"), Node("I", 2)))
    with pytest.raises(ValueError, match="direction"):
        IndexSpec((Node("a", 1, "I", direction=0), Node("I", 2)))
    dropped = tree_spec().drop("c")
    assert dropped.codes == ("a", "b", "T1", "I")


# -- denominate / impute ------------------------------------------------------------------------------------


def test_denominate() -> None:
    X = np.array([[10.0, 1.0], [20.0, 2.0], [nan, 3.0]])
    D = np.array([[2.0], [4.0], [5.0]])
    assert np.allclose(denominate(X, D, [0, None]), [[5, 1], [5, 2], [nan, 3]], equal_nan=True)
    per_1000 = denominate(X, D, [0, None], scale=[1000.0, 1.0])
    assert np.allclose(per_1000[:2, 0], [5000, 5000])
    with pytest.raises(ValueError, match="is 0 for unit row"):
        denominate(X, np.array([[2.0], [0.0], [1.0]]), [0, None])


def test_impute_methods() -> None:
    X = np.array([[1.0, nan], [2.0, 4.0], [nan, 6.0], [9.0, 20.0]])
    assert np.array_equal(impute(X, "none"), X, equal_nan=True)
    assert impute(X, "mean")[2, 0] == 4.0 and impute(X, "mean")[0, 1] == 10.0
    assert impute(X, "median")[2, 0] == 2.0 and impute(X, "median")[0, 1] == 6.0
    groups = ["n", "n", "n", "s"]
    g = impute(X, "group_mean", groups)
    assert g[2, 0] == 1.5 and g[0, 1] == 5.0
    # a group with no value for the indicator stays missing
    g2 = impute(np.array([[1.0], [nan], [3.0]]), "group_mean", ["a", "b", "a"])
    assert math.isnan(g2[1, 0]) and g2[0, 0] == 1.0
    with pytest.raises(ValueError, match="groups"):
        impute(X, "group_mean")


# -- skewness / kurtosis / treatment -------------------------------------------------------------------------


def _skew_kurt_by_hand(x: list[float]) -> tuple[float, float]:
    n = len(x)
    m = sum(x) / n
    s = math.sqrt(sum((v - m) ** 2 for v in x) / (n - 1))
    g1 = n / ((n - 1) * (n - 2)) * sum(((v - m) / s) ** 3 for v in x)
    g2 = n * (n + 1) / ((n - 1) * (n - 2) * (n - 3)) * sum(((v - m) / s) ** 4 for v in x) - 3 * (
        n - 1
    ) ** 2 / ((n - 2) * (n - 3))
    return g1, g2


def test_skewness_kurtosis_formulas() -> None:
    x = [1.0, 2.0, 3.0, 10.0, 4.5]
    sk, ku = _skew_kurt_by_hand(x)
    assert skewness(np.array(x)) == pytest.approx(sk, rel=1e-12)
    assert kurtosis(np.array(x)) == pytest.approx(ku, rel=1e-12)
    # 1, 2, 3, 10: deviations -3, -2, -1, 6; Σd² = 50, Σd³ = 180, Σd⁴ = 1394
    # G1 = 4·√3/2 · 180/50^1.5,  G2 = 4·5·3·1394 / (2·1·50²) - 3·3²/(2·1) = 16.728 - 13.5
    assert skewness(np.array([1.0, 2.0, 3.0, 10.0])) == pytest.approx(
        2 * math.sqrt(3) * 180 / 50**1.5, rel=1e-12
    )
    assert kurtosis(np.array([1.0, 2.0, 3.0, 10.0])) == pytest.approx(3.228, rel=1e-12)
    cols = np.array([[1.0, 5.0], [2.0, nan], [3.0, 5.0], [10.0, 5.0], [4.5, 5.0]])
    assert np.allclose(skewness(cols), [sk, 0.0])  # NaN ignored; a constant column has skewness 0
    assert math.isnan(kurtosis(np.array([1.0, 2.0, 3.0])))


def test_treat_winsorises_high_outlier() -> None:
    x = np.array([1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100])
    res = treat(x[:, None], codes=["x"])
    r = res.report("x")
    assert r.action == "winsorised" and r.points == 1 and r.iterations == 1
    assert np.array_equal(res.data[:, 0], np.r_[x[:-1], 10.0])
    assert abs(r.skew_after) < 2 or r.kurt_after < 3.5


def test_treat_winsorises_low_side_when_negatively_skewed() -> None:
    x = -np.array([1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 100])
    res = treat(x[:, None])
    assert res.reports[0].action == "winsorised"
    assert res.data[-1, 0] == -10.0


def test_treat_falls_back_to_log() -> None:
    # 100 zeros and 8 distinct high values: 5 Winsorising rounds cannot fix this two-cluster shape
    x = np.r_[np.zeros(100), np.arange(100.0, 108.0)]
    res = treat(x[:, None], winmax=5, codes=["x"])
    r = res.report("x")
    assert r.action == "log" and r.points == 0 and r.iterations == 5
    assert np.allclose(res.data[:, 0], np.log(x - 0.0 + 0.01 * 107.0))
    assert not r.passes  # the rule's log transform does not always pass, and the report says so


def test_treat_leaves_normal_data_and_missing_alone() -> None:
    x = np.array([[1.0], [2.0], [nan], [3.0], [2.5]])
    res = treat(x)
    assert res.reports[0].action == "none"
    assert np.array_equal(res.data, x, equal_nan=True)


# -- normalisers ------------------------------------------------------------------------------------------


def test_minmax_with_direction() -> None:
    X = np.array([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
    assert np.allclose(normalise(X, "minmax", [1, -1]), [[0, 100], [50, 50], [100, 0]])
    assert np.allclose(normalise(X[:, :1], "minmax", bounds=(1, 10))[:, 0], [1, 5.5, 10])


def test_zscore() -> None:
    X = np.array([[1.0], [2.0], [3.0]])
    assert np.allclose(normalise(X, "zscore")[:, 0], [-1, 0, 1])
    assert np.allclose(normalise(X, "zscore", [-1], zscore=(10, 2))[:, 0], [12, 10, 8])


def test_rank_normaliser_ties_min() -> None:
    X = np.array([[3.0], [1.0], [3.0], [2.0], [nan]])
    assert np.allclose(normalise(X, "rank")[:, 0], [3, 1, 3, 2, nan], equal_nan=True)
    assert np.allclose(normalise(X, "rank", [-1])[:, 0], [1, 4, 1, 3, nan], equal_nan=True)


def test_goalposts() -> None:
    X = np.array([[0.0], [5.0], [10.0], [15.0], [-1.0]])
    assert np.allclose(normalise(X, "goalposts", goalposts=[(0, 10)])[:, 0], [0, 50, 100, 100, 0])
    assert np.allclose(normalise(X, "goalposts", [-1], goalposts=[(0, 10)])[:, 0], [100, 50, 0, 0, 100])


def test_distance_to_target() -> None:
    X = np.array([[2.0], [4.0], [6.0]])
    assert np.allclose(normalise(X, "target", targets=[5.0])[:, 0], [0, 200 / 3, 100])
    # lower is better, target 3: 1 - (x - 3)/(max - 3) → 4/3 (capped to 1), 2/3, 0
    assert np.allclose(normalise(X, "target", [-1], targets=[3.0])[:, 0], [100, 200 / 3, 0])
    uncapped = normalise(X, "target", targets=[5.0], cap=False)[:, 0]
    assert uncapped[2] == pytest.approx(400 / 3)


# -- aggregators ------------------------------------------------------------------------------------------


def test_aggregators_by_hand() -> None:
    spec = flat_spec((1.0, 3.0))
    X = np.array([[40.0, 80.0], [nan, 80.0], [nan, nan], [0.0, 50.0], [100.0, 10.0]])
    ar = aggregate(X, spec, "arithmetic").column("I")
    assert np.allclose(ar, [70, 80, nan, 37.5, 32.5], equal_nan=True)
    ge = aggregate(X, spec, "geometric").column("I")
    assert ge[0] == pytest.approx(40**0.25 * 80**0.75)
    assert ge[1] == pytest.approx(80.0) and math.isnan(ge[2]) and ge[3] == 0.0
    hd = aggregate(X, spec, "high_dominates").column("I")
    assert hd[0] == pytest.approx(100 - 60**0.25 * 20**0.75)
    assert hd[1] == pytest.approx(80.0) and hd[4] == 100.0  # one indicator at the top dominates
    assert hd[0] > ar[0] > ge[0]


def test_aggregate_domain_errors() -> None:
    spec = flat_spec((1.0, 1.0))
    with pytest.raises(ValueError, match="≥ 0"):
        aggregate(np.array([[-1.0, 2.0]]), spec, "geometric")
    with pytest.raises(ValueError, match="upper"):
        aggregate(np.array([[101.0, 2.0]]), spec, "high_dominates")


def test_nested_aggregation_and_missing_reweighting() -> None:
    spec = tree_spec()
    N = np.array([[10.0, 50.0, 90.0], [nan, 50.0, 90.0], [10.0, 50.0, nan]])
    agg = aggregate(N, spec)
    T1 = (1 * 10 + 3 * 50) / 4
    assert np.allclose(agg.column("T1"), [T1, 50.0, T1])
    assert np.allclose(agg.column("I"), [(2 * T1 + 90) / 3, (2 * 50 + 90) / 3, T1])


def test_rank_function() -> None:
    assert np.array_equal(rank(np.array([5.0, 7.0, 7.0, 1.0])), [3, 1, 1, 4])
    assert np.array_equal(rank(np.array([5.0, nan, 1.0])), [1, nan, 2], equal_nan=True)
    assert np.array_equal(rank(np.array([5.0, 7.0, 1.0]), descending=False), [2, 3, 1])


# -- compute: direction, contributions, drivers -------------------------------------------------------------


def test_direction_flip_reverses_ranking() -> None:
    X = np.array([[1.0], [5.0], [3.0]])
    up = compute(X, flat_spec((1.0,), (1,)))
    down = compute(X, flat_spec((1.0,), (-1,)))
    assert np.array_equal(up.rank, [3, 1, 2])
    assert np.array_equal(down.rank, [1, 3, 2])
    assert np.allclose(up.score + down.score, 100)


def test_contributions_sum_to_score_arithmetic() -> None:
    spec = tree_spec()
    X = np.array([[1.0, 5.0, 9.0], [2.0, nan, 3.0], [4.0, 1.0, 7.0], [3.0, 2.0, nan]])
    res = compute(X, spec, units=["n1", "n2", "n3", "n4"])
    assert res.contribution_space == "points"
    for level in (1, 2):
        assert np.allclose(res.contributions[:, res.levels == level].sum(axis=1), res.score)
    # n1: a=0, b=100, c=100 after min-max; T1 = 75 (weights 1:3), I = (2·75 + 100)/3
    assert res.score[0] == pytest.approx(250 / 3)
    assert res.contributions[0, res.codes.index("b")] == pytest.approx(2 / 3 * 3 / 4 * 100)
    assert res.contributions[0, res.codes.index("T2")] == pytest.approx(100 / 3)
    drivers = res.top_drivers("n1", n=2)
    assert [d.code for d in drivers] == ["b", "c"]
    assert drivers[0].value == 100.0
    assert res.top_drivers("n1", n=1, level=2)[0].code == "T1"


def test_contributions_geometric_and_high_dominates_are_additive_in_their_space() -> None:
    spec = tree_spec()
    X = np.array([[1.0, 5.0, 9.0], [2.0, 4.0, 3.0], [4.0, 1.0, 7.0]])
    geo = compute(X, spec, IndexOptions(aggregation="geometric", bounds=(1.0, 100.0)))
    assert geo.contribution_space == "log"
    assert np.allclose(geo.contributions[:, geo.levels == 1].sum(axis=1), np.log(geo.score))
    hd = compute(X, spec, IndexOptions(aggregation="high_dominates", bounds=(0.0, 99.0)))
    assert hd.contribution_space == "log_gap"
    assert np.allclose(hd.contributions[:, hd.levels == 1].sum(axis=1), -np.log(100 - hd.score))


def test_compute_denominators_and_errors() -> None:
    spec = IndexSpec(
        (Node("cases", 1, "I", denominator="pop", scale=1000.0), Node("x", 1, "I"), Node("I", 2))
    )
    X = np.array([[10.0, 1.0], [30.0, 2.0]])
    res = compute(X, spec, denominators={"pop": [1000.0, 2000.0]})
    assert np.allclose(res.denominated[:, 0], [10.0, 15.0])
    with pytest.raises(ValueError, match="denominators"):
        compute(X, spec)
    with pytest.raises(ValueError, match="3 columns"):
        compute(np.ones((2, 3)), spec, denominators={"pop": [1.0, 1.0]})


# -- Monte Carlo ---------------------------------------------------------------------------------------------


def _random_data(n=40, k=3, seed=1, missing=False):
    rng = np.random.default_rng(seed)
    X = rng.gamma(2.0, 1.0, size=(n, k))
    if missing:
        X[rng.random((n, k)) < 0.15] = nan
    return X


def test_monte_carlo_seeded_and_reproducible() -> None:
    X = _random_data()
    a = Assumptions(
        weights=0.3,
        normalisations=("minmax", "rank"),
        aggregations=("arithmetic", "geometric"),
        leave_one_out=True,
    )
    opts = IndexOptions(bounds=(1.0, 100.0))
    r1 = uncertainty(X, tree_spec(), opts, a, runs=200, seed=42, keep_ranks=True)
    r2 = uncertainty(X, tree_spec(), opts, a, runs=200, seed=42, keep_ranks=True)
    r3 = uncertainty(X, tree_spec(), opts, a, runs=200, seed=43, keep_ranks=True)
    assert np.array_equal(r1.ranks, r2.ranks)
    assert np.array_equal(r1.median_rank, r2.median_rank)
    assert not np.array_equal(r1.ranks, r3.ranks)
    assert np.all(r1.rank_low <= r1.median_rank) and np.all(r1.median_rank <= r1.rank_high)
    assert np.any(r1.rank_high > r1.rank_low)
    assert set(np.unique(r1.normalisation)) == {0, 1} and set(np.unique(r1.dropped)) == {0, 1, 2}


@pytest.mark.parametrize("missing", [False, True])
def test_monte_carlo_without_perturbation_has_zero_width(missing: bool) -> None:
    X = _random_data(missing=missing)
    res = uncertainty(X, tree_spec(), IndexOptions(), Assumptions(), runs=50, seed=0)
    nominal = compute(X, tree_spec()).rank
    assert np.array_equal(res.rank_low, res.rank_high, equal_nan=True)
    assert np.array_equal(res.median_rank, nominal, equal_nan=True)
    assert np.array_equal(res.nominal_rank, nominal, equal_nan=True)


@pytest.mark.parametrize("missing", [False, True])
@pytest.mark.parametrize("method", ["arithmetic", "geometric", "high_dominates"])
def test_monte_carlo_runs_equal_compute_with_the_drawn_choices(missing: bool, method: str) -> None:
    """Each run's ranking is exactly what compute() gives with that run's weights / dropped indicator."""
    X = _random_data(n=30, missing=missing)
    spec = tree_spec()
    opts = IndexOptions(aggregation=method, bounds=(1.0, 99.0))
    res = uncertainty(
        X, spec, opts, Assumptions(weights=0.5, leave_one_out=True), runs=12, seed=7, keep_ranks=True
    )
    nonroot = [c for c in spec.codes if c != spec.root]
    for r in range(res.runs):
        s = with_weights(
            spec, {c: spec.by_code[c].weight * f for c, f in zip(nonroot, res.weight_factors[r], strict=True)}
        )
        dropped = spec.indicators[res.dropped[r]]
        keep = [j for j, c in enumerate(spec.indicators) if c != dropped]
        expected = compute(X[:, keep], s.drop(dropped), opts)
        assert np.array_equal(res.ranks[r], expected.rank, equal_nan=True), (r, dropped)


def test_monte_carlo_rejects_incompatible_choices() -> None:
    with pytest.raises(ValueError, match="geometric"):
        uncertainty(
            _random_data(),
            tree_spec(),
            IndexOptions(),
            Assumptions(normalisations=("zscore",), aggregations=("geometric",)),
            runs=5,
            seed=0,
        )


# -- Sobol ---------------------------------------------------------------------------------------------------


def test_sobol_additive_model_matches_analytic() -> None:
    # Y = a·X1 + b·X2 with X ~ U(0, 1): S1 = a² / (a² + b²), S2 = b² / (a² + b²), no interactions
    a, b = 1.0, 2.0
    res = sobol_indices(lambda U: a * U[:, 0] + b * U[:, 1], 2, n=20000, seed=3)
    assert res.first == pytest.approx([0.2, 0.8], abs=0.03)
    assert res.total == pytest.approx([0.2, 0.8], abs=0.03)
    assert res.variance == pytest.approx((a * a + b * b) / 12, rel=0.05)


def test_sobol_interaction_model_matches_analytic() -> None:
    # Y = X1·X2: V = 7/144, V1 = V2 = 3/144 → S = 3/7, total = 4/7
    res = sobol_indices(lambda U: U[:, 0] * U[:, 1], 2, n=20000, seed=5, names=["x1", "x2"])
    assert res.first == pytest.approx([3 / 7, 3 / 7], abs=0.04)
    assert res.total == pytest.approx([4 / 7, 4 / 7], abs=0.04)
    assert set(res.as_dict()) == {"x1", "x2"}


def test_sobol_groups_of_inputs() -> None:
    res = sobol_indices(lambda U: U[:, 0] + U[:, 1] + 2 * U[:, 2], 3, n=20000, seed=9, groups=[[0, 1], [2]])
    assert res.first == pytest.approx([1 / 3, 2 / 3], abs=0.03)


def test_sensitivity_of_the_index() -> None:
    X = _random_data(n=60, seed=4)
    a = Assumptions(weights=0.4, normalisations=("minmax", "rank"), leave_one_out=True)
    res = sensitivity(X, tree_spec(), IndexOptions(), a, n=128, seed=11)
    assert res.factors == ("weights", "normalisation", "leave_one_out")
    assert res.n == 128 and res.variance > 0
    assert np.all(np.isfinite(res.first)) and np.all(res.total >= 0)
    assert np.all(res.total >= res.first - 0.15)
    again = sensitivity(X, tree_spec(), IndexOptions(), a, n=128, seed=11)
    assert np.array_equal(res.first, again.first)
    with pytest.raises(ValueError, match="no uncertain"):
        sensitivity(X, tree_spec(), IndexOptions(), Assumptions(), n=8, seed=0)
