"""A plan as IATI 2.03 activity XML: the plan's rows, read as the user may see them, in the plain form that
:mod:`tamasuk.interop.iati` writes.

    data = export_for(user, plan)           # a dict following interop.iati.Export
    content, name = xml_for(user, plan)     # the XML file and its download name
    warnings_for(plan)                      # what must be fixed before the file is published

The city is the reporting organisation (IATI type 11, local government) under the plan's
`iati_organisation` identifier; until the city enters one, identifiers use the placeholder prefix
"XX-TAMASUK-<CITY SLUG>", which the IATI registry will not accept, and `warnings_for` says so.

Counts of people below the city's threshold k are withheld for readers outside the city team (targets are
plans, not people, and stay): a small total or baseline has no value, and disaggregated cells pass small-cell
suppression (analysis.disclosure) against the year's total. The city team reads the numbers as entered.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import shapely.geometry
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tamasuk.audit.queries import last_change
from tamasuk.cities import publication
from tamasuk.cities.models import Visibility
from tamasuk.interop import iati

from . import dashboard as monitoring
from . import queries
from .models import QUARTER_RE, Activity, ActivityStatus, Plan, PlanStatus, ProgressStatus

LOCAL_GOVERNMENT = "11"
PEACEBUILDING = "15220"  # OECD DAC: civilian peace-building, conflict prevention and resolution
PEACEBUILDING_NAME = "Civilian peace-building, conflict prevention and resolution"
# IATI OrganisationType for the directory's types; health and psychosocial providers may be public or
# private, so they get no type rather than a wrong one.
ORGANISATION_TYPE = {
    "municipal": "11", "national_agency": "10", "police": "10", "civil_society": "22", "faith": "22",
    "youth": "22", "women": "22", "school": "80", "business": "70", "other": "90",
}
DIMENSIONS = (("sex", "sex"), ("age_band", "age"), ("group", "group"))


def placeholder_identifier(plan: Plan) -> str:
    return f"XX-TAMASUK-{plan.city.slug.upper()}"


def organisation_identifier(plan: Plan) -> str:
    return plan.iati_organisation.strip() or placeholder_identifier(plan)


def warnings_for(plan: Plan) -> list[str]:
    """What a publisher must fix before sending the file to the IATI registry."""
    warnings = []
    if not plan.iati_organisation.strip():
        warnings.append(_("The plan has no IATI organisation identifier: this file uses the placeholder "
                          "“%(ref)s”, which the IATI registry does not accept. Enter the city's registered "
                          "identifier in the plan's details before publishing.")
                        % {"ref": placeholder_identifier(plan)})
    if iati.iso2(plan.city.country) is None:
        warnings.append(_("The file names no recipient country: the code %(country)s is not one the export "
                          "knows yet.") % {"country": plan.city.country})
    if plan.visibility != Visibility.PUBLIC:
        warnings.append(_("The plan is not shared with the public: publishing this file makes its activities, "
                          "budgets and results public (counts of people below %(k)s are withheld).")
                        % {"k": publication.threshold(plan.city)})
    if plan.status == PlanStatus.DRAFT:
        warnings.append(_("This plan is a draft: publish it once it is adopted."))
    return warnings


def xml_for(user, plan: Plan) -> tuple[bytes, str]:
    return iati.activities_xml(export_for(user, plan)), f"{plan.city.slug}-plan-{plan.pk}-iati.xml"


def export_for(user, plan: Plan) -> dict:
    """The plan, its activities and their results, as `user` may read them, in interop.iati's plain form."""
    city = plan.city
    if not queries.plans(user, city).filter(pk=plan.pk).exists():
        raise Http404
    lang = (city.languages or ["en"])[0]
    with translation.override(lang):
        return _export(user, plan, lang)


