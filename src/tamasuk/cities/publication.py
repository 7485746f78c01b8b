"""The one gate for every number and text that leaves the city team.

The permission layer (``permissions.py``) decides who may open a page; this layer decides what that page may
show to someone outside the city team. For a (city, dataset, audience) it computes what may be shown **once**,
on the finest table of the dataset with its margins (small-cell suppression with complementary cells,
``analysis.disclosure``, at the city's k), and every surface — pages, API, CSV/GeoJSON exports, PDFs, IATI,
HSDS, 3W, national and peer roll-ups, the public portal — reads slices of that one result. A slice of a
published table never reveals more than the table; an aggregate that is not one of the table's margins (a
sub-county's counts, a national pillar's people reached) is published only when every cell it adds up was
published, so it is a sum anyone could already do.

Nothing outside this module calls ``suppress`` or compares a number with ``suppression_k``.

Datasets
    report counts    finest areas × report categories, one table per calendar year; outside the city team only
                     the categories of open themes, and arbitrary date ranges never (two overlapping ranges
                     would give a day's counts by subtraction)
    series           indicators' values per area: not counts, so nothing is suppressed, but outside the city
                     team only indicators of open themes are shown (``series_open``)
    people counts    a plan indicator's yearly value with its cells by sex, age band and group, and its baseline
    service reach    people reached per service, women and men, with the total
    national roll-up sums of published people counts by national pillar

Audiences
    ``CITY_TEAM`` (admin, coordinator, analyst, auditor) reads everything as recorded; ``NETWORK`` (member focal
    points), ``NATIONAL``, ``PEER`` and ``PUBLIC`` read the same published tables, so two outsiders comparing
    notes learn nothing either did not.

Results are cached per dataset content (the raw table's fingerprint), so a page does not run the suppression
again until the data changes; the cache is per process and needs no invalidation.

The datasets' rows belong to the apps above cities (mapping's reports and themes, network's services, plans'
indicators): each app hands this layer the readers of its rows from its AppConfig.ready() (:func:`provide`,
:data:`SOURCES`), so the layer decides what may be published without importing them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from enum import StrEnum

from django.core.cache import cache

from tamasuk.analysis.disclosure import DisclosureError, suppress

from .models import City, Role
from .permissions import CITY_TEAM, _memberships, role_in


class Audience(StrEnum):
    CITY_TEAM = "city_team"
    NETWORK = "network"
    NATIONAL = "national"
    PEER = "peer"
    PUBLIC = "public"


OUTSIDERS = (Audience.NETWORK, Audience.NATIONAL, Audience.PEER, Audience.PUBLIC)


def audience_of(user, city: City) -> Audience:
    """Whom a reader is for this city's data: the city team, its network, the country's national level, a
    peer city, or the public."""
    role = role_in(user, city)
    if role in CITY_TEAM:
        return Audience.CITY_TEAM
    if role == Role.MEMBER:
        return Audience.NETWORK
    memberships = _memberships(user)
    if any(m.role == Role.NATIONAL and m.city.country == city.country for m in memberships):
        return Audience.NATIONAL
    if memberships:
        return Audience.PEER
    return Audience.PUBLIC


def sees_everything(user, city: City) -> bool:
    """The city team reads numbers as recorded; everyone else reads them through this layer."""
    return audience_of(user, city) == Audience.CITY_TEAM


# --- the rows each app hands this layer ---------------------------------------------------------------------

SOURCES = {
    "report_categories": "() → every community report category (code), in order",
    "open_report_categories": "city → the categories whose theme is open (a category whose theme the city has "
                              "not created is sensitive)",
    "report_years": "city → the years with community reports",
    "reports": "(city, year) → (area code, category) of each community report of that calendar year",
    "plan_indicators": "plan → (pk, counts_people, baseline_value) of each indicator",
    "plan_actuals": "plan → its indicators' recorded values (indicator_id, year, value, sex, age_band, group), "
                    "by year, sex, age band, group and pk",
    "service_reach": "city → (pk, reached_f, reached_m, reached_total) of each service, by pk",
}
_sources: dict[str, Callable] = {}


def provide(**readers: Callable) -> None:
    """Called from an app's AppConfig.ready(): the readers of the rows this layer publishes (names in SOURCES)."""
    unknown = set(readers) - set(SOURCES)
    if unknown:
        raise ValueError(f"the publication layer reads no {sorted(unknown)}; it reads {sorted(SOURCES)}")
    _sources.update(readers)


