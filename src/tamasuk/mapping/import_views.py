"""The observations import's own pages beside the pipeline's (tamasuk.imports): blank sheets to fill in, and the
values a finished import holds."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from tamasuk.cities.permissions import Action
from tamasuk.imports.models import ImportJob
from tamasuk.web.decorators import city_page
from tamasuk.web.downloads import attachment
from tamasuk.web.nav import city_nav

from . import blank_sheets
from .models import Indicator, Observation


@login_required
@city_page(Action.IMPORT_DATA)
def blank_sheet(request, city, key, fmt):
    """A blank sheet of one set of indicators, with the city's finest areas filled in."""
    if fmt not in {"csv", "xlsx"}:
        raise Http404
    try:
        content, name, content_type = blank_sheets.sheet(city, key, fmt)
    except KeyError:
        raise Http404 from None
    return attachment(content, name, content_type)


VALUES_PER_PAGE = 200


@login_required
@city_page(Action.IMPORT_DATA)
def job_values(request, city, pk):
    """The city's values of the indicators and periods a file holds: what the import put in."""
    job = get_object_or_404(ImportJob, city=city, kind="observations", pk=pk)
    codes, periods = job.summary.get("indicators", []), job.summary.get("periods", [])
    indicators = list(Indicator.objects.filter(city=city, code__in=codes).order_by("code"))
    values = Observation.objects.filter(city=city, indicator__in=indicators, period__in=periods) \
        .select_related("indicator", "area").order_by("indicator__code", "period", "area__code", "sex", "age_band",
                                                      "group")
    page = Paginator(values, VALUES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "mapping/import_values.html", {
        **city_nav(request, city), "job": job, "indicators": indicators, "periods": periods, "values": page})
