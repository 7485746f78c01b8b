"""Reads for mapping, already filtered by the permission layer."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from tamasuk.cities import publication
from tamasuk.cities import queries as city_queries
from tamasuk.cities.models import Area, City
from tamasuk.cities.permissions import Action, can, require

from .models import CommunityReport, Indicator, Observation, PriorityProfile, Theme
from .priorities import Choices, Outcome, run


def themes(user, city: City) -> dict[int, Theme]:
    require(user, Action.VIEW_CITY, city)
    return _themes(city)


def _themes(city: City) -> dict[int, Theme]:
    return {t.pk: t for t in Theme.objects.filter(city=city)}


def indicators(user, city: City):
    """Indicators whose series this reader may see (outside the city team: of open themes only)."""
    require(user, Action.VIEW_CITY, city)
    return _indicators(user, city)


def _indicators(user, city: City):
    return publication.indicators(city, publication.audience_of(user, city),
                                  Indicator.objects.filter(city=city).select_related("theme", "denominator"))


def observations(user, city: City):
    require(user, Action.READ_CITY_DATA, city)
    return publication.observations(city, publication.audience_of(user, city), Observation.objects.filter(city=city))


def periods(user, city: City) -> list[str]:
    require(user, Action.VIEW_CITY, city)
    return _periods(city)


def _periods(city: City) -> list[str]:
    return sorted(set(Observation.objects.filter(city=city).values_list("period", flat=True)), reverse=True)


def period_values(user, city: City, period: str, indicator_ids: list[int]) -> dict[tuple[int, int], float]:
    """The period's totals (no disaggregation) for the chosen indicators: (area_id, indicator_id) → value."""
    require(user, Action.RUN_ANALYSIS, city)
    return _period_values(city, period, indicator_ids)


def _period_values(city: City, period: str, indicator_ids: list[int]) -> dict[tuple[int, int], float]:
    rows = Observation.objects.filter(city=city, period=period, indicator_id__in=indicator_ids, sex="",
                                      age_band="", group="").values_list("area_id", "indicator_id", "value")
    return {(a, i): v for a, i, v in rows}


def period_coverage(user, city: City, indicators: list, areas: list) -> dict[str, float]:
    """Per period, the share (0–1) of area × indicator values present for these indicators (totals only).
    A count divided by a denominator is present only when its denominator is too, as the ranking sees it."""
    require(user, Action.RUN_ANALYSIS, city)
    return _period_coverage(city, indicators, areas)


def _period_coverage(city: City, indicators: list, areas: list) -> dict[str, float]:
    ids = {i.pk for i in indicators} | {i.denominator_id for i in indicators if i.denominator_id}
    area_ids = {a.pk for a in areas}
    cells = defaultdict(set)
    for period, area_id, ind_id in Observation.objects.filter(
            city=city, indicator_id__in=ids, sex="", age_band="", group="").values_list("period", "area_id",
                                                                                      "indicator_id"):
        if area_id in area_ids:
            cells[period].add((area_id, ind_id))
    total = len(area_ids) * len(indicators)
    out = {}
    for period, have in cells.items():
        present = sum(1 for a in area_ids for i in indicators
                      if (a, i.pk) in have and (not i.denominator_id or (a, i.denominator_id) in have))
        out[period] = present / total if total else 0.0
    return out


def default_period(periods: list[str], coverage: dict[str, float], threshold: int) -> str | None:
    """The latest period whose coverage reaches the city's threshold (%); failing that, the best-covered one
    (the latest of equals), so a year with a few wards' new figures never becomes the default by being new."""
    if not periods:
        return None
    for p in periods:  # latest first
        if coverage.get(p, 0.0) * 100 >= threshold:
            return p
    return max(periods, key=lambda p: (coverage.get(p, 0.0), -periods.index(p)))


@dataclass
class PrioritiesPage:
    """What the priorities page (and saving a profile from it) stands on, read once for one reader: the themes,
    the indicators this reader may see, the periods with each one's coverage, the finest areas; and
    :meth:`rank` for a set of choices. One permission check for all of it (RUN_ANALYSIS, which includes
    reading the city), instead of one per read."""

    city: City
    themes: dict[int, Theme]
    indicators: list[Indicator]
    periods: list[str]
    coverage: dict[str, float]  # period → share (0–1) of ward × indicator values present
    level: int
    areas: list[Area]
    may_save_low_coverage: bool

    @property
    def default_period(self) -> str | None:
        return default_period(self.periods, self.coverage, self.city.coverage_threshold)

    @property
    def used_themes(self) -> list[Theme]:
        """The themes that have indicators, in the order the form lists them."""
        used = {i.theme_id for i in self.indicators}
        return sorted((self.themes[t] for t in used), key=lambda t: (t.group, t.order))

    def chosen(self, codes) -> list[Indicator]:
        return [i for i in self.indicators if i.code in codes]

    def rank(self, choices: Choices) -> Outcome:
        """The ranking of the areas for these choices (the period's values read here)."""
        chosen = self.chosen(choices.indicators)
        ids = [i.pk for i in chosen] + [i.denominator_id for i in chosen if i.denominator_id]
        choices.level = self.level
        return run(areas=self.areas, indicators=chosen, themes=self.themes,
                   values=_period_values(self.city, choices.period, ids), choices=choices,
                   threshold=self.city.coverage_threshold)