def _read(source: str, *args):
    reader = _sources.get(source)
    if reader is None:
        raise LookupError(f"no app provides the publication layer's {source!r} (AppConfig.ready() calls provide)")
    return reader(*args)


# --- published tables -------------------------------------------------------------------------------------

Value = int | str | None  # a count, a marker ("<5": 0 to k-1, "x": k or more), or None (withheld whole)


@dataclasses.dataclass(frozen=True)
class Table:
    """A published rows × columns table of counts, with its margins.

    ``cells[(row, col)]``, ``row_totals[row]``, ``col_totals[col]`` and ``total`` are counts or markers. A
    ``refused`` table could not be protected at all (tiny counts everywhere): every entry is ``None``.
    """

    k: int
    rows: tuple
    cols: tuple
    cells: dict
    row_totals: dict
    col_totals: dict
    total: Value
    refused: bool = False
    raw: bool = False  # True for the city team: numbers as recorded

    def row(self, key) -> dict:
        return {c: self.cells[(key, c)] for c in self.cols}

    def sum_of(self, keys: list) -> Value:
        """An aggregate that is not a margin (e.g. a sub-county made of wards): published only when every cell
        it adds up was."""
        values = [self.cells.get(key, 0) for key in keys]
        if all(isinstance(v, int) for v in values):
            return sum(values)
        return None


def hidden(value) -> bool:
    """A published entry that does not show its number."""
    return value is None or isinstance(value, str)


