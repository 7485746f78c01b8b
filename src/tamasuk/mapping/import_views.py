"""Import pages: upload, map the columns, watch the dry run, confirm. Thin: parse, call a service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tamasuk.cities.permissions import Action, can
from tamasuk.web.decorators import city_page
from tamasuk.web.nav import city_nav

from . import blank_sheets, import_services
from .import_forms import ROLE_LABELS, MappingForm, UploadForm
from .imports import ImportJob, ImportTemplate, JobStatus, TableFormat
from .models import Indicator, Observation

ERRORS_PER_PAGE = 100


def _job(city, pk) -> ImportJob:
    return get_object_or_404(ImportJob.objects.defer("content").select_related("template"), city=city, pk=pk)


@login_required
@city_page(Action.IMPORT_DATA)
def upload(request, city):
    templates = ImportTemplate.objects.filter(city=city)
    form = UploadForm(request.POST or None, request.FILES or None, templates=templates)
    if request.method == "POST" and form.is_valid():
        f = form.cleaned_data["file"]
        try:
            import_services.check_upload(f.name, f.size)  # before reading it into memory
            job = import_services.create_job(actor=request.user, city=city, file_name=f.name, data=f.read(),
                                             template=form.cleaned_data.get("template"))
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error("file", message)
        else:
            return redirect("mapping:import_job", city.slug, job.pk)
    jobs = ImportJob.objects.filter(city=city).defer("content").select_related("created_by")[:15]
    return render(request, "mapping/import_upload.html", {
        **city_nav(request, city), "form": form, "jobs": jobs, "templates": templates,
        "indicator_sets": blank_sheets.indicator_sets(city), "may_edit_areas": can(request.user, Action.EDIT_AREAS, city)})


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
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


VALUES_PER_PAGE = 200


@login_required
@city_page(Action.IMPORT_DATA)
def job_values(request, city, pk):
    """The city's values of the indicators and periods a file holds: what the import put in."""
    job = _job(city, pk)
    codes, periods = job.summary.get("indicators", []), job.summary.get("periods", [])
    indicators = list(Indicator.objects.filter(city=city, code__in=codes).order_by("code"))
    values = Observation.objects.filter(city=city, indicator__in=indicators, period__in=periods) \
        .select_related("indicator", "area").order_by("indicator__code", "period", "area__code", "sex", "age_band",
                                                      "group")
    page = Paginator(values, VALUES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "mapping/import_values.html", {
        **city_nav(request, city), "job": job, "indicators": indicators, "periods": periods, "values": page})


def _mapping_form(request, city, job):
    detected = job.detected
    indicators = Indicator.objects.filter(city=city).order_by("code")
    initial = {"format": job.format or detected.get("format", TableFormat.LONG),
               "source_text": detected.get("source", "")}
    if job.column_map:  # mapped before: show that mapping again
        index_of = {spec: ix for ix, spec in detected.get("specs", {}).items()}
        initial.update({f"role_{r}": index_of.get(job.column_map.get(r) or "", "")
                        for r in import_services.ROLES})
        initial.update({f"wide_{code}": index_of.get(col, "")
                        for col, code in (job.column_map.get("wide_indicators") or {}).items()})
        initial["default_period"] = job.column_map.get("default_period") or ""
    else:
        initial.update({f"role_{r}": ix for r, ix in detected.get("suggested", {}).items()})
        initial.update({f"wide_{code}": ix for code, ix in detected.get("suggested_wide", {}).items()})
    return MappingForm(request.POST if request.method == "POST" else None, initial=initial,
                       columns=detected.get("columns", []), specs=detected.get("specs", {}), indicators=indicators)


@login_required
@city_page(Action.IMPORT_DATA)
def job_page(request, city, pk):
    job = _job(city, pk)
    remap = job.status == JobStatus.UPLOADED or (
        request.GET.get("remap") and job.status in {JobStatus.DRY_RUN_READY, JobStatus.FAILED})
    form = _mapping_form(request, city, job) if remap or request.method == "POST" else None
    if request.method == "POST" and form is not None and form.is_valid():
        data = form.cleaned_data
        try:
            cmap = import_services.build_map(job, fmt=data["format"], roles=form.roles(), wide=form.wide(),
                                             default_period=data["default_period"])
            import_services.start_dry_run(actor=request.user, job=job, column_map=cmap, fmt=data["format"],
                                          source=data["source_text"], template_name=data["template_name"])
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc.messages)
        else:
            return redirect("mapping:import_job", city.slug, job.pk)
    errors = Paginator(job.errors, ERRORS_PER_PAGE).get_page(request.GET.get("page"))
    columns = {str(c["index"]): c for c in job.detected.get("columns", [])}
    detected_roles = [(ROLE_LABELS[r], columns[ix]) for r, ix in job.detected.get("suggested", {}).items() if ix in columns]
    return render(request, "mapping/import_job.html", {
        **city_nav(request, city), "job": job, "form": form if remap or request.method == "POST" else None,
        "errors": errors, "detected_roles": detected_roles,
        "detected_wide": [(code, columns[ix]) for code, ix in job.detected.get("suggested_wide", {}).items()
                          if ix in columns]})


@login_required
@city_page(Action.IMPORT_DATA)
def progress(request, city, pk):
    job = _job(city, pk)
    response = render(request, "mapping/_import_progress.html", {"city": city, "job": job})
    if request.htmx and not job.running:
        response["HX-Refresh"] = "true"  # finished: the whole page now shows the summary
    return response


@require_POST
@login_required
@city_page(Action.IMPORT_DATA)
def confirm(request, city, pk):
    job = _job(city, pk)
    try:
        import_services.confirm(actor=request.user, job=job)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The import is queued; this page follows it."))
    return redirect("mapping:import_job", city.slug, job.pk)
