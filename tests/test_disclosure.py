"""Tests for tamasuk.analysis.disclosure (small-cell suppression).

The property tests attack every published table the way a reader could: with the published
numbers, the true totals and what each marker reveals ("<k" is 0..k-1, "x" is k or more, no count
is negative), a linear programme computes each hidden entry's feasible interval, which must have
width > 0. This check is written independently of the module's own audit.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from tamasuk.analysis.disclosure import DisclosureError, suppress

# ---------------------------------------------------------------------------------------------------
# an independent attacker
# ---------------------------------------------------------------------------------------------------


def _entries(res):
    """Published entries of a result, flattened as cells, row totals, column totals, grand total."""
    cells = list(res.cells.ravel())
    if res.cells.ndim == 1:
        return cells + [res.total]
    return cells + list(res.row_totals) + list(res.col_totals) + [res.total]


def _equations(shape):
    """(members, total) index lists in the same flattening as _entries."""
    if len(shape) == 1:
        n = shape[0]
        return [(list(range(n)), n)]
    R, C = shape
    rc = R * C
    cells = np.arange(rc).reshape(R, C)
    eqs = [(cells[r].tolist(), rc + r) for r in range(R)]
    eqs += [(cells[:, c].tolist(), rc + R + c) for c in range(C)]
    grand = rc + R + C
    eqs += [(list(range(rc, rc + R)), grand), (list(range(rc + R, rc + R + C)), grand)]
    return eqs


def _true_entries(table):
    t = np.asarray(table)
    if t.ndim == 1:
        return list(t) + [t.sum()]
    return list(t.ravel()) + list(t.sum(axis=1)) + list(t.sum(axis=0)) + [t.sum()]


def feasible_intervals(res, shape, pub=None):
    """For every hidden entry, (min, max) of its value over all tables consistent with ``res``."""
    pub = _entries(res) if pub is None else pub
    hidden = [i for i, v in enumerate(pub) if isinstance(v, str)]
    if not hidden:
        return {}
    pos = {e: j for j, e in enumerate(hidden)}
    rows, rhs = [], []
    for members, total in _equations(shape):
        a = np.zeros(len(hidden))
        b = 0.0
        for m in members:
            if m in pos:
                a[pos[m]] += 1
            else:
                b -= pub[m]
        if total in pos:
            a[pos[total]] -= 1
        else:
            b += pub[total]
        rows.append(a)
        rhs.append(b)
    A, b = np.array(rows), np.array(rhs)
    bounds = []
    for e in hidden:
        if pub[e] == res.marker:
            bounds.append((0, res.k - 1))
        else:
            assert pub[e] == res.complement_marker
            bounds.append((res.k, None))
    out = {}
    for j, e in enumerate(hidden):
        c = np.zeros(len(hidden))
        c[j] = 1
        lo = linprog(c, A_eq=A, b_eq=b, bounds=bounds, method="highs")
        hi = linprog(-c, A_eq=A, b_eq=b, bounds=bounds, method="highs")
        if hi.status not in (0, 3):  # HiGHS may not prove unboundedness: ask again with a huge cap
            hi = linprog(-c, A_eq=A, b_eq=b, bounds=[(a, 1e9 if z is None else z) for a, z in bounds],
                         method="highs")
        assert lo.status == 0, lo.message  # the true table is feasible
        upper = np.inf if hi.status == 3 else hi.x[j]
        out[e] = (lo.x[j], upper)
    return out


def assert_unprotectable(table, k):
    """Even with every entry hidden (honest markers), some entry is pinned: no suppression helps."""
    true = _true_entries(np.asarray(table))
    marker, other = f"<{k}", "x"
    pub = [marker if v < k else other for v in true]
    fake = SimpleNamespace(k=k, marker=marker, complement_marker=other)
    widths = [hi - lo for lo, hi in feasible_intervals(fake, np.shape(table), pub).values()]
    assert min(widths) < 0.5


def protect(table, k, **kw):
    """suppress(), accepting DisclosureError only for tables that really cannot be protected."""
    try:
        return suppress(table, k=k, **kw)
    except DisclosureError:
        assert_unprotectable(table, k)
        return None


def hidden_per_line(res, shape):
    pub = _entries(res)
    return [sum(isinstance(pub[i], str) for i in [*m, t]) for m, t in _equations(shape)]


def check_all_properties(table, res, k, zeros="publish"):
    t = np.asarray(table)
    shape = t.shape
    pub = _entries(res)
    true = _true_entries(t)
    n_cells = t.size
    for p, v in zip(pub, true, strict=True):
        if isinstance(p, str):
            # markers are honest
            assert p == (res.marker if v < k else res.complement_marker)
        else:
            # (c) published values are the true values; (d) for totals too
            assert p == v
            # (a) nothing published is a small count (zeros only when they are published)
            assert not (1 <= v < k)
            if zeros == "suppress":
                assert v >= k or k == 1
    # primary: exactly the small cells; complementary: disjoint and otherwise
    cells = t.ravel()
    small = (cells >= 1) & (cells < k) if zeros == "publish" or k == 1 else cells < k
    assert (res.primary.ravel() == small).all()
    assert not (res.primary & res.complementary).any()
    hidden_cells = np.array([isinstance(p, str) for p in pub[:n_cells]])
    assert (hidden_cells == (res.primary | res.complementary).ravel()).all()
    # (b) no line holds exactly one hidden entry
    assert all(c != 1 for c in hidden_per_line(res, shape))
    # (b) no hidden entry can be recovered: its feasible interval has positive width
    for e, (lo, hi) in feasible_intervals(res, shape).items():
        assert hi - lo > 0.5, (e, lo, hi)
        assert lo - 1e-6 <= true[e] <= hi + 1e-6


# ---------------------------------------------------------------------------------------------------
# examples
# ---------------------------------------------------------------------------------------------------


def test_one_dimensional_examples():
    r = suppress([3, 10, 20])
    assert r.cells.tolist() == ["<5", "x", 20]
    assert r.total == 33
    assert r.primary.tolist() == [True, False, False]
    assert r.complementary.tolist() == [False, True, False]
    assert r.rows() == [["<5"], ["x"], [20], [33]]
    # two small cells protect each other
    r = suppress([3, 2, 20])
    assert r.cells.tolist() == ["<5", "<5", 20] and r.total == 25
    assert not r.complementary.any()
    # a zero is the cheapest complement and is shown as "<5" (true: 0 < 5)
    r = suppress([0, 3, 0, 12])
    assert r.cells.tolist() == ["<5", "<5", 0, 12]
    assert r.complementary.tolist() == [True, False, False, False]
    # nothing to hide
    r = suppress([0, 5, 7])
    assert r.cells.tolist() == [0, 5, 7] and r.total == 12
    assert not r.suppressed.any()


def test_recovery_through_marker_bounds_is_prevented():
    # "<5" + "<5" = 8 would reveal 4 and 4, so one more entry must go
    r = suppress([4, 4, 10])
    assert r.cells.tolist() == ["<5", "<5", "x"] and r.total == 18
    # nothing left to hide in the line: the total goes, as a last resort
    r = suppress([4, 4])
    assert r.cells.tolist() == ["<5", "<5"]
    assert r.total == "x" and r.total_suppressed
    check_all_properties([4, 4], r, 5)


def test_small_totals_are_suppressed():
    r = suppress([3])
    assert r.cells.tolist() == ["<5"] and r.total == "<5"
    r = suppress([1, 1, 0])
    assert r.total == "<5"
    check_all_properties([1, 1, 0], r, 5)
    r = suppress([1, 2, 0], suppress_small_totals=False)
    assert r.total == 3


def test_two_dimensional_example_forms_a_cycle():
    table = [[3, 10, 20], [8, 9, 12], [6, 1, 30]]
    r = suppress(table)
    assert r.rows() == [
        ["<5", "x", 20, 33],
        [8, 9, 12, 29],
        ["x", "<5", 30, 37],
        [17, 20, 62, 99],
    ]
    assert r.primary.tolist() == [[True, False, False], [False, False, False], [False, True, False]]
    assert r.complementary.tolist() == [[False, True, False], [False, False, False], [True, False, False]]
    assert not r.row_totals_suppressed.any() and not r.col_totals_suppressed.any()
    assert not r.total_suppressed
    check_all_properties(table, r, 5)


def test_bridge_cell_is_not_left_recoverable():
    # two 2 × 2 blocks of small cells: a suppression pattern joined by a single cell would be
    # recoverable by adding and subtracting totals; the audit sees through that
    table = [
        [1, 2, 0, 0, 50],
        [2, 1, 9, 0, 50],
        [0, 0, 1, 2, 50],
        [0, 0, 2, 1, 50],
        [50, 50, 50, 50, 50],
    ]
    r = suppress(table)
    check_all_properties(table, r, 5)


def test_small_row_total_needs_another_hidden_total():
    table = [[0, 0, 3, 0], [10, 12, 8, 9], [7, 7, 7, 7], [20, 20, 20, 20]]
    r = suppress(table)
    assert r.row_totals[0] == "<5"
    assert r.row_totals_suppressed.sum() >= 2  # the grand total would give the small one away
    assert r.col_totals.tolist() == [37, 39, 38, 36] and r.total == 150
    check_all_properties(table, r, 5)


def test_zero_handling():
    table = [[0, 7, 9], [6, 0, 8]]
    assert suppress(table).cells.tolist() == [[0, 7, 9], [6, 0, 8]]
    r = suppress(table, zeros="suppress")
    assert r.primary.tolist() == [[True, False, False], [False, True, False]]
    assert r.cells[0, 0] == "<5" and r.cells[1, 1] == "<5"
    check_all_properties(table, r, 5, zeros="suppress")


def test_threshold_one_and_markers():
    r = suppress([1, 2, 3], k=1)
    assert r.cells.tolist() == [1, 2, 3] and not r.suppressed.any()
    r = suppress([3, 40, 50], k=10, complement_marker="c")
    assert r.marker == "<10"
    assert r.cells.tolist() == ["<10", "c", 50]


def test_deterministic():
    rng = np.random.default_rng(0)
    table = rng.poisson(4, size=(8, 5))
    a, b = suppress(table), suppress(table.copy())
    assert a.rows() == b.rows()
    assert (a.complementary == b.complementary).all()


def test_larger_table_is_protected():
    rng = np.random.default_rng(1)
    table = rng.poisson(rng.uniform(0.5, 15, size=(30, 1)) * np.array([1.0, 0.4, 0.2, 0.8, 0.1, 0.3]))
    r = suppress(table)
    check_all_properties(table, r, 5)
    # information loss stays moderate: complementary cells are mostly small ones
    assert r.complementary.sum() <= r.primary.sum() + 30


def test_bad_input():
    with pytest.raises(ValueError, match="negative"):
        suppress([1, -2, 3])
    with pytest.raises(ValueError, match="whole number"):
        suppress([1.5, 2])
    with pytest.raises(ValueError, match="whole number"):
        suppress([1, np.nan])
    with pytest.raises(ValueError, match="k must"):
        suppress([1, 2], k=0)
    with pytest.raises(ValueError, match="1-D or 2-D"):
        suppress(np.zeros((2, 2, 2), dtype=int))
    with pytest.raises(ValueError, match="1-D or 2-D"):
        suppress([])
    with pytest.raises(ValueError, match="zeros"):
        suppress([1, 2], zeros="maybe")
    with pytest.raises(ValueError, match="complement_marker"):
        suppress([1, 2], complement_marker="<5")
    assert suppress(np.array([3.0, 10.0, 20.0])).cells.tolist() == ["<5", "x", 20]


# ---------------------------------------------------------------------------------------------------
# properties
# ---------------------------------------------------------------------------------------------------

small_counts = st.integers(0, 12)


@settings(max_examples=300, deadline=None)
@given(
    table=st.lists(small_counts, min_size=1, max_size=12),
    k=st.integers(1, 8),
    zeros=st.sampled_from(["publish", "suppress"]),
)
def test_one_dimensional_properties(table, k, zeros):
    res = protect(table, k, zeros=zeros)
    if res is None:
        return
    check_all_properties(table, res, k, zeros)
    # the total is published unless it is small or no pair of cells can protect a small one
    if isinstance(res.total, str) and sum(table) >= k:
        assert any(1 <= v <= k - 1 or (zeros == "suppress" and v == 0) for v in table)


@st.composite
def tables_2d(draw):
    rows = draw(st.integers(1, 5))
    cols = draw(st.integers(1, 5))
    # mixtures of small and large counts, with some structure (rows of different sizes)
    scale = draw(st.lists(st.sampled_from([0, 1, 3, 8, 20]), min_size=rows, max_size=rows))
    cells = draw(
        st.lists(st.lists(st.integers(0, 25), min_size=cols, max_size=cols), min_size=rows, max_size=rows)
    )
    return [[min(c, s + c % 4) if s < 8 else c for c in row] for row, s in zip(cells, scale, strict=True)]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=tables_2d(), k=st.integers(1, 7), zeros=st.sampled_from(["publish", "suppress"]))
def test_two_dimensional_properties(table, k, zeros):
    res = protect(table, k, zeros=zeros)
    if res is None:
        return
    check_all_properties(table, res, k, zeros)
    t = np.asarray(table)
    assert res.cells.shape == t.shape
    assert res.row_totals.shape == (t.shape[0],) and res.col_totals.shape == (t.shape[1],)


@settings(max_examples=100, deadline=None)
@given(table=tables_2d(), k=st.integers(2, 7))
def test_transposing_gives_a_protected_table_too(table, k):
    t = np.asarray(table).T
    res = protect(t, k)
    if res is not None:
        check_all_properties(t, res, k)


@pytest.mark.parametrize("table", [[[1, 0], [1, 2]], [[1, 2], [3, 1]], [[1, 3], [2, 1]]])
def test_tables_no_rectangle_protects_go_through_the_audit(table):
    # with k = 3 no rectangle or path through totals can move these by one unit within the
    # markers' ranges; the linear-programming audit finds a larger pattern
    res = suppress(table, k=3)
    check_all_properties(table, res, 3)


def test_unprotectable_tables_are_refused():
    # k = 3: the column totals (3 and 3, shown as numbers) force a = b = 1 and c = d = 2 even with
    # everything hidden, because "<3" means at most 2 and "x" at least 3
    for table, k in (([[1, 1], [2, 2]], 3), ([1, 1], 2), ([[1, 1, 1], [3, 3, 3]], 4)):
        with pytest.raises(DisclosureError, match="coarser level"):
            suppress(table, k=k)
        assert_unprotectable(table, k)
    # a protectable neighbour of the first is fine
    res = suppress([[1, 1], [2, 5]], k=3)
    check_all_properties([[1, 1], [2, 5]], res, 3)


@settings(max_examples=60, deadline=None)
@given(table=tables_2d(), k=st.integers(5, 7))
def test_default_threshold_tables_are_always_publishable(table, k):
    # an exhaustive search over small tables found no unprotectable one at k = 5; random ones agree
    res = suppress(table, k=k)
    check_all_properties(table, res, k)


def test_a_table_on_which_the_solver_once_gave_up_is_still_protected():
    """HiGHS returned "model status unknown" on this table (an unbounded direction); it is decided now."""
    result = protect([[2, 1, 1, 2], [2, 1, 1, 2]], k=2)
    if result is not None:
        for row in result.suppressed:
            assert row.sum() == 0 or row.sum() >= 2
