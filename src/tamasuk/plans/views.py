"""Plan pages. Thin: queries for reads, services for writes."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from tamasuk.cities.permissions import Action
from tamasuk.web.decorators import city_page
from tamasuk.web.nav import city_nav

from . import queries


@login_required
@city_page(Action.VIEW_CITY)
def plans(request, city):
    return render(request, "plans/plans.html", {**city_nav(request, city), "plans": queries.plans(request.user, city)})


@login_required
@city_page(Action.VIEW_CITY)
def plan(request, city, pk):
    p = queries.plan(request.user, city, pk)
    return render(request, "plans/plan.html", {**city_nav(request, city), "plan": p})
