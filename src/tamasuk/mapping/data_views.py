"""Indicators and themes."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tamasuk.cities.permissions import Action, can
from tamasuk.web.decorators import city_page
from tamasuk.web.nav import city_nav

from . import queries, services
from .forms import IndicatorForm, NewThemeForm, ThemeForm
from .models import Indicator, Theme


@login_required
@city_page(Action.READ_CITY_DATA)
def indicators(request, city):
    themes = queries.themes(request.user, city)
    may_edit = can(request.user, Action.EDIT_CITY_DATA, city)
    adding_theme = request.method == "POST" and "add_theme" in request.POST
    form = IndicatorForm(None if adding_theme else (request.POST or None), city=city)
    theme_form = NewThemeForm(request.POST if adding_theme else None, prefix="new")
    if request.method == "POST" and not may_edit:
        return redirect("mapping:indicators", city.slug)
    if adding_theme and theme_form.is_valid():
        try:
            services.create_theme(actor=request.user, city=city, **theme_form.cleaned_data)
        except ValidationError as exc:
            theme_form.add_error(None, exc)
        else:
            messages.success(request, _("Theme added."))
            return redirect("mapping:indicators", city.slug)
    if request.method == "POST" and not adding_theme:
        if form.is_valid():
            try:
                ind = services.create_indicator(actor=request.user, city=city, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Indicator “%(name)s” added.") % {"name": ind.name})
                return redirect("mapping:indicators", city.slug)
    by_theme = []
    all_indicators = list(queries.indicators(request.user, city))
    for theme in sorted(themes.values(), key=lambda t: (t.group, t.order)):
        by_theme.append((theme, [i for i in all_indicators if i.theme_id == theme.pk],
                         ThemeForm(initial={"name": theme.name, "sensitivity": theme.sensitivity},
                                   prefix=f"t{theme.pk}")))
    return render(request, "mapping/indicators.html", {**city_nav(request, city), "by_theme": by_theme,
                                                       "form": form, "theme_form": theme_form,
                                                       "may_edit": may_edit})


@require_POST
@login_required
@city_page(Action.EDIT_CITY_DATA)
def rename_theme(request, city, pk):
    theme = get_object_or_404(Theme, pk=pk, city=city)
    form = ThemeForm(request.POST, prefix=f"t{pk}")
    if form.is_valid():
        services.update_theme(actor=request.user, theme=theme, name=form.cleaned_data["name"],
                              sensitivity=form.cleaned_data["sensitivity"])
        messages.success(request, _("Theme saved."))
    return redirect("mapping:indicators", city.slug)


@login_required
@city_page(Action.EDIT_CITY_DATA)
def edit_indicator(request, city, code):
    indicator = get_object_or_404(Indicator, city=city, code=code)
    form = IndicatorForm(request.POST or None, city=city, instance=indicator)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "code"}
        try:
            services.update_indicator(actor=request.user, indicator=indicator, **data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Indicator saved."))
            return redirect("mapping:indicators", city.slug)
    return render(request, "mapping/indicator_form.html", {**city_nav(request, city), "form": form,
                                                           "indicator": indicator})
