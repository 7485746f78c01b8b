"""How far an indicator has come from its baseline toward its target: the one rule every surface uses (the plan
page, its dashboard and charts, the API, the review report and the IATI export). No Django.

    p = progress(value=33.5, target=32.3, baseline=34.8, higher_is_better=False)
    p.state == State.TOWARDS and p.percent == 52          # 52 % of the way from 34.8 down to 32.3

Dividing the value by the target reads a "lower is better" indicator backwards (youth unemployment rising from
34.8 to 38.6 against a target of 32.3 would be "120 %"). Progress is measured instead on the way from the
baseline (0 %) to the target (100 %), in the indicator's direction:

- the value is at the target or beyond it in the good direction → ``ACHIEVED`` (100 %, never more);
- between the baseline and the target → ``TOWARDS`` with the share of the way, rounded *down* (99.9 % of the way
  is not the target: only ``ACHIEVED`` shows 100 %);
- at the baseline → ``NO_CHANGE`` (0 %);
- on the wrong side of the baseline (or, when the baseline was already at or beyond the target, on the wrong
  side of the target) → ``MOVING_AWAY``, with no percentage at all: a negative share is not a result to show;
- below the target with no baseline to measure from → ``NOT_REACHED`` (no percentage);
- no value or no target → ``NO_VALUE`` / ``NO_TARGET``.

Direction: ``higher_is_better`` True or False is the indicator's own statement and wins (a "lower is better"
target above the baseline is a ceiling: staying under it is achieving it). When the direction is not known
(None) it is read from the baseline and the target when they differ (a target below the baseline means lower
is better); when that cannot be read either, only a value exactly at the target says anything
(``UNKNOWN_DIRECTION`` otherwise).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal, InvalidOperation

__all__ = ["Progress", "State", "progress"]


class State(enum.StrEnum):
    NO_VALUE = "no_value"
    NO_TARGET = "no_target"
    ACHIEVED = "achieved"
    TOWARDS = "towards"
    NO_CHANGE = "no_change"
    MOVING_AWAY = "moving_away"
    NOT_REACHED = "not_reached"
    UNKNOWN_DIRECTION = "unknown_direction"


@dataclass(frozen=True)
class Progress:
    """``share`` is the fraction of the way from the baseline to the target: 1.0 when achieved, in [0, 1) when
    on the way or unchanged, None whenever no fraction may be shown (moving away, no baseline, unknown)."""

    state: State
    share: float | None = None
    higher_is_better: bool | None = None  # the direction the rule used (None: unknown)
    percent: int | None = None  # whole percent of the way, rounded down: only an achieved target shows 100

    @property
    def reached(self) -> bool:
        return self.state == State.ACHIEVED

    @property
    def measured(self) -> bool:
        """There was a value and a target to compare."""
        return self.state not in (State.NO_VALUE, State.NO_TARGET)


def _decimal(x) -> Decimal | None:
    if x is None:
        return None
    if isinstance(x, Decimal):
        d = x
    else:
        try:
            d = Decimal(str(x))
        except (InvalidOperation, ValueError) as exc:
            raise ValueError(f"not a number: {x!r}") from exc
    if not d.is_finite():
        raise ValueError(f"not a finite number: {x!r}")
    return d


def progress(*, value, target, baseline=None, higher_is_better: bool | None = True) -> Progress:
    """The rule of the module docstring. Numbers may be int, float or Decimal; they are compared exactly."""
    v, t, b = _decimal(value), _decimal(target), _decimal(baseline)
    if v is None:
        return Progress(State.NO_VALUE, None, higher_is_better)
    if t is None:
        return Progress(State.NO_TARGET, None, higher_is_better)
    up = higher_is_better
    if up is None and b is not None and b != t:
        up = t > b  # the plan's own numbers say which way it must move
    if up is None:
        return Progress(State.ACHIEVED, 1.0, None, 100) if v == t else Progress(State.UNKNOWN_DIRECTION, None, None)
    sign = 1 if up else -1
    if sign * (v - t) >= 0:
        return Progress(State.ACHIEVED, 1.0, up, 100)
    if b is None:
        return Progress(State.NOT_REACHED, None, up)
    gap = sign * (t - b)  # how far the baseline was from the target, in the good direction
    if gap <= 0:  # the baseline already met the target: falling short of it now is moving away
        return Progress(State.MOVING_AWAY, None, up)
    moved = sign * (v - b)
    if moved < 0:
        return Progress(State.MOVING_AWAY, None, up)
    if moved == 0:
        return Progress(State.NO_CHANGE, 0.0, up, 0)
    # Rounded down, in decimals: a float would round a value just short of the target up to 1.0 (and 0.29 × 100
    # down to 28).
    share = min((moved / gap).quantize(Decimal("0.0001"), rounding=ROUND_FLOOR), Decimal("0.9999"))
    return Progress(State.TOWARDS, float(share), up, int((share * 100).to_integral_value(rounding=ROUND_FLOOR)))
