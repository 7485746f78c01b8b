"""Plan exports for publication. Thin: iati_export builds the data, interop.iati writes the file."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_GET

from tamasuk.cities.permissions import Action
from tamasuk.web.decorators import city_page
from tamasuk.web.downloads import attachment
from tamasuk.web.nav import city_nav

from . import iati_export, queries


@login_required
@require_GET
@city_page(Action.EXPORT)
def iati(request, city, pk):
    """The plan as IATI 2.03 activity XML. While something must be fixed before publishing (no registered
    organisation identifier yet), a page says what first, and the file comes with ?accept=1."""
    plan = queries.plan(request.user, city, pk)
    warnings = iati_export.warnings_for(plan)
    if warnings and request.GET.get("accept") != "1":
        return render(request, "plans/iati.html", {
            **city_nav(request, city), "plan": plan, "warnings": warnings,
            "plan_title": plan.display_title(translation.get_language())})
    content, name = iati_export.xml_for(request.user, plan)
    return attachment(content, name, "application/xml; charset=utf-8", private=True)
