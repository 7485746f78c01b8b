"""Reads for the national level: a country's National Action Plans, and what its cities share with its liaisons.

Who reads a country's National Action Plan: whoever may edit it (its national liaisons, administrators of its
cities) and anyone working in one of its cities, since they align their plans to it. The national view itself
(plans shared at the national level, the heatmap of activities against national pillars, the roll-ups of people
reached) is for the country's national liaisons only: queries.national_plans decides that.

Roll-ups are counts of people leaving the city team: they add up what each city publishes at the national level
(cities/publication.py), never the numbers as recorded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied
from django.http import Http404

from tamasuk.analysis.heatmap import count_by_column
from tamasuk.cities import publication
from tamasuk.cities.permissions import may_read_framework

from . import queries
from .models import Activity, ActivityStatus, NationalFramework, NationalPillar, Plan, PlanIndicator

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


def _count(shown) -> int | str | None:
    """A published count as a whole number, or its marker; None if withheld."""
    if shown is None or isinstance(shown, str):
        return shown
    return int(Decimal(shown).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _people(cells: list[publication.Cell], margins: dict) -> tuple[object, dict[str, object], dict[str, object]]:
    """An indicator's published count for a year as (total, by sex, by age band): each a whole number, a marker,
    or None (withheld). Cells of one dimension alone are used when recorded, else the margins the sex × age band
    crossing was published with."""
    total = None
    sex: dict[str, list] = {}
    age: dict[str, list] = {}
    cross_sex: dict[str, list] = {}
    cross_age: dict[str, list] = {}
    for c in cells:
        d, v = c.dimensions, _count(c.shown)
        if not d:
            total = v
        elif "group" in d:
            continue
        elif "sex" in d and "age_band" in d:
            cross_sex.setdefault(d["sex"], []).append(v)
            cross_age.setdefault(d["age_band"], []).append(v)
        elif "sex" in d:
            sex.setdefault(d["sex"], []).append(v)
        elif "age_band" in d:
            age.setdefault(d["age_band"], []).append(v)
    crossed = {dim: {label: _count(v) for (d, label), v in margins.items() if d == dim} for dim in ("sex", "age_band")}
    if cross_sex and not sex:
        sex = {label: [crossed["sex"].get(label)] for label in cross_sex}
    if cross_age and not age:
        age = {label: [crossed["age_band"].get(label)] for label in cross_age}
    return total, {k: _sum(v) for k, v in sex.items()}, {k: _sum(v) for k, v in age.items()}


def _sum(values: list):
    """A sum of published counts: a number when every part is one; a lone marker among zeros stays that marker
    (its range is the sum's); anything else is withheld ("–"), since it would add up hidden counts."""
    if all(isinstance(v, int) for v in values):
        return sum(values)
    hidden = [v for v in values if not isinstance(v, int)]
    if len(hidden) == 1 and hidden[0] is not None and all(v == 0 for v in values if isinstance(v, int)):
        return hidden[0]
    return WITHHELD


WITHHELD = "–"


def _band_key(band: str):
    digits = re.match(r"\d+", band)
    return (int(digits.group()) if digits else 10**6, band)


def _rollup(plans: list[Plan], pillars: list[NationalPillar], year: int | None) -> Rollup:
    """People counted by the plans' indicators (counts_people) in one year, by the national pillar served.

    An indicator of an activity counts under every national pillar the activity serves (so the sum of the rows
    can count someone twice); indicators of objectives, of the plan, or of an activity serving no national pillar
    go in the "not linked" row. Every number is a sum of counts as each city publishes them at the national level
    (cities/publication.py): a sum that would include a hidden count is withheld, so the roll-up tells a liaison
    nothing that the plans' own pages do not, and no hidden count can be worked out by combining them.
    """
    k = max((publication.threshold(p.city) for p in plans), default=5)
    rows: list[NationalPillar | None] = [*pillars, NOT_LINKED]
    indicators = list(PlanIndicator.objects.filter(plan__in=plans, counts_people=True)
                      .select_related("activity").prefetch_related("activity__national_pillars"))
    published = {}
    for p in plans:
        published.update(publication.plan_values(p, publication.Audience.NATIONAL))
    years = sorted({y for i in indicators for y in published[i.pk].years}, reverse=True)
    if year not in years:
        year = years[0] if years else None
    result = Rollup(year=year, years=years, k=k, rows=rows)
    if year is None:
        return result
    row_of = {p.pk: i for i, p in enumerate(pillars)}
    n = len(rows)
    totals: list[list] = [[] for _ in range(n)]
    by_sex: list[dict[str, list]] = [{} for _ in range(n)]
    by_age: list[dict[str, list]] = [{} for _ in range(n)]
    counted = [i for i in indicators if published[i.pk].years.get(year)]
    for indicator in counted:
        total, sex, age = _people(published[indicator.pk].years[year], published[indicator.pk].margins.get(year, {}))
        served = [row_of[p.pk] for p in indicator.activity.national_pillars.all() if p.pk in row_of] \
            if indicator.activity else []
        for r in served or [n - 1]:
            totals[r].append(total)
            for cells, known in ((by_sex[r], sex), (by_age[r], age)):
                for key, v in known.items():
                    cells.setdefault(key, []).append(v)
                rest = _sum([total, *(-x if isinstance(x, int) else x for x in known.values())]) \
                    if known else total
                cells.setdefault("", []).append(rest)
    result.indicators = len(counted)
    result.plans = len({i.plan_id for i in counted})
    row_totals = [_sum(t) for t in totals]
    result.totals, result.total = row_totals, _sum(row_totals)
    for dimension, cells, order in (("sex", by_sex, ["f", "m"]),
                                    ("age_band", by_age, sorted({b for c in by_age for b in c if b}, key=_band_key))):
        columns = [c for c in order if any(row.get(c) for row in cells)]
        if not columns:
            continue  # nobody recorded this dimension: the totals say everything there is
        if any(_sum(row.get("", [])) not in (0, None) for row in cells if row.get("")):
            columns.append("")
        matrix = [[_sum(row.get(c, [])) for c in columns] for row in cells]
        result.breakdowns.append(Breakdown(dimension, columns, matrix, row_totals,
                                           [_sum([m[j] for m in matrix]) for j in range(len(columns))], result.total))
    return result