def _fingerprint(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def protect(rows: list, cols: list, counts: dict, k: int, *, raw: bool) -> Table:
    """The one place a table of counts is turned into what may be published (cached by content)."""
    rows, cols = tuple(rows), tuple(cols)
    matrix = [[int(counts.get((r, c), 0)) for c in cols] for r in rows]
    if raw or not rows or not cols:
        cells = {(r, c): matrix[i][j] for i, r in enumerate(rows) for j, c in enumerate(cols)}
        return Table(k, rows, cols, cells, {r: sum(matrix[i]) for i, r in enumerate(rows)},
                     {c: sum(m[j] for m in matrix) for j, c in enumerate(cols)},
                     sum(map(sum, matrix)), raw=True)
    key = "publication:table:" + _fingerprint(k, matrix)
    found = cache.get(key)
    if found is None:
        try:
            table = matrix if len(cols) > 1 else [m[0] for m in matrix]
            result = suppress(table, k=k)
            if len(cols) > 1:
                found = (result.cells.tolist(), result.row_totals.tolist(), result.col_totals.tolist(), result.total)
            else:
                cells = result.cells.tolist()
                found = ([[c] for c in cells], cells, [result.total], result.total)
        except DisclosureError:
            found = "refused"
        cache.set(key, found, 24 * 3600)
    if found == "refused":
        return Table(k, rows, cols, {(r, c): None for r in rows for c in cols}, dict.fromkeys(rows),
                     dict.fromkeys(cols), None, refused=True)
    cells, row_totals, col_totals, total = found
    return Table(k, rows, cols, {(r, c): cells[i][j] for i, r in enumerate(rows) for j, c in enumerate(cols)},
                 dict(zip(rows, row_totals, strict=True)), dict(zip(cols, col_totals, strict=True)), total)


def protect_line(values: list[int], k: int) -> tuple[list[Value], Value]:
    """A one-dimensional table (cells and their total), as may be published; (cells, total)."""
    keys = list(range(len(values)))
    table = protect(keys, ["n"], {(i, "n"): v for i, v in enumerate(values)}, k, raw=False)
    return [table.cells[(i, "n")] for i in keys], table.total


def threshold(city: City) -> int:
    """The city's k: counts below it never leave the city team (for notes that explain the markers)."""
    return city.suppression_k


def valid_threshold(k: int) -> int:
    """A k as a city may set it (the model's own bounds); raises ValidationError naming why not."""
    City._meta.get_field("suppression_k").run_validators(k)
    return k


def raw_table(rows: list, cols: list, counts: dict) -> Table:
    """A table as recorded, for the city team's own spans and analyses."""
    return protect(rows, cols, counts, 0, raw=True)


def single_count(value, k: int):
    """One count of people standing alone (a baseline, a year's total with nothing else published beside it):
    below k and above zero it is shown as "<k"."""
    if value is None:
        return None
    return f"<{k}" if 0 < value < k else value


# --- themes and series ------------------------------------------------------------------------------------

def indicators(city: City, audience: Audience, queryset):
    """Indicators (a queryset of mapping.Indicator) whose series this audience may read: outside the city team,
    those of open themes only."""
    if audience == Audience.CITY_TEAM:
        return queryset
    return queryset.filter(theme__sensitivity="open")


def observations(city: City, audience: Audience, queryset):
    """Observations (a queryset) this audience may read: outside the city team, of open themes only."""
    if audience == Audience.CITY_TEAM:
        return queryset
    return queryset.filter(indicator__theme__sensitivity="open")


# --- community report counts --------------------------------------------------------------------------------

def report_categories(city: City, audience: Audience) -> list[str]:
    """The report categories this audience sees counts of: outside the city team, those whose theme is open
    (a category whose theme the city has not created counts as sensitive)."""
    everything = list(_read("report_categories"))
    if audience == Audience.CITY_TEAM:
        return everything
    open_categories = set(_read("open_report_categories", city))
    return [c for c in everything if c in open_categories]


def report_years(city: City) -> list[int]:
    """Calendar years with community reports, latest first: the periods report counts are published for."""
    return sorted(set(_read("report_years", city)), reverse=True)


def report_counts(city: City, audience: Audience, *, year: int) -> Table:
    """Community reports of one calendar year: finest areas (area codes) × categories.

    Outside the city team the table is published per calendar year only: a table for any other span would
    overlap these, and two overlapping spans give the counts of their difference by subtraction.
    """
    from .models import Area

    finest = Area.objects.filter(city=city).order_by("-level").values_list("level", flat=True).first()
    counts = defaultdict(int)
    for code, category in _read("reports", city, year):
        counts[(code, category)] += 1
    rows = set(Area.objects.filter(city=city, level=finest).values_list("code", flat=True)) if finest else set()
    rows |= {code for code, _c in counts}
    return protect(sorted(rows), report_categories(city, audience), counts, city.suppression_k,
                   raw=audience == Audience.CITY_TEAM)


def area_report_counts(city: City, audience: Audience, area, *, year: int) -> tuple[dict, Value]:
    """One area's counts by category in a year, and their total: the area's row of the published table, or for
    a larger area (a sub-county) the sum of its areas' rows where every cell of it was published."""
    from .models import Area

    table = report_counts(city, audience, year=year)
    if area.code in table.rows and not Area.objects.filter(parent=area).exists():
        return table.row(area.code), table.row_totals[area.code]
    codes, frontier = {area.code}, [area.pk]
    while frontier:
        children = list(Area.objects.filter(parent_id__in=frontier).values_list("pk", "code"))
        frontier = [pk for pk, _c in children]
        codes |= {c for _pk, c in children}
    inside = [r for r in table.rows if r in codes]
    by_category = {c: table.sum_of([(r, c) for r in inside]) for c in table.cols}
    return by_category, table.sum_of([(r, c) for r in inside for c in table.cols])


# --- counts of people in plans -----------------------------------------------------------------------------

DIMENSIONS = ("sex", "age_band", "group")


@dataclasses.dataclass(frozen=True)
class Cell:
    """One recorded value as published: ``shown`` is the number, a marker ("<5", "x"), or None (withheld whole:
    a breakdown that cannot be checked against its total)."""

    dimensions: dict
    value: Decimal  # as recorded; never shown outside the city team unless equal to `shown`
    shown: Decimal | str | None

    @property
    def is_total(self) -> bool:
        return not self.dimensions

    @property
    def withheld(self) -> bool:
        return not isinstance(self.shown, Decimal)


def _whole(value: Decimal) -> bool:
    return value == value.to_integral_value()


def _dims(actual) -> tuple[tuple[str, str], ...]:
    return tuple((d, getattr(actual, d)) for d in DIMENSIONS if getattr(actual, d))


def people_cells(actuals: list, k: int, *, raw: bool) -> list[Cell]:
    """One year's values of an indicator that counts people, as may be published (see :func:`_people`)."""
    return _people(actuals, k, raw=raw)[0]


def people_margins(actuals: list, k: int, *, raw: bool) -> dict:
    """The totals of each category of the year's crossing of two dimensions (sex × age band), recorded or not,
    as the crossing's protection published them: {(dimension, category): count, marker or None}. Empty when
    nothing was crossed or the crossing could not be checked."""
    return _people(actuals, k, raw=raw)[1]


def _people(actuals: list, k: int, *, raw: bool) -> tuple[list[Cell], dict]:
    """One year's values of an indicator that counts people (the total and its cells by sex, age band, group),
    as may be published: the finest table is the first crossing of two dimensions (sex × age band), whose margins
    are each dimension's own cells and whose grand total is the year's total; a dimension recorded alone is a
    line against the total (an unrecorded remainder completes it). What cannot be checked this way (no total,
    cells that exceed or do not add up to it, a third dimension) is withheld."""
    cells = [(a, dict(_dims(a))) for a in actuals]
    if raw:
        margins: dict = {}
        for _a, d in cells:
            if len(d) == 2 and "group" not in d:
                for dim, label in d.items():
                    margins[(dim, label)] = margins.get((dim, label), Decimal(0)) + _a.value
        return [Cell(d, a.value, a.value) for a, d in cells], margins
    margins = {}
    total = next((a for a, d in cells if not d), None)
    groups = defaultdict(list)
    for a, d in cells:
        if d:
            groups[tuple(d)].append(a)
    shown: dict[int, Decimal | str] = {}
    total_shown: Decimal | str | None = None
    if total is not None:
        total_shown = single_count(total.value, k)
        if not isinstance(total_shown, str) and _whole(total.value):
            crossed = next((key for key in groups if len(key) == 2), None)
            crossed_margins = set()
            if crossed is not None and (checked := _crossing(total, groups, crossed, k, shown, margins)) is not None:
                if checked:
                    total_shown = checked
                crossed_margins = {(crossed[0],), (crossed[1],)}
            for key, rows in groups.items():
                if len(key) == 1 and key not in crossed_margins and (marker := _line(total, rows, k, shown)):
                    total_shown = marker
    if isinstance(total_shown, str):
        shown, margins = {}, {}  # a hidden total hides every cell under it
    out = []
    for a, d in cells:
        if a is total:
            out.append(Cell(d, a.value, total_shown if isinstance(total_shown, str) else a.value))
        else:
            out.append(Cell(d, a.value, shown.get(id(a))))
    return out, margins


def _line(total, rows, k, shown) -> str | None:
    """One dimension's cells against the total; returns the total's marker if it must be hidden."""
    if not all(_whole(r.value) for r in rows):
        return None
    values = [int(r.value) for r in rows]
    rest = int(total.value) - sum(values)
    if rest < 0:
        return None
    cells, published_total = protect_line(values + ([rest] if rest else []), k)
    if any(c is None for c in cells):
        return None  # refused: nothing of this line is published
    for r, c in zip(rows, cells, strict=False):
        shown[id(r)] = c if isinstance(c, str) else Decimal(c)
    return published_total if isinstance(published_total, str) else None


def _crossing(total, groups, key, k, shown, margins_out) -> str | bool | None:
    """Two crossed dimensions as a table with their own cells as margins. None if it cannot be checked; else the
    total's marker if it must be hidden, or False."""
    rows = groups[key]
    if not all(_whole(r.value) for r in rows) or sum(int(r.value) for r in rows) != int(total.value):
        return None
    first = sorted({dict(_dims(r))[key[0]] for r in rows})
    second = sorted({dict(_dims(r))[key[1]] for r in rows})
    counts = {(dict(_dims(r))[key[0]], dict(_dims(r))[key[1]]): int(r.value) for r in rows}
    table = protect(first, second, counts, k, raw=False)
    if table.refused:
        return None
    for r in rows:
        d = dict(_dims(r))
        c = table.cells[(d[key[0]], d[key[1]])]
        shown[id(r)] = c if isinstance(c, str) else Decimal(c)
    for axis, margin in ((0, table.row_totals), (1, table.col_totals)):
        for label, c in margin.items():
            margins_out[(key[axis], label)] = c if isinstance(c, str) else Decimal(c)
        for a in groups.get((key[axis],), []):
            label = dict(_dims(a))[key[axis]]
            true = sum(n for cell, n in counts.items() if cell[axis] == label)
            if label in margin and a.value == true:  # a margin that disagrees with its cells is withheld
                c = margin[label]
                shown[id(a)] = c if isinstance(c, str) else Decimal(c)
    return table.total if isinstance(table.total, str) else False


@dataclasses.dataclass(frozen=True)
class IndicatorValues:
    """A plan indicator's numbers as one audience may see them: the baseline, and each year's cells."""

    baseline: Decimal | str | None
    years: dict  # year → list[Cell]
    margins: dict = dataclasses.field(default_factory=dict)  # year → people_margins()

    def total(self, year: int):
        """The year's total as shown (a number, a marker, or None if not recorded or withheld)."""
        return next((c.shown for c in self.years.get(year, []) if c.is_total), None)


def plan_values(plan, audience: Audience) -> dict[int, IndicatorValues]:
    """Every indicator of a plan, by primary key, with its baseline and yearly values as this audience may see
    them. Only indicators that count people are suppressed (percentages and amounts identify nobody)."""
    k = plan.city.suppression_k
    by_indicator = defaultdict(lambda: defaultdict(list))
    for a in _read("plan_actuals", plan):
        by_indicator[a.indicator_id][a.year].append(a)
    out = {}
    for pk, counts_people, baseline in _read("plan_indicators", plan):
        raw = audience == Audience.CITY_TEAM or not counts_people
        published = {year: _people(actuals, k, raw=raw) for year, actuals in by_indicator[pk].items()}
        out[pk] = IndicatorValues(baseline if raw else single_count(baseline, k),
                                  {year: cells for year, (cells, _m) in published.items()},
                                  {year: margins for year, (_c, margins) in published.items()})
    return out


def snapshot_baselines(plan, audience: Audience, snapshot: dict) -> dict:
    """A plan version's snapshot with the baselines of counts of people as this audience may see them."""
    if audience == Audience.CITY_TEAM:
        return snapshot
    k = plan.city.suppression_k
    people = {f"indicator:{pk}" for pk, counts_people, _baseline in _read("plan_indicators", plan) if counts_people}
    indicators = []
    for item in snapshot.get("structure", {}).get("indicators", []):
        baseline = item.get("baseline_value")
        if baseline is not None and (item.get("counts_people") or item["key"] in people):
            shown = single_count(Decimal(baseline), k)
            item = {**item, "baseline_value": shown if isinstance(shown, str) else baseline}
        indicators.append(item)
    return {**snapshot, "structure": {**snapshot.get("structure", {}), "indicators": indicators}}


# --- service reach ----------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Reach:
    women: Value
    men: Value
    total: Value


def service_reach(city: City, audience: Audience) -> dict[int, Reach]:
    """People reached by each of the city's services, as this audience may see them.

    The finest table is every service of the city × (women and girls, men and boys, not recorded by sex), its
    row totals the services' totals; it is always protected whole, so a page that lists a sector or a ward
    shows a slice of the same result as every other page.
    """
    rows, counts, known = [], {}, {}
    for pk, f, m, total in _read("service_reach", city):
        if f is None and m is None and total is None:
            continue
        whole = total if total is not None else (f or 0) + (m or 0)
        rows.append(pk)
        counts[(pk, "f")], counts[(pk, "m")] = f or 0, m or 0
        counts[(pk, "rest")] = max(whole - (f or 0) - (m or 0), 0)
        known[pk] = (f is not None, m is not None, total is not None)
    table = protect(rows, ["f", "m", "rest"], counts, city.suppression_k, raw=audience == Audience.CITY_TEAM)
    out = {}
    for pk in rows:
        has_f, has_m, has_total = known[pk]
        out[pk] = Reach(table.cells[(pk, "f")] if has_f else None, table.cells[(pk, "m")] if has_m else None,
                        table.row_totals[pk] if has_total else None)
    return out
