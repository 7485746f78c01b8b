"""National pages: a country's National Action Plans, and the national liaison's view across its cities.

Thin: national_queries for reads (and who may read), services for writes, analysis.heatmap for the drawing.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import get_language, get_language_bidi
from django.utils.translation import gettext as _

from tamasuk.analysis.heatmap import heatmap
from tamasuk.cities.permissions import may_edit_framework, national_countries
from tamasuk.web.errors import put_on_form
from tamasuk.web.params import whole_number

from . import national_queries, services
from .national_forms import FrameworkForm, PillarForm, RenamePillarForm


@login_required
def frameworks(request, country):
    found = national_queries.frameworks(request.user, country)
    may_edit = may_edit_framework(request.user, country)
    if request.method == "POST" and not may_edit:
        raise PermissionDenied
    form = FrameworkForm(request.POST or None) if may_edit else None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            framework = services.create_framework(actor=request.user, country=country, name=data["name"],
                                                  start_year=data["start_year"], end_year=data["end_year"],
                                                  pillars=data["pillars"])
        except ValidationError as exc:
            put_on_form(form, exc)
        else:
            messages.success(request, _("National action plan “%(name)s” saved.") % {"name": framework.name})
            return redirect("plans:framework", country, framework.pk)
    language = get_language()
    rows = [{"framework": f, "name": f.display_name(language),
             "pillars": [(p.code, p.display_title(language)) for p in f.pillars.all()]} for f in found]
    return render(request, "plans/national_frameworks.html", {
        "country": country, "rows": rows, "form": form, "may_edit": may_edit,
        "is_liaison": country in national_countries(request.user)})


@login_required
def framework(request, country, pk):
    found = national_queries.framework(request.user, country, pk)
    may_edit = may_edit_framework(request.user, country)
    if request.method == "POST" and not may_edit:
        raise PermissionDenied
    pillars = list(found.pillars.all())
    add_form = PillarForm(request.POST if request.POST.get("action") == "add" else None, prefix="add") \
        if may_edit else None
    rename_pk = request.POST.get("rename") if request.method == "POST" else None
    rename_forms = {}
    for p in pillars:
        bound = rename_pk == str(p.pk)
        rename_forms[p.pk] = RenamePillarForm(request.POST if bound else None, prefix=f"p{p.pk}",
                                              initial={"pillar": p.pk, "seen": p.title, "title": p.title}) \
            if may_edit else None
    if request.method == "POST" and add_form is not None and add_form.is_bound:
        if add_form.is_valid():
            try:
                pillar = services.add_national_pillar(actor=request.user, framework=found, **add_form.cleaned_data)
            except ValidationError as exc:
                put_on_form(add_form, exc)
            else:
                messages.success(request, _("Pillar %(code)s added.") % {"code": pillar.code})
                return redirect("plans:framework", country, found.pk)
    elif request.method == "POST" and rename_pk:
        pillar = next((p for p in pillars if str(p.pk) == rename_pk), None)
        if pillar is None:
            raise PermissionDenied
        form = rename_forms[pillar.pk]
        if form.is_valid():
            try:
                services.rename_national_pillar(actor=request.user, pillar=pillar, title=form.cleaned_data["title"],
                                                expected_title=form.cleaned_data["seen"])
            except services.StaleEdit as stale:
                # Shown again based on what is saved now, so that saving once more is a deliberate overwrite.
                data = request.POST.copy()
                data[f"p{pillar.pk}-seen"] = stale.current["title"]
                form = rename_forms[pillar.pk] = RenamePillarForm(data, prefix=f"p{pillar.pk}")
                form.is_valid()
                form.add_error("title", _("%(who)s changed this title to “%(title)s” after you opened the page. "
                                          "Yours was not saved; change it again if it still needs changing.")
                               % {"who": stale.by or _("Someone else"), "title": stale.current["title"]})
                pillar.title = stale.current["title"]
            except ValidationError as exc:
                put_on_form(form, exc)
            else:
                messages.success(request, _("Pillar %(code)s renamed.") % {"code": pillar.code})
                return redirect("plans:framework", country, found.pk)
    language = get_language()
    return render(request, "plans/national_framework.html", {
        "country": country, "framework": found, "name": found.display_name(language),
        "pillars": [{"pillar": p, "title": p.display_title(language), "form": rename_forms[p.pk]} for p in pillars],
        "add_form": add_form, "may_edit": may_edit,
        "is_liaison": country in national_countries(request.user)})


def _cell(value) -> dict:
    """A published count, or a marker of one hidden by small-cell suppression."""
    return {"value": value, "hidden": isinstance(value, str)}


@login_required
def national(request, country):
    overview = national_queries.national_overview(request.user, country,
                                                  framework_pk=whole_number(request.GET.get("framework")),
                                                  year=whole_number(request.GET.get("year")))
    language = get_language()
    context = {"country": country, "overview": overview, "plans": [
        {"plan": p, "title": p.display_title(language),
         "framework": p.framework.display_name(language) if p.framework else ""} for p in overview.plans]}
    if overview.heatmap is not None:
        heat = overview.heatmap
        context["framework_name"] = overview.framework.display_name(language)
        row_labels = [f"{p.city.name} {p.start_year}–{p.end_year}" for p in heat.plans]
        pillar_titles = [p.display_title(language) for p in heat.pillars]
        context["heatmap_svg"] = heatmap(
            heat.counts, row_labels=row_labels, column_labels=[p.code for p in heat.pillars],
            column_titles=[f"{p.code} {t}" for p, t in zip(heat.pillars, pillar_titles, strict=True)],
            title=_("Local activities serving each pillar of %(framework)s")
            % {"framework": overview.framework.display_name(language)},
            desc=_("Rows are the cities' plans, columns the national pillars; each cell counts the plan's "
                   "activities that serve the pillar (cancelled ones left out)."),
            legend_title=_("Activities"), rtl=get_language_bidi(), id_prefix="national-heatmap")
        context["heat_rows"] = [{"plan": p, "label": label, "counts": counts, "unaligned": unaligned}
                                for p, label, counts, unaligned in zip(heat.plans, row_labels, heat.counts,
                                                                       heat.unaligned, strict=True)]
        context["pillar_titles"] = list(zip(heat.pillars, pillar_titles, strict=True))
    rollup = overview.rollup
    if rollup is not None and rollup.year is not None:
        row_names = [f"{p.code} {p.display_title(language)}" if p else _("Not linked to a national pillar")
                     for p in rollup.rows]
        names = {"f": _("Female"), "m": _("Male"), "": _("Not recorded")}
        # Stable keys for the markup (data-pillar, data-column, data-dimension): "" is "not linked" or "not recorded".
        row_keys = [p.code if p else "" for p in rollup.rows]
        context["rollup_rows"] = row_names
        context["breakdowns"] = [{
            "title": _("By sex") if b.dimension == "sex" else _("By age band"), "dimension": b.dimension,
            "columns": [names.get(c, c) for c in b.columns],
            "heads": [{"key": c, "name": names.get(c, c)} for c in b.columns],
            "rows": [{"name": name, "pillar": key, "cells": [_cell(v) for v in cells], "total": _cell(total)}
                     for name, key, cells, total in zip(row_names, row_keys, b.cells, b.row_totals, strict=True)],
            "col_totals": [_cell(v) for v in b.col_totals], "total": _cell(b.total)} for b in rollup.breakdowns]
        context["totals_only"] = [{"name": name, "pillar": key, "total": _cell(v)} for name, key, v in
                                  zip(row_names, row_keys, rollup.totals, strict=True)] if not rollup.breakdowns else []
        context["grand_total"] = _cell(rollup.total)
    return render(request, "plans/national.html", context)
