"""Indicators and themes."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tamasuk.audit.conflicts import StaleEdit
from tamasuk.cities.permissions import Action, can
from tamasuk.web.conflicts import OPENED, require_opened, show_conflict
from tamasuk.web.decorators import city_page
from tamasuk.web.nav import city_nav

from . import queries, services
from .forms import IndicatorForm, NewThemeForm, ThemeForm
from .models import Indicator, Theme


def _theme_form(theme, data=None) -> ThemeForm:
    return require_opened(ThemeForm(data, prefix=f"t{theme.pk}", initial={
        "name": theme.name, "sensitivity": theme.sensitivity, OPENED: services.theme_token(theme)}))


def _indicators_page(request, city, *, form, theme_form, bound_theme=None, conflict=None):
    """The themes and indicators page; ``bound_theme``: a theme's form sent back with what its editor typed."""
    themes = queries.themes(request.user, city)
    by_theme = []
    all_indicators = list(queries.indicators(request.user, city))
    for theme in sorted(themes.values(), key=lambda t: (t.group, t.order)):
        tform = bound_theme if bound_theme is not None and bound_theme.prefix == f"t{theme.pk}" else \
            _theme_form(theme)
        by_theme.append((theme, [i for i in all_indicators if i.theme_id == theme.pk], tform))
    return render(request, "mapping/indicators.html", {**city_nav(request, city), "by_theme": by_theme,
                                                       "form": form, "theme_form": theme_form,
                                                       "may_edit": can(request.user, Action.EDIT_CITY_DATA, city),
                                                       "conflict": conflict})


@login_required
@city_page(Action.READ_CITY_DATA)
def indicators(request, city):
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
            data = {k: v for k, v in form.cleaned_data.items() if k != OPENED}
            try:
                ind = services.create_indicator(actor=request.user, city=city, **data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Indicator “%(name)s” added.") % {"name": ind.name})
                return redirect("mapping:indicators", city.slug)
    return _indicators_page(request, city, form=form, theme_form=theme_form)


@require_POST
@login_required
@city_page(Action.EDIT_CITY_DATA)
def rename_theme(request, city, pk):
    theme = get_object_or_404(Theme, pk=pk, city=city)
    form = _theme_form(theme, request.POST)
    if form.is_valid():
        try:
            services.update_theme(actor=request.user, theme=theme, name=form.cleaned_data["name"],
                                  sensitivity=form.cleaned_data["sensitivity"], opened=form.cleaned_data[OPENED])
        except StaleEdit as stale:
            # The page again, this theme's form keeping what its editor typed, beside what was saved since.
            conflict = show_conflict(form, stale, token=stale.token)
            return _indicators_page(request, city, form=IndicatorForm(city=city),
                                    theme_form=NewThemeForm(prefix="new"), bound_theme=form, conflict=conflict)
        messages.success(request, _("Theme saved."))
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("mapping:indicators", city.slug)


@login_required
@city_page(Action.EDIT_CITY_DATA)
def edit_indicator(request, city, code):
    indicator = get_object_or_404(Indicator, city=city, code=code)
    form = require_opened(IndicatorForm(request.POST or None, city=city, instance=indicator,
                                        initial={OPENED: services.indicator_token(indicator)}))
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "code"}
        opened = data.pop(OPENED)
        try:
            services.update_indicator(actor=request.user, indicator=indicator, opened=opened, **data)
        except StaleEdit as stale:
            conflict = show_conflict(form, stale, token=stale.token)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Indicator saved."))
            return redirect("mapping:indicators", city.slug)
    return render(request, "mapping/indicator_form.html", {**city_nav(request, city), "form": form,
                                                           "indicator": indicator, "conflict": conflict})