def priorities_page(user, city: City) -> PrioritiesPage:
    """Everything the priorities page reads, for this reader (PermissionDenied unless they may run analyses)."""
    require(user, Action.RUN_ANALYSIS, city)
    indicators = list(_indicators(user, city))
    level = max(city_queries.levels(city) or [1])
    areas = list(city_queries.areas(user, city, level=level))
    return PrioritiesPage(
        city=city, themes=_themes(city), indicators=indicators, periods=_periods(city),
        coverage=_period_coverage(city, indicators, areas), level=level, areas=areas,
        may_save_low_coverage=can(user, Action.EDIT_CITY_DATA, city))


def area_series(user, city: City, area: Area) -> list[dict]:
    """Every indicator of the area over time, for sparklines: unit, periods, values, sources."""
    require(user, Action.VIEW_CITY, city)
    series = defaultdict(list)
    shown = publication.observations(city, publication.audience_of(user, city), Observation.objects.filter(city=city))
    for obs in shown.filter(area=area, sex="", age_band="", group="").select_related(
            "indicator__theme").order_by("period_start"):
        series[obs.indicator].append(obs)
    out = []
    for ind, rows in sorted(series.items(), key=lambda kv: (kv[0].theme.group, kv[0].code)):
        out.append({"indicator": ind, "periods": [o.period for o in rows], "values": [o.value for o in rows],
                    "sources": sorted({o.source or ind.source for o in rows} - {""})})
    return out


def report_counts(user, city: City, *, since=None, until=None, category: str | None = None) -> Counter:
    """Counts of community reports by (area code, category) over any span, as recorded: the city team's
    analyses only (outside it, counts are published per calendar year by cities/publication.py)."""
    require(user, Action.VIEW_SMALL_CELLS, city)
    qs = CommunityReport.objects.filter(city=city)
    if since is not None:
        qs = qs.filter(date__gte=since)
    if until is not None:
        qs = qs.filter(date__lte=until)
    if category:
        qs = qs.filter(category=category)
    return Counter(qs.values_list("area__code", "category"))


def published_report_counts(user, city: City, *, year: int) -> publication.Table:
    """One calendar year's report counts (finest areas × categories) as this reader may see them."""
    require(user, Action.VIEW_CITY, city)
    return publication.report_counts(city, publication.audience_of(user, city), year=year)


def area_report_counts(user, city: City, area: Area, *, years: int = 3) -> list[dict]:
    """An area's report counts by category for the latest calendar years, as this reader may see them."""
    require(user, Action.VIEW_CITY, city)
    audience = publication.audience_of(user, city)
    out = []
    for year in publication.report_years(city)[:years]:
        counts, total = publication.area_report_counts(city, audience, area, year=year)
        out.append({"year": year, "counts": counts, "total": total})
    return out


def reports(user, city: City):
    """The report list with free text: the city team only."""
    require(user, Action.VIEW_SMALL_CELLS, city)
    return CommunityReport.objects.filter(city=city).select_related("area")


def profiles(user, city: City):
    require(user, Action.VIEW_PROFILES, city)
    return PriorityProfile.objects.filter(city=city).select_related("created_by")


def profile(user, city: City, pk: int) -> PriorityProfile:
    found = profiles(user, city).filter(pk=pk).first()
    if found is None:
        from django.http import Http404

        raise Http404
    return found


def rank_history(user, city: City, area: Area) -> list[dict]:
    if not can(user, Action.VIEW_PROFILES, city):
        return []
    out = []
    for p in PriorityProfile.objects.filter(city=city).order_by("created_at"):
        row = next((r for r in p.results.get("areas", []) if r["code"] == area.code), None)
        if row is not None:
            out.append({"profile": p, "rank": row["rank"], "of": len(p.results["areas"]), "score": row["score"],
                        "coverage": row.get("coverage"), "no_data": row.get("no_data", [])})
    return out
