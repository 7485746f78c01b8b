"""The import pages, the same for every kind: the list of imports, upload, the job (setup step, dry run,
confirmation, errors by row and column), its progress, retry and discard. Thin: parse, call a service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tamasuk.cities.permissions import Action
from tamasuk.web.decorators import city_page
from tamasuk.web.errors import as_text, put_on_form
from tamasuk.web.nav import city_nav

from . import queries, services
from .forms import upload_form_class
from .models import JobStatus

ERRORS_PER_PAGE = 100


@login_required
@city_page(Action.VIEW_CITY)
def jobs(request, city):
    kinds = queries.kinds_for(request.user, city)
    if not kinds:
        raise PermissionDenied
    services.expire_stale()
    return render(request, "imports/jobs.html", {**city_nav(request, city), "kinds": kinds,
                                                 "jobs": queries.jobs_for(request.user, city)})


@login_required
@city_page(Action.VIEW_CITY)
def upload(request, city, kind):
    adapter = queries.adapter_for(request.user, city, kind)
    form = upload_form_class(adapter)(request.POST or None, request.FILES or None, city=city)
    if request.method == "POST" and form.is_valid():
        f = form.cleaned_data["file"]
        try:
            services.check_upload(adapter, f.name, f.size)  # before reading it into memory
            job = services.upload(actor=request.user, city=city, kind=kind, file_name=f.name, data=f.read(),
                                  options=adapter.options(form.cleaned_data))
        except ValidationError as exc:
            put_on_form(form, exc, unnamed="file")
        else:
            return redirect("imports:job", city.slug, job.pk)
    return render(request, "imports/upload.html", {
        **city_nav(request, city), "adapter": adapter, "form": form,
        "jobs": queries.jobs_for(request.user, city, kind=kind, limit=15), **adapter.upload_context(city)})


def _job(request, city, pk):
    """The job and its kind's adapter; a job whose worker died shows as failed from the first look."""
    job, adapter = queries.job_for(request.user, city, pk)
    if job.running and services.expire_stale():
        job.refresh_from_db()
    return job, adapter


@login_required
@city_page(Action.VIEW_CITY)
def job_page(request, city, pk):
    job, adapter = _job(request, city, pk)
    setup = adapter.setup_template and bool(job.file) and (job.status == JobStatus.UPLOADED or (
        request.GET.get("setup") and job.status in {JobStatus.DRY_RUN_READY, JobStatus.FAILED}))
    form = adapter.setup_form(job, request.POST if request.method == "POST" else None) \
        if setup or request.method == "POST" else None
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            services.start_dry_run(actor=request.user, job=job, options=adapter.setup(job, form, request.user))
        except ValidationError as exc:
            put_on_form(form, exc)
        else:
            return redirect("imports:job", city.slug, job.pk)
    errors = Paginator(job.errors, ERRORS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "imports/job.html", {
        **city_nav(request, city), "job": job, "adapter": adapter, "form": form, "errors": errors,
        "links": adapter.links(job) if job.status == JobStatus.DONE else [],
        "done_message": adapter.done_message(job) if job.status == JobStatus.DONE else "",
        **(adapter.setup_context(job, form) if form is not None else {})})


@login_required
@city_page(Action.VIEW_CITY)
def progress(request, city, pk):
    job, adapter = _job(request, city, pk)
    response = render(request, "imports/_progress.html", {"city": city, "job": job, "adapter": adapter})
    if request.htmx and not job.running:
        response["HX-Refresh"] = "true"  # finished: the whole page now shows the summary
    return response


def _act(request, city, pk, service, success: str):
    job, _adapter = queries.job_for(request.user, city, pk)
    try:
        service(actor=request.user, job=job)
    except ValidationError as exc:
        messages.error(request, as_text(exc))
    else:
        messages.success(request, success)
    return redirect("imports:job", city.slug, job.pk)


@require_POST
@login_required
@city_page(Action.VIEW_CITY)
def confirm(request, city, pk):
    return _act(request, city, pk, services.confirm, _("The import is queued; this page follows it."))


@require_POST
@login_required
@city_page(Action.VIEW_CITY)
def retry(request, city, pk):
    return _act(request, city, pk, services.retry, _("The import is queued again; this page follows it."))


@require_POST
@login_required
@city_page(Action.VIEW_CITY)
def discard(request, city, pk):
    return _act(request, city, pk, services.discard, _("The import was discarded and its file deleted."))
