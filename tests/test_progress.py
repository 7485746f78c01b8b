"""Progress of an indicator from its baseline toward its target (analysis.progress): the one rule every surface
uses. Property tests over random baselines, targets, values and both directions."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tamasuk.analysis.progress import State, progress

numbers = st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False, allow_infinity=False)
directions = st.sampled_from([True, False])


def better(a, b, up: bool) -> bool:
    """a is strictly better than b in the indicator's direction."""
    return a > b if up else a < b


def test_the_cases_from_the_issue_read_as_failures_not_as_120_percent():
    # youth unemployment rising from 34.8 to 38.6 against a target of 32.3
    assert progress(value=38.6, target=32.3, baseline=34.8, higher_is_better=False).state == State.MOVING_AWAY
    assert progress(value=38.6, target=32.3, baseline=34.8, higher_is_better=False).percent is None
    # food insecurity 23 against a target of 20.9 from a baseline of 22
    p = progress(value=23, target=20.9, baseline=22, higher_is_better=False)
    assert p.state == State.MOVING_AWAY and p.percent is None
    # half-way down: 52 % of the way from 34.8 to 32.3
    assert progress(value=33.5, target=32.3, baseline=34.8, higher_is_better=False).percent == 52


@settings(max_examples=1500, deadline=None)
@given(value=numbers, target=numbers, baseline=st.one_of(st.none(), numbers), up=directions)
def test_progress_never_shows_a_positive_percentage_for_a_value_worse_than_the_baseline(value, target, baseline, up):
    p = progress(value=value, target=target, baseline=baseline, higher_is_better=up)
    assert p.percent is None or 0 <= p.percent <= 100
    assert (p.percent == 100) == (p.state == State.ACHIEVED)
    # reached ⇔ at the target or beyond it in the good direction
    assert p.reached == (value == target or better(value, target, up))
    if baseline is not None and better(baseline, value, up) and not p.reached:
        assert p.state == State.MOVING_AWAY and p.percent is None and p.share is None
    if p.state == State.TOWARDS:
        # strictly between the baseline and the target, and the share says how far along
        assert better(value, baseline, up) and better(target, value, up)
        exact = (value - baseline) / (target - baseline)
        assert 0 <= p.share <= float(exact) + 1e-9
        assert p.percent == int(exact * 100) or (p.percent == 99 and exact * 100 >= 99)
    if p.state == State.NO_CHANGE:
        assert value == baseline and p.percent == 0


@settings(max_examples=1000, deadline=None)
@given(baseline=numbers, target=numbers, a=numbers, b=numbers, up=directions)
def test_a_better_value_never_shows_less_progress(baseline, target, a, b, up):
    assume(better(a, b, up))
    pa = progress(value=a, target=target, baseline=baseline, higher_is_better=up)
    pb = progress(value=b, target=target, baseline=baseline, higher_is_better=up)

    def rank(p):
        return -1 if p.state == State.MOVING_AWAY else p.share

    assert rank(pa) >= rank(pb)


@settings(max_examples=1000, deadline=None)
@given(value=numbers, target=numbers, baseline=numbers)
def test_an_indicator_and_its_mirror_image_show_the_same_progress(value, target, baseline):
    """Youth unemployment falling is the same progress as employment rising by the same amounts."""
    down = progress(value=value, target=target, baseline=baseline, higher_is_better=False)
    up = progress(value=-value, target=-target, baseline=-baseline, higher_is_better=True)
    assert (down.state, down.percent) == (up.state, up.percent)


@settings(max_examples=1000, deadline=None)
@given(value=numbers, target=numbers, baseline=numbers)
def test_an_unknown_direction_is_read_from_the_baseline_and_the_target(value, target, baseline):
    unknown = progress(value=value, target=target, baseline=baseline, higher_is_better=None)
    if baseline == target:
        assert unknown.state == (State.ACHIEVED if value == target else State.UNKNOWN_DIRECTION)
        assert unknown.percent in (None, 100)
    else:
        known = progress(value=value, target=target, baseline=baseline, higher_is_better=target > baseline)
        assert (unknown.state, unknown.percent) == (known.state, known.percent)


def test_edge_cases():
    # baseline == target: holding the line is achieving it, slipping is moving away
    assert progress(value=5, target=5, baseline=5).state == State.ACHIEVED
    assert progress(value=4, target=5, baseline=5).state == State.MOVING_AWAY
    # past the target in the right direction: reached, capped at 100 %
    assert progress(value=500, target=100, baseline=0).percent == 100
    assert progress(value=1, target=10, baseline=50, higher_is_better=False).percent == 100
    # no baseline: reached or not, but no share of a way that has no start
    assert progress(value=3, target=10, baseline=None).state == State.NOT_REACHED
    assert progress(value=3, target=10, baseline=None).percent is None
    # a "lower is better" target above the baseline is a ceiling: under it is achieved
    assert progress(value=35, target=36, baseline=34.8, higher_is_better=False).reached
    assert progress(value=37, target=36, baseline=34.8, higher_is_better=False).state == State.MOVING_AWAY
    # just short of the target is not 100 %; decimals do not round 29 % down to 28
    assert progress(value=Decimal("99.99"), target=100, baseline=0).percent == 99
    assert progress(value=0.29, target=1, baseline=0).percent == 29
    assert progress(value=None, target=1).state == State.NO_VALUE
    assert progress(value=1, target=None).state == State.NO_TARGET
