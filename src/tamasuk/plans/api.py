"""Plan routes of the API: the plans a reader may see, and one plan's structure with its indicators.

Progress narratives and evidence stay on the pages (the city's network); counts of people below the city's
threshold are withheld from readers outside the city team, as on the pages.
"""

from __future__ import annotations

from ninja import Router, Schema

from tamasuk.analysis import reporting
from tamasuk.cities import queries as city_queries
from tamasuk.cities.api_schemas import ERRORS, INVALID

from . import dashboard, queries
from .snapshots import plan_snapshot

router = Router(tags=["plans"])


class PlanOut(Schema):
    id: int
    title: str
    start_year: int
    end_year: int
    status: str
    version_in_force: int
    framework: str | None
    visibility: str
    currency: str


class ValueOut(Schema):
    year: int
    target: str | None
    actual: str | None


class ProgressOut(Schema):
    """The latest year with a value, measured from the baseline (0 %) toward that year's target (100 %) in the
    indicator's direction. state: achieved, towards, no_change, moving_away, not_reached, unknown_direction,
    no_value, no_target, or withheld (a count of people below the city's threshold). percent is given only
    for achieved (100), towards and no_change: never for moving away."""

    year: int | None
    state: str
    percent: int | None
    text: str


class PlanIndicatorOut(Schema):
    """One of the plan's own indicators with its targets and values (the city's mapping indicators are
    CityIndicatorOut)."""

    code: str
    name: str
    unit: str
    kind: str
    counts_people: bool
    higher_is_better: bool
    baseline: str | None
    values: list[ValueOut]
    progress: ProgressOut


class ActivityStatusOut(Schema):
    """Status by the dashboard's rule: not_reported when the activity owes a report for the last completed
    quarter (last_completed_quarter), whatever its latest report said."""

    code: str
    status: str
    last_reported: str | None


class PlanDetailOut(PlanOut):
    structure: dict
    indicators: list[PlanIndicatorOut]
    last_completed_quarter: str
    activities: list[ActivityStatusOut]


def _plan(p) -> dict:
    return {"id": p.pk, "title": p.title, "start_year": p.start_year, "end_year": p.end_year, "status": p.status,
            "version_in_force": p.adopted_version, "framework": p.framework.name if p.framework else None,
            "visibility": p.visibility, "currency": p.currency}


@router.get("/cities/{slug}/plans", response={200: list[PlanOut], **ERRORS}, summary="Local Action Plans you may read")
def list_plans(request, slug: str):
    city = city_queries.city_for(request.auth, slug)
    return [_plan(p) for p in queries.plans(request.auth, city)]


@router.get("/cities/{slug}/plans/{pk}", response={200: PlanDetailOut, **ERRORS, **INVALID},
            summary="One plan: pillars, objectives, activities, indicators with targets and actual values")
def get_plan(request, slug: str, pk: int):
    city = city_queries.city_for(request.auth, slug)
    p = queries.plan(request.auth, city, pk)
    indicators = []
    today = dashboard.city_today(city)
    for row in dashboard.indicator_table(request.auth, p, today=today):
        i, latest = row.indicator, row.latest
        indicators.append({"code": i.code, "name": i.name, "unit": i.unit, "kind": i.kind,
                           "counts_people": i.counts_people, "higher_is_better": i.higher_is_better,
                           "baseline": _text(row.baseline),
                           "values": [{"year": y, "target": _text(t), "actual": _text(a)} for y, t, a in row.cells],
                           "progress": {"year": latest.year, "state": latest.progress_state,
                                        "percent": latest.progress.percent if latest.progress else None,
                                        "text": latest.progress_text}})
    structure = queries.readable_snapshot(request.auth, p, plan_snapshot(p))["structure"]
    states = dashboard.activity_states(request.auth, p, today=today)
    return {**_plan(p), "structure": structure, "indicators": indicators,
            "last_completed_quarter": reporting.last_completed_quarter(today),
            "activities": [{"code": s.activity.code, "status": s.status, "last_reported": s.last_period}
                           for s in states]}


def _text(value) -> str | None:
    # format(…, "f"): str() of a normalised 30 is "3E+1"
    return value if value is None or isinstance(value, str) else format(value.normalize(), "f")
