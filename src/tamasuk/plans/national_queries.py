"""Reads for the national level: a country's National Action Plans, and what its cities share with its liaisons.

Who reads a country's National Action Plan: whoever may edit it (its national liaisons, administrators of its
cities) and anyone working in one of its cities, since they align their plans to it. The national view itself
(plans shared at the national level, the heatmap of activities against national pillars, the roll-ups of people
reached) is for the country's national liaisons only: queries.national_plans decides that.

Roll-ups are counts of people leaving the city team, so every count passes small-cell suppression
(analysis.disclosure) at the strictest threshold k of the cities that contribute.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied
from django.http import Http404

from tamasuk.analysis.disclosure import DisclosureError, suppress
from tamasuk.analysis.heatmap import count_by_column
from tamasuk.cities.permissions import may_read_framework

from . import queries
from .models import Activity, ActivityStatus, Actual, NationalFramework, NationalPillar, Plan, PlanIndicator

COUNTRY_RE = re.compile(r"^[A-Z]{3}$")
NOT_LINKED = None  # the roll-up row of indicators that serve no national pillar


def frameworks(user, country: str):
    if not COUNTRY_RE.match(country):
        raise Http404
    if not may_read_framework(user, country):
        raise PermissionDenied
    return queries.frameworks(user, country)


def framework(user, country: str, pk: int) -> NationalFramework:
    found = frameworks(user, country).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


# ---- the national view ----

@dataclass
class HeatmapData:
    plans: list[Plan]
    pillars: list[NationalPillar]
    counts: list[list[int]]
    unaligned: list[int]  # per plan: activities serving none of the framework's pillars


@dataclass
class Breakdown:
    """One published table: rows are the roll-up's rows, columns the categories of one dimension."""

    dimension: str  # "sex" or "age_band"
    columns: list[str]  # category keys; "" is "not recorded"
    cells: list[list[int | str]]
    row_totals: list[int | str]
    col_totals: list[int | str]
    total: int | str


@dataclass
class Rollup:
    year: int | None
    years: list[int]
    k: int
    rows: list[NationalPillar | None]
    indicators: int = 0
    plans: int = 0
    totals: list[int | str] = field(default_factory=list)
    total: int | str = 0
    breakdowns: list[Breakdown] = field(default_factory=list)
    withheld: list[str] = field(default_factory=list)  # dimensions not published (see _rollup)
    refused: bool = False  # the table cannot be published safely at this k


@dataclass
class NationalOverview:
    country: str
    plans: list[Plan]
    frameworks: list[NationalFramework]
    framework: NationalFramework | None
    heatmap: HeatmapData | None
    rollup: Rollup | None


def national_overview(user, country: str, *, framework_pk: int | None = None,
                      year: int | None = None) -> NationalOverview:
    """What a national liaison of `country` sees; PermissionDenied for anyone else."""
    shared = list(queries.national_plans(user, country))
    used = {p.framework_id for p in shared if p.framework_id}
    available = list(NationalFramework.objects.filter(country=country).prefetch_related("pillars"))
    aligned = [f for f in available if f.pk in used]
    chosen = next((f for f in aligned if f.pk == framework_pk), None) or (aligned[0] if aligned else None)
    if chosen is None:
        return NationalOverview(country, shared, aligned, None, None, None)
    plans = [p for p in shared if p.framework_id == chosen.pk]
    pillars = list(chosen.pillars.all())
    return NationalOverview(country, shared, aligned, chosen, _heatmap(plans, pillars),
                            _rollup(plans, pillars, year))


def _heatmap(plans: list[Plan], pillars: list[NationalPillar]) -> HeatmapData:
    """Activities of each plan's current structure that are not cancelled, counted per national pillar served."""
    served: dict[int, list[set[int]]] = {p.pk: [] for p in plans}
    activities = (Activity.objects.filter(plan__in=plans).exclude(status=ActivityStatus.CANCELLED)
                  .prefetch_related("national_pillars"))
    for a in activities:
        served[a.plan_id].append({np.pk for np in a.national_pillars.all()})
    keys = [p.pk for p in pillars]
    counts = count_by_column([served[p.pk] for p in plans], keys)
    unaligned = [sum(1 for s in served[p.pk] if not s & set(keys)) for p in plans]
    return HeatmapData(plans, pillars, counts, unaligned)