def _export(user, plan: Plan, lang: str) -> dict:
    city = plan.city
    today = timezone.localdate()
    # The file is for publication (the IATI registry is public): small counts of people are withheld whoever
    # downloads it, the city team included.
    withhold = _Withholding(publication.threshold(city), publication.plan_values(plan, publication.Audience.PUBLIC))
    activities = list(queries.activities(user, plan))
    indicators = list(queries.indicators(user, plan))
    updates = defaultdict(list)
    for u in queries.progress(user, plan):
        updates[u.activity_id].append(u)
    by_activity, by_objective = defaultdict(list), defaultdict(list)
    for ind in indicators:
        if ind.activity_id:
            by_activity[ind.activity_id].append(ind)
        else:
            by_objective[ind.objective_id].append(ind)

    city_org = {"ref": organisation_identifier(plan), "type": LOCAL_GOVERNMENT, "name": {lang: city.name}}
    objectives = sorted({a.objective for a in activities} | {i.objective for i in indicators if i.objective},
                        key=lambda o: (o.pillar.order, o.pillar.code, o.order, o.code))
    plan_results = [{"title": _text(o.title, o.titles, lang),
                     "indicators": [_indicator(i, plan, lang, withhold) for i in by_objective[o.pk]]}
                    for o in objectives if by_objective.get(o.pk)]
    if by_objective.get(None):
        plan_results.append({"title": _text(plan.title, plan.titles, lang),
                             "indicators": [_indicator(i, plan, lang, withhold) for i in by_objective[None]]})
    description = _("Local Action Plan of %(city)s for %(start)s–%(end)s.") % {
        "city": city.name, "start": plan.start_year, "end": plan.end_year}
    if plan.framework:
        description += " " + _("Aligned with the national action plan “%(name)s”.") % {
            "name": plan.framework.display_name(lang)}
    first = plan.versions.order_by("number").first()
    return {
        "reporting_org": city_org,
        "language": lang,
        "currency": plan.currency,
        "country": city.country,
        "generated": timezone.localtime(),
        "warnings": warnings_for(plan),
        "plan": {
            "code": f"LAP{plan.pk}",  # the primary key: titles and years may change, identifiers must not
            "title": _text(plan.title, plan.titles, lang),
            "description": {lang: description},
            "status": plan.status,
            "planned_start": dt.date(plan.start_year, 1, 1),
            "planned_end": dt.date(plan.end_year, 12, 31),
            "actual_start": timezone.localdate(first.adopted_at) if first else None,
            "actual_end": _closed_on(plan),
            "sectors": [{"vocabulary": "1", "code": PEACEBUILDING, "name": {"en": PEACEBUILDING_NAME}}],
            "results": plan_results,
        },
        "activities": [_activity(a, plan, lang, updates[a.pk], by_activity[a.pk], withhold, today)
                       for a in activities],
    }


def _activity(a: Activity, plan: Plan, lang: str, updates, indicators, withhold, today) -> dict:
    start, end = _actual_dates(a, updates, today)
    title = _text(a.title, a.titles, lang)
    pillar = a.objective.pillar
    sectors = [{"vocabulary": "99", "code": pillar.code, "name": _text(pillar.title, pillar.titles, lang)}]
    sectors += [{"vocabulary": "98", "code": p.code, "name": _text(p.title, p.titles, lang)}
                for p in a.national_pillars.all()]
    return {
        "code": a.code,
        "title": title,
        "description": {lang: a.description} if a.description.strip() else title,
        "objective": _text(a.objective.title, a.objective.titles, lang),
        "status": a.status,
        "planned_start": a.start,
        "planned_end": a.end,
        "actual_start": start,
        "actual_end": end,
        "lead": _organisation(a.lead, lang),
        "partners": [_organisation(o, lang) for o in a.partners.all()],
        "budget": a.budget,
        "locations": [_location(area, lang) for area in a.areas.all()],
        "sectors": sectors,
        "results": [{"title": title, "indicators": [_indicator(i, plan, lang, withhold) for i in indicators]}]
        if indicators else [],
    }


class _Withholding:
    """The plan's numbers as published (cities/publication.py, the public's view: the IATI registry is public).
    IATI has no place for a marker such as "<5": a withheld value is left out with a comment saying why."""

    def __init__(self, k: int, published: dict):
        self.published = published
        self.note = _("Withheld: fewer than %(k)s people, or hidden so that such a count cannot be worked "
                      "out (small-cell suppression).") % {"k": k}
        self.unchecked = _("Withheld outside the city team: this breakdown cannot be checked for small counts.")

    def cells(self, indicator, year: int) -> list[dict]:
        cells = self.published[indicator.pk].years.get(year, [])
        total_hidden = any(c.is_total and c.withheld for c in cells)
        out = []
        for c in cells:
            dims = _dimensions(c.dimensions)
            if not c.withheld:
                out.append({"value": c.shown, "dimensions": dims})
            else:
                note = self.note if isinstance(c.shown, str) or total_hidden else self.unchecked
                out.append({"value": None, "dimensions": dims, "comment": note})
        return out


