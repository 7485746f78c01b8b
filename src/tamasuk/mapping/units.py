"""What an indicator's unit says a value may be: the range checks of an import.

An indicator's unit is free text ("%", "per 10,000 residents", "households", "score (0–10)"). This reads it
into one of a few kinds, so an import can refuse a share of 140 % or a count of -3 before anything is
written. A unit it cannot read ("KES", "years") is not checked: a wrong refusal is worse than none.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

PERCENT, RANGE, RATE, COUNT, OTHER = "percent", "range", "rate", "count", "other"

_NUMBER = r"\d{1,3}(?:[ ,.\u202f\u00a0]\d{3})+|\d+(?:\.\d+)?"
# A range the unit states: "score (0–10)", "scale of 1 to 5", "index 0-100"; not "survey 2020-2024".
_RANGE_RE = re.compile(
    rf"(?:\(|\b(?:scale|score|index|from|rating)\s*(?:of|from)?)\s*(-?(?:{_NUMBER}))\s*(?:–|—|-|to)\s*"
    rf"(-?(?:{_NUMBER}))", re.IGNORECASE)
_PER_RE = re.compile(rf"\bper\s+({_NUMBER})(?:\s*(k|000|thousand))?", re.IGNORECASE)
_PERCENT_RE = re.compile(r"%|\bper ?cent|\bpercentage|\bpourcentage|\basilimia|\bshare\b|\bproportion\b|٪|نسبة",
                         re.IGNORECASE)
# Things people count: a unit that names them, with no "per", is a count.
_COUNT_RE = re.compile(
    r"^\s*(?:number(?: of)?|count|#|no\.?|nombre|idadi|عدد)?\s*(?:of\s+)?"
    r"(?:people|persons?|individuals?|residents?|inhabitants?|households?|families|children|youth|young people|"
    r"women|men|girls|boys|members?|incidents?|cases?|reports?|events?|businesses|organi[sz]ations?|schools?|"
    r"services?|participants?|beneficiaries|count|number|units?|personnes|ménages|watu|kaya)?"
    r"(?:\s+(?:reached|recorded|registered|served|trained|surrendered|reported))?\s*$",
    re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class UnitRule:
    """``kind`` and, for ranges and rates, the bounds a value must lie within."""

    kind: str
    low: float | None = None
    high: float | None = None
    per: float | None = None


def _number(text: str) -> float:
    return float(re.sub(r"[ ,\u202f\u00a0]", "", text) if re.search(r"[ ,\u202f\u00a0]\d{3}", text)
                 else text.replace(",", "."))


def rule_for(unit: str) -> UnitRule:
    """The kind of values a unit allows (see the module documentation)."""
    text = " ".join((unit or "").split())
    if not text:
        return UnitRule(OTHER)
    m = _RANGE_RE.search(text)
    if m:
        low, high = _number(m.group(1)), _number(m.group(2))
        if low < high:
            return UnitRule(RANGE, low, high)
    m = _PER_RE.search(text)
    if m:
        per = _number(m.group(1)) * (1000 if m.group(2) else 1)
        return UnitRule(RATE, 0, per, per)
    if _PERCENT_RE.search(text):
        return UnitRule(PERCENT, 0, 100)
    if _COUNT_RE.match(text) and text.strip():
        return UnitRule(COUNT, 0)
    return UnitRule(OTHER)


def shown(value: float) -> str:
    """A value as the user typed it, near enough: 140, 12.5, -3."""
    return f"{value:.10g}"


def value_problem(rule: UnitRule, value: float, unit: str) -> str | None:
    """Why ``value`` cannot be a value of this unit, in the user's words; None when it can."""
    if rule.kind == PERCENT and not 0 <= value <= 100:
        return _("a share in per cent lies between 0 and 100 (the indicator's unit is “%(unit)s”)") % {"unit": unit}
    if rule.kind == RANGE and not rule.low <= value <= rule.high:
        return _("the indicator's unit “%(unit)s” allows values from %(low)s to %(high)s") % {
            "unit": unit, "low": shown(rule.low), "high": shown(rule.high)}
    if rule.kind == RATE and not 0 <= value <= rule.high:
        return _("a rate per %(per)s lies between 0 and %(per)s (the indicator's unit is “%(unit)s”)") % {
            "per": shown(rule.per), "unit": unit}
    if rule.kind == COUNT:
        if value < 0:
            return _("a count cannot be negative (the indicator's unit is “%(unit)s”)") % {"unit": unit}
        if not math.isclose(value, round(value), abs_tol=1e-9):
            return _("a count is a whole number (the indicator's unit is “%(unit)s”)") % {"unit": unit}
    return None


def describe(rule: UnitRule) -> str:
    """What the rule allows, for a template's notes."""
    if rule.kind == PERCENT:
        return _("per cent: 0 to 100")
    if rule.kind == RANGE:
        return _("from %(low)s to %(high)s") % {"low": shown(rule.low), "high": shown(rule.high)}
    if rule.kind == RATE:
        return _("a rate per %(per)s: 0 to %(per)s") % {"per": shown(rule.per)}
    if rule.kind == COUNT:
        return _("a count: a whole number, 0 or more")
    return _("any number")
