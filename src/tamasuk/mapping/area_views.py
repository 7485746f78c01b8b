"""An area's page: its place among the areas, population, indicators over time, community reports and its rank
in saved priority profiles. It lives here, not in web, because what it shows is this app's."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from tamasuk.analysis.small_charts import sparkline
from tamasuk.cities import publication
from tamasuk.cities import queries as city_queries
from tamasuk.cities.permissions import Action, can
from tamasuk.web.decorators import city_page
from tamasuk.web.maps import city_map
from tamasuk.web.nav import city_nav

from . import queries
from .models import ReportCategory


@login_required
@city_page(Action.VIEW_CITY)
def area_page(request, city, code):
    area = city_queries.area(request.user, city, code)
    children = list(city_queries.areas(request.user, city).filter(parent=area))
    siblings = list(city_queries.areas(request.user, city, level=area.level).filter(parent=area.parent))
    shown = children or siblings
    svg = city_map(city, shown if children else siblings, highlight=None if children else area.code,
                   colour="density", width=480,
                   title=_("Map of %(area)s") % {"area": area.display_name(get_language())})
    ancestors = []
    node = area.parent
    while node is not None and len(ancestors) < 20:
        ancestors.insert(0, node)
        node = node.parent
    population_rows = []
    # Counts by sex and age band can be small: they stay inside the city team; others see the total.
    if can(request.user, Action.VIEW_SMALL_CELLS, city):
        for sex, bands in (area.population_detail or {}).items():
            for band, count in bands.items():
                population_rows.append((sex, band, count))
    series = []
    for s in queries.area_series(request.user, city, area):
        ind = s["indicator"]
        name = ind.display_name(get_language())
        series.append({**s, "name": name, "latest": s["values"][-1], "latest_period": s["periods"][-1],
                       "svg": sparkline(s["values"], title=_("%(name)s, %(first)s–%(last)s") % {
                           "name": name, "first": s["periods"][0], "last": s["periods"][-1]}, unit=ind.unit)})
    report_years = queries.area_report_counts(request.user, city, area)
    categories = [(value, label) for value, label in ReportCategory.choices
                  if report_years and value in report_years[0]["counts"]]
    return render(request, "mapping/area.html", {
        **city_nav(request, city),
        "series": series,
        "report_categories": categories,
        "report_years": [{**y, "cells": [y["counts"][c] for c, _label in categories]} for y in report_years],
        "reports_published": not publication.sees_everything(request.user, city), "k": publication.threshold(city),
        "rank_history": queries.rank_history(request.user, city, area),
        "area": area,
        "area_name": area.display_name(get_language()),
        "ancestors": ancestors,
        "children": children,
        "level_name": city.level_name(area.level),
        "map_svg": svg,
        "population_rows": population_rows,
    })