def _dimensions(dimensions: dict) -> dict[str, str]:
    return {name: iati.SEX.get(dimensions[field], dimensions[field]) if field == "sex" else dimensions[field]
            for field, name in DIMENSIONS if dimensions.get(field)}


def _indicator(ind, plan: Plan, lang: str, withhold: _Withholding) -> dict:
    baseline = None
    shown_baseline = withhold.published[ind.pk].baseline
    if ind.baseline_value is not None:
        # IATI needs a baseline year: without a date the baseline stands for where the plan starts.
        baseline = {"year": ind.baseline_date.year if ind.baseline_date else plan.start_year,
                    "date": ind.baseline_date, "value": shown_baseline}
        if isinstance(shown_baseline, str):
            baseline.update(value=None, comment=withhold.note)
    targets = {t.year: t.value for t in ind.targets.all()}
    years = set(withhold.published[ind.pk].years)
    periods = [{"year": year, "target": targets.get(year), "actuals": withhold.cells(ind, year)}
               for year in sorted(set(targets) | years)]
    for period in periods:  # the year's progress in words, by the rule the pages and the report use
        total = next((c for c in period["actuals"] if not c.get("dimensions")), None)
        if total is None or total["value"] is None or period["target"] is None:
            continue
        p = monitoring.indicator_progress(ind, value=total["value"], target=period["target"], baseline=shown_baseline)
        if p is not None and p.measured:
            total["comment"] = _("Progress: %(progress)s (measured from the baseline toward the target).") % {
                "progress": monitoring.progress_text(p)}
    return {
        "code": ind.code,
        "title": _text(ind.name, ind.names, lang),
        "description": {lang: _("Unit: %(unit)s") % {"unit": ind.unit}},
        "unit": ind.unit,
        "kind": ind.kind,
        "ascending": ind.higher_is_better,
        "baseline": baseline,
        "periods": periods,
    }


def _text(default: str, by_language: dict, lang: str) -> dict[str, str]:
    text = {k: v for k, v in (by_language or {}).items() if isinstance(v, str) and v.strip()}
    text[lang] = text.get(lang) or default
    return text


def _organisation(org, lang: str) -> dict:
    out = {"name": _text(org.name, org.names, lang)}
    if ORGANISATION_TYPE.get(org.type):
        out["type"] = ORGANISATION_TYPE[org.type]
    return out


def _location(area, lang: str) -> dict:
    point = None
    if area.geometry:
        try:
            p = shapely.geometry.shape(area.geometry).representative_point()
            point = (p.y, p.x)
        except (ValueError, TypeError, AttributeError, KeyError):
            point = None  # a boundary shapely cannot read gets no point rather than a wrong one
    return {"ref": area.code, "name": _text(area.name, area.names, lang), "point": point}


def _quarter(period: str) -> tuple[dt.date, dt.date]:
    year, q = (int(g) for g in QUARTER_RE.match(period).groups())
    last_month = 3 * q
    end = (dt.date(year + (last_month == 12), last_month % 12 + 1, 1) - dt.timedelta(days=1))
    return dt.date(year, last_month - 2, 1), end


def _within(quarter: tuple[dt.date, dt.date], planned: dt.date, *, last: bool = False) -> dt.date:
    """The planned date if it falls in the quarter an update reported, else that quarter's first (last) day."""
    return planned if quarter[0] <= planned <= quarter[1] else quarter[1 if last else 0]


def _actual_dates(a: Activity, updates, today: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """When the activity really started and ended, from its progress updates; the planned dates stand in
    only when its status says they have passed and no update says otherwise."""
    started = sorted(u.period for u in updates if u.status != ProgressStatus.NOT_STARTED)
    completed = sorted(u.period for u in updates if u.status == ProgressStatus.COMPLETED)
    start = end = None
    if started and a.status != ActivityStatus.PLANNED:
        start = min(_within(_quarter(started[0]), a.start), today)
    elif a.status in (ActivityStatus.ONGOING, ActivityStatus.COMPLETED) and a.start <= today:
        start = a.start
    if a.status == ActivityStatus.COMPLETED:
        if completed:
            end = min(_within(_quarter(completed[0]), a.end, last=True), today)
        elif a.end <= today:
            end = a.end
    return start, end


def _closed_on(plan: Plan) -> dt.date | None:
    if plan.status != PlanStatus.CLOSED:
        return None
    event = last_change(plan, action="plan.status")
    return timezone.localdate(event.created_at) if event else None
