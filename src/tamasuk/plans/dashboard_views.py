"""The plan's monitoring dashboard and reporting-completeness pages. Thin: queries decide who reads the plan, dashboard builds the numbers."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import get_language, get_language_bidi

from tamasuk.cities.permissions import Action
from tamasuk.web.decorators import city_page
from tamasuk.web.nav import city_nav
from tamasuk.web.params import whole_number

from . import completeness, queries
from . import dashboard as dashboards


@login_required
@city_page(Action.VIEW_CITY)
def dashboard(request, city, pk):
    plan = queries.plan(request.user, city, pk)
    d = dashboards.build(request.user, plan)
    return render(request, "plans/dashboard.html", {
        **city_nav(request, city), "plan": plan, "d": d, "charts": dashboards.charts(d, rtl=get_language_bidi()),
    })


@login_required
@city_page(Action.VIEW_CITY)
def reporting(request, city, pk):
    """Which activity of a plan version has reported which quarter, with completeness per quarter and activity."""
    plan = queries.plan(request.user, city, pk)
    report = completeness.build(request.user, plan, number=whole_number(request.GET.get("version")))
    return render(request, "plans/reporting.html", {**city_nav(request, city), "plan": plan, "report": report,
                                                    "plan_title": plan.display_title(get_language())})
