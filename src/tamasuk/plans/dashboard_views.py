"""The plan's monitoring dashboard page. Thin: queries decide who reads the plan, dashboard builds the numbers."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import get_language_bidi

from tamasuk.cities.permissions import Action
from tamasuk.web.decorators import city_page
from tamasuk.web.nav import city_nav

from . import dashboard as dashboards
from . import queries


@login_required
@city_page(Action.VIEW_CITY)
def dashboard(request, city, pk):
    plan = queries.plan(request.user, city, pk)
    d = dashboards.build(request.user, plan)
    return render(request, "plans/dashboard.html", {
        **city_nav(request, city), "plan": plan, "d": d, "charts": dashboards.charts(d, rtl=get_language_bidi()),
    })