def _whole(value: Decimal) -> int:
    return int(Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _people(actuals: list[Actual]) -> tuple[int, dict[str, int], dict[str, int]]:
    """An indicator's count for a year as (total, by sex, by age band), whichever cells were recorded.

    Marginal cells (sex only, age band only) are used when recorded, else sums of the sex × age band cells. The
    total is the largest of what the recorded cells say, so that "not recorded" is never negative.
    """
    total = by_group = 0
    sex: dict[str, int] = {}
    age: dict[str, int] = {}
    cross_sex: dict[str, int] = {}
    cross_age: dict[str, int] = {}
    for a in actuals:
        v = _whole(a.value)
        if a.group:
            if not (a.sex or a.age_band):
                by_group += v
        elif a.sex and a.age_band:
            cross_sex[a.sex] = cross_sex.get(a.sex, 0) + v
            cross_age[a.age_band] = cross_age.get(a.age_band, 0) + v
        elif a.sex:
            sex[a.sex] = sex.get(a.sex, 0) + v
        elif a.age_band:
            age[a.age_band] = age.get(a.age_band, 0) + v
        else:
            total += v
    sex = sex or cross_sex
    age = age or cross_age
    return max(total, sum(sex.values()), sum(age.values()), by_group), sex, age


def _band_key(band: str):
    digits = re.match(r"\d+", band)
    return (int(digits.group()) if digits else 10**6, band)


def _rollup(plans: list[Plan], pillars: list[NationalPillar], year: int | None) -> Rollup:
    """People counted by the plans' indicators (counts_people) in one year, by the national pillar served.

    An indicator of an activity counts under every national pillar the activity serves (so the sum of the rows
    can count someone twice); indicators of objectives, of the plan, or of an activity serving no national pillar
    go in the "not linked" row. Tables by sex and by age band are suppressed one by one; both share the rows'
    totals, so the second is published only if every row total and the grand total were published in both:
    then each table is protected on its own (the published totals are all they have in common).
    """
    k = max((p.city.suppression_k for p in plans), default=5)
    rows: list[NationalPillar | None] = [*pillars, NOT_LINKED]
    indicators = list(PlanIndicator.objects.filter(plan__in=plans, counts_people=True)
                      .select_related("activity").prefetch_related("activity__national_pillars"))
    actuals: dict[int, dict[int, list[Actual]]] = {}
    for a in Actual.objects.filter(indicator__in=indicators):
        actuals.setdefault(a.year, {}).setdefault(a.indicator_id, []).append(a)
    years = sorted(actuals, reverse=True)
    if year not in actuals:
        year = years[0] if years else None
    result = Rollup(year=year, years=years, k=k, rows=rows)
    if year is None:
        return result
    row_of = {p.pk: i for i, p in enumerate(pillars)}
    n = len(rows)
    totals = [0] * n
    by_sex = [dict() for _ in range(n)]
    by_age = [dict() for _ in range(n)]
    counted = [i for i in indicators if i.pk in actuals[year]]
    for indicator in counted:
        total, sex, age = _people(actuals[year][indicator.pk])
        served = [row_of[p.pk] for p in indicator.activity.national_pillars.all() if p.pk in row_of] \
            if indicator.activity else []
        for r in served or [n - 1]:
            totals[r] += total
            for cells, known in ((by_sex[r], sex), (by_age[r], age)):
                for key, v in known.items():
                    cells[key] = cells.get(key, 0) + v
                cells[""] = cells.get("", 0) + total - sum(known.values())
    result.indicators = len(counted)
    result.plans = len({i.plan_id for i in counted})
    tables = []
    for dimension, cells, order in (("sex", by_sex, ["f", "m"]),
                                    ("age_band", by_age, sorted({b for c in by_age for b in c if b}, key=_band_key))):
        columns = [c for c in order if any(row.get(c) for row in cells)]
        if not columns:
            continue  # nobody recorded this dimension: the totals say everything there is
        if any(row.get("") for row in cells):
            columns.append("")
        tables.append((dimension, columns, [[row.get(c, 0) for c in columns] for row in cells]))
    try:
        if not tables:
            published = suppress(totals, k=k)
            result.totals, result.total = list(published.cells), published.total
            return result
        first, shared_hidden = None, False
        for dimension, columns, matrix in tables:
            published = suppress(matrix, k=k)
            hidden = bool(published.row_totals_suppressed.any() or published.total_suppressed)
            if first is not None and (hidden or shared_hidden):
                result.withheld.append(dimension)
                continue
            first = first or published
            shared_hidden = shared_hidden or hidden
            result.breakdowns.append(Breakdown(dimension, columns, [list(r) for r in published.cells],
                                               list(published.row_totals), list(published.col_totals),
                                               published.total))
        result.totals, result.total = list(first.row_totals), first.total
    except DisclosureError:
        result.refused, result.breakdowns, result.withheld = True, [], []
    return result
