"""Mapping routes of the API: indicators, observations in bulk, aggregated report counts, saved profiles."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from tamasuk.cities import publication
from tamasuk.cities import queries as city_queries
from tamasuk.cities.api_schemas import ERRORS, INVALID, IsoDate, Year
from tamasuk.cities.permissions import Action, require

from . import queries
from .models import ReportCategory
from .priorities import coverage_of

router = Router(tags=["mapping"])


# The furthest an observations page may start: beyond any city's data, within the database's integers.
MAX_OFFSET = 1_000_000_000


class CityIndicatorOut(Schema):
    """One of the city's mapping indicators (a plan's own indicators are PlanIndicatorOut)."""

    code: str
    name: str
    names: dict
    unit: str
    direction: str
    theme: str
    source: str
    hxl_tag: str


class ObservationOut(Schema):
    area: str
    indicator: str
    period: str
    value: float
    sex: str
    age_band: str
    group: str
    source: str


class ObservationPage(Schema):
    count: int
    offset: int
    limit: int
    results: list[ObservationOut]


class ReportCounts(Schema):
    year: int | None
    since: dt.date | None
    until: dt.date | None
    k: int
    suppressed: bool
    categories: list[str]
    areas: list[dict]
    totals: dict


class ProfileOut(Schema):
    id: int
    name: str
    period: str
    created_at: dt.datetime
    created_by: str
    spec: dict
    # What the ranking stands on: share of ward × indicator values present, the city's minimum, and whether the
    # profile was saved below it (flagged). Per ward and per indicator coverage is in `results`.
    low_coverage: bool
    coverage: dict | None = None
    results: dict | None = None


@router.get("/cities/{slug}/indicators", response={200: list[CityIndicatorOut], **ERRORS})
def list_indicators(request, slug: str):
    city = city_queries.city_for(request.auth, slug)
    require(request.auth, Action.READ_CITY_DATA, city)
    return [{"code": i.code, "name": i.name, "names": i.names, "unit": i.unit, "direction": i.direction,
             "theme": i.theme.code, "source": i.source, "hxl_tag": i.hxl_tag}
            for i in queries.indicators(request.auth, city)]


@router.get("/cities/{slug}/observations", response={200: ObservationPage, **ERRORS, **INVALID},
            summary="Observations in bulk (paged, up to 10,000 a page)")
def list_observations(request, slug: str, indicator: str | None = None, period: str | None = None,
                      area: str | None = None, offset: Annotated[int, Field(ge=0, le=MAX_OFFSET)] = 0,
                      limit: int = 1000):
    city = city_queries.city_for(request.auth, slug)
    require(request.auth, Action.READ_CITY_DATA, city)
    limit = max(1, min(limit, 10_000))
    qs = queries.observations(request.auth, city).order_by("id")
    if indicator:
        qs = qs.filter(indicator__code=indicator)
    if period:
        qs = qs.filter(period=period)
    if area:
        qs = qs.filter(area__code=area)
    rows = qs.values_list("area__code", "indicator__code", "period", "value", "sex", "age_band", "group",
                          "source")[offset:offset + limit]
    keys = ["area", "indicator", "period", "value", "sex", "age_band", "group", "source"]
    return {"count": qs.count(), "offset": offset, "limit": limit,
            "results": [dict(zip(keys, r, strict=True)) for r in rows]}


@router.get("/cities/{slug}/reports/counts", response={200: ReportCounts, **ERRORS, **INVALID},
            summary="Community-report counts per area and category for a calendar year; small cells suppressed "
                    "outside the city team")
def report_counts(request, slug: str, year: Year | None = None, since: IsoDate | None = None,
                  until: IsoDate | None = None):
    """Outside the city team, counts are published per calendar year (`year`, default the latest with reports),
    only for categories whose theme the city shares; the city team may also ask for any span (`since`, `until`)."""
    city = city_queries.city_for(request.auth, slug)
    team = publication.sees_everything(request.auth, city)
    if (since or until) and year is None:
        if not team:
            return Status(422, {"detail": [{"loc": ["query", "since" if since else "until"], "msg": _(
                "Outside the city team, report counts are published per calendar year: use year= instead.")}]})
        counts = queries.report_counts(request.auth, city, since=since, until=until)
        level = max(city_queries.levels(city) or [1])
        rows = sorted({a.code for a in city_queries.areas(request.auth, city, level=level)} | {a for a, _c in counts})
        table = publication.raw_table(rows, list(ReportCategory.values), counts)
    else:
        years = publication.report_years(city)
        year = year if year is not None else (years[0] if years else dt.date.today().year)
        table = queries.published_report_counts(request.auth, city, year=year)
    totals = dict(table.col_totals)
    totals["all"] = table.total
    return {"year": year, "since": since, "until": until, "k": publication.threshold(city), "suppressed": not table.raw,
            "categories": list(table.cols), "areas": [{"code": r, "counts": table.row(r)} for r in table.rows],
            "totals": totals}


@router.get("/cities/{slug}/profiles", response={200: list[ProfileOut], **ERRORS})
def list_profiles(request, slug: str):
    city = city_queries.city_for(request.auth, slug)
    require(request.auth, Action.VIEW_PROFILES, city)
    return [{"id": p.pk, "name": p.name, "period": p.period, "created_at": p.created_at,
             "created_by": p.created_by.username, "spec": p.spec, "low_coverage": p.low_coverage,
             "coverage": coverage_of(p.results)} for p in queries.profiles(request.auth, city)]


@router.get("/cities/{slug}/profiles/{pk}", response={200: ProfileOut, **ERRORS, **INVALID})
def get_profile(request, slug: str, pk: int):
    city = city_queries.city_for(request.auth, slug)
    p = queries.profile(request.auth, city, pk)
    return {"id": p.pk, "name": p.name, "period": p.period, "created_at": p.created_at,
            "created_by": p.created_by.username, "spec": p.spec, "low_coverage": p.low_coverage,
            "coverage": coverage_of(p.results), "results": p.results}


