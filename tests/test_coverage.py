"""Tests for tamasuk.analysis.coverage: hand-checked cases and property tests."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tamasuk.analysis.coverage import CoverageResult, Service, coverage, normalise_need

AREAS = ["N1", "N2", "N3", "N4"]


def test_neediest_area_without_service_ranks_first():
    # need (profile scores 0–100): N3 is the neediest and has no health service at all
    need = {"N1": 40, "N2": 70, "N3": 95, "N4": 10}
    pop = [1000, 2000, 1500, 500]
    services = [
        Service("clinic", "health", ("N1",), capacity=100),
        Service("hospital", "health", ("N2", "N4"), capacity=500),
    ]
    r = coverage(AREAS, pop, need, services, need_scale=(0, 100))
    assert r.sectors == ("health",)
    first = r.ranked[0]
    assert (first.area, first.sector) == ("N3", "health")
    assert first.gap == 1.0 and first.gap_rank == 1
    assert first.need_score == 1.0 and first.coverage_score == 0.0
    assert first.high_need_low_coverage
    assert "no_provider" in first.flags
    assert first.need == pytest.approx(0.95)


def test_capacity_split_by_population_by_hand():
    # 600 places over N1 (1,000 residents) and N2 (2,000): N1 gets 600·1000/3000 = 200, N2 gets 400
    # a second service of 100 places in N1 only: N1 has 300 places → 300 per 1,000; N2 400/2000 → 200
    pop = {"N1": 1000, "N2": 2000, "N3": 4000, "N4": 1000}
    services = [
        {"organisation": "a", "sector": "health", "areas": ["N1", "N2"], "capacity": 600, "reached": 300},
        {"organisation": "b", "sector": "health", "areas": ["N1"], "capacity": 100},
    ]
    r = coverage(AREAS, pop, [0.5, 0.5, 0.5, 0.5], services)
    n1, n2, n3 = r.row("N1", "health"), r.row("N2", "health"), r.row("N3", "health")
    assert n1.capacity == pytest.approx(300.0)
    assert n2.capacity == pytest.approx(400.0)
    assert n1.capacity_per_1000 == pytest.approx(300.0)
    assert n2.capacity_per_1000 == pytest.approx(200.0)
    assert n1.reached == pytest.approx(100.0) and n2.reached == pytest.approx(200.0)
    assert n2.reached_per_1000 == pytest.approx(100.0)
    assert (n1.providers, n1.services, n2.providers, n3.providers) == (2, 2, 1, 0)
    assert n3.capacity_per_1000 == 0.0
    # need is constant: every area shares the top need percentile (1); coverage percentile N3/N4 0,
    # N2 2/3, N1 1 → gaps 0, 1/3, 1, 1
    assert [r.row(a, "health").gap for a in AREAS] == pytest.approx([0.0, 1 / 3, 1.0, 1.0])
    assert np.allclose(r.capacity_per_1000[:, 0], [300, 200, 0, 0])


def test_area_without_population_gets_no_share_and_no_gap():
    pop = [1000, None, 0, 3000]
    services = [Service("a", "food", ("N1", "N2", "N3", "N4"), capacity=400)]
    r = coverage(AREAS, pop, [0.9, 1.0, 1.0, 0.1], services)
    assert r.row("N1", "food").capacity == pytest.approx(100.0)
    assert r.row("N4", "food").capacity == pytest.approx(300.0)
    for a in ("N2", "N3"):
        row = r.row(a, "food")
        assert row.capacity == 0.0 and math.isnan(row.capacity_per_1000) and math.isnan(row.gap)
        assert row.gap_rank is None and "no_population" in row.flags
        assert row.providers == 1  # present, but nobody lives there
    assert {(x.area, x.sector) for x in r.ranked} <= {("N1", "food"), ("N4", "food")}


def test_service_only_over_areas_without_population_is_split_equally():
    r = coverage(["a", "b", "c"], [0, 0, 100], [0.2, 0.3, 0.4], [Service("o", "s", ("a", "b"), capacity=10)])
    assert r.row("a", "s").capacity == 5.0 and r.row("b", "s").capacity == 5.0


def test_unknown_capacity_counts_presence_and_is_flagged():
    services = [
        Service("a", "psychosocial", ("N1",), capacity=None),
        Service("b", "psychosocial", ("N1",), capacity=50),
        Service("c", "psychosocial", ("N2",), capacity=None),
    ]
    r = coverage(AREAS, [1000] * 4, [0.1, 0.2, 0.3, 0.4], services)
    n1, n2 = r.row("N1", "psychosocial"), r.row("N2", "psychosocial")
    assert (n1.providers, n1.capacity_unknown, n1.capacity) == (2, 1, 50.0)
    assert (n2.providers, n2.capacity_unknown, n2.capacity) == (1, 1, 0.0)
    assert "capacity_unknown" in n1.flags and "capacity_unknown" in n2.flags
    assert "no_provider" not in n2.flags
    # counted by presence instead
    p = coverage(AREAS, [1000] * 4, [0.1, 0.2, 0.3, 0.4], services, measure="providers")
    assert p.row("N2", "psychosocial").coverage_score > p.row("N3", "psychosocial").coverage_score


def test_percentile_formulas_and_classes():
    # 5 areas, distinct need 0..4, coverage with a tie at 0 for three areas
    areas = list("abcde")
    services = [Service("o", "s", ("d",), capacity=10), Service("o", "s", ("e",), capacity=20)]
    r = coverage(areas, [1000] * 5, [0.0, 0.25, 0.5, 0.75, 1.0], services)
    N = [r.row(a, "s").need_score for a in areas]
    C = [r.row(a, "s").coverage_score for a in areas]
    assert N == pytest.approx([0, 0.25, 0.5, 0.75, 1.0])
    assert C == pytest.approx([0, 0, 0, 0.75, 1.0])  # #{< x}/(m−1): d has 3 below of 4
    assert [r.row(a, "s").gap for a in areas] == pytest.approx([0, 0.25, 0.5, 0.1875, 0.0])
    assert [x.area for x in r.ranked] == ["c", "b", "d"]
    assert r.row("c", "s").need_class == "medium" and r.row("c", "s").coverage_class == "low"
    assert r.row("e", "s").need_class == "high" and r.row("e", "s").coverage_class == "high"
    # need as value and an absolute coverage target of 15 per 1,000
    v = coverage(
        areas, [1000] * 5, [0.0, 0.25, 0.5, 0.75, 1.0], services, need_as="value", coverage_target=15
    )
    assert [v.row(a, "s").coverage_score for a in areas] == pytest.approx([0, 0, 0, 10 / 15, 1.0])
    assert v.row("d", "s").gap == pytest.approx(0.75 * (1 - 10 / 15))


def test_need_scales_and_direction():
    assert normalise_need([10, 20, 30], scale="minmax").tolist() == [0.0, 0.5, 1.0]
    assert normalise_need([10, 20, 30], scale="minmax", direction=-1).tolist() == [1.0, 0.5, 0.0]
    assert normalise_need([50, 150, -5], scale=(0, 100)).tolist() == [0.5, 1.0, 0.0]
    assert normalise_need([7, 7], scale="minmax", direction=-1).tolist() == [1.0, 1.0]
    out = normalise_need([1.0, None, 3.0], scale="minmax")
    assert out[0] == 0 and math.isnan(out[1]) and out[2] == 1
    with pytest.raises(ValueError, match="need_scale=\\(0, 100\\)"):
        coverage(["a"], [1], [55], [])
    r = coverage(["a", "b"], [1, 1], [60, None], [], sectors=["health"], need_scale=(0, 100))
    assert "no_need" in r.row("b", "health").flags and math.isnan(r.row("b", "health").gap)
    # a 2-D need, one column per sector
    r2 = coverage(["a", "b"], [1, 1], np.array([[0.9, 0.1], [0.1, 0.9]]), [], sectors=["x", "y"])
    assert [(x.area, x.sector) for x in r2.ranked] == [("a", "x"), ("b", "y")]


def test_errors_name_the_service_and_skipped_sectors():
    with pytest.raises(ValueError, match="service 0 .*'nowhere'"):
        coverage(AREAS, [1] * 4, [0] * 4, [Service("o", "s", ("nowhere",), 1)])
    with pytest.raises(ValueError, match="capacity -1"):
        coverage(AREAS, [1] * 4, [0] * 4, [Service("o", "s", ("N1",), -1)])
    with pytest.raises(ValueError, match="covers no areas"):
        coverage(AREAS, [1] * 4, [0] * 4, [{"organisation": "o", "sector": "s", "areas": []}])
    with pytest.raises(ValueError, match="4 values"):
        coverage(AREAS, [1] * 4, [0] * 3, [])
    r = coverage(
        AREAS, [1] * 4, [0] * 4, [Service("o", "s", ("N1",), 1), Service("o", "t", ("N1",), 1)], ["s"]
    )
    assert r.sectors == ("s",) and r.skipped_services == 1
    assert isinstance(r, CoverageResult) and len(r.rows) == 4
    with pytest.raises(ValueError, match="read-only"):
        r.gap[0, 0] = 1.0


# ---------------------------------------------------------------------------------------------------
# properties
# ---------------------------------------------------------------------------------------------------


@st.composite
def scenarios(draw):
    n = draw(st.integers(1, 7))
    areas = [f"a{i}" for i in range(n)]
    pop = draw(st.lists(st.one_of(st.none(), st.integers(0, 5000)), min_size=n, max_size=n))
    need = draw(st.lists(st.one_of(st.none(), st.floats(0, 1)), min_size=n, max_size=n))
    sectors = ["health", "food"]
    services = []
    for q in range(draw(st.integers(0, 8))):
        cov = draw(st.lists(st.sampled_from(areas), min_size=1, max_size=n))
        cap = draw(st.one_of(st.none(), st.integers(0, 1000), st.floats(0, 1000)))
        services.append(Service(f"o{q % 3}", draw(st.sampled_from(sectors)), tuple(cov), cap))
    return areas, pop, need, sectors, services


OPTIONS = st.sampled_from(
    [
        {},
        {"need_as": "value"},
        {"coverage_target": 25.0},
        {"measure": "providers"},
        {"measure": "reached"},
    ]
)


@settings(max_examples=150, deadline=None)
@given(scenarios(), OPTIONS)
def test_gap_scores_lie_in_unit_interval(sc, opts):
    areas, pop, need, sectors, services = sc
    r = coverage(areas, pop, need, services, sectors, **opts)
    for row in r.rows:
        if "no_population" in row.flags or "no_need" in row.flags:
            assert math.isnan(row.gap)
        else:
            assert 0.0 <= row.gap <= 1.0
            assert row.gap == pytest.approx(row.need_score * (1 - row.coverage_score))
    gaps = [x.gap for x in r.ranked]
    assert gaps == sorted(gaps, reverse=True) and all(g > 0 for g in gaps)


@settings(max_examples=150, deadline=None)
@given(scenarios(), OPTIONS, st.data())
def test_more_capacity_never_raises_the_gap(sc, opts, data):
    areas, pop, need, sectors, services = sc
    a = data.draw(st.sampled_from(areas))
    s = data.draw(st.sampled_from(sectors))
    extra = data.draw(st.integers(1, 2000))
    before = coverage(areas, pop, need, services, sectors, **opts).row(a, s)
    after = coverage(areas, pop, need, [*services, Service("new", s, (a,), extra)], sectors, **opts).row(a, s)
    if math.isnan(before.gap):
        assert math.isnan(after.gap)
    else:
        assert after.gap <= before.gap + 1e-12
        assert after.capacity >= before.capacity
