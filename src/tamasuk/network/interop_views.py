"""Import and export pages of the directory: 3W/4W sheets and Open Referral HSDS 3.0 JSON. Thin: the work is in
:mod:`tamasuk.network.interop_services`.

An import is two steps: upload → dry run (what would be added, changed, left as it is, and every error), then
confirm. Between the two the file is kept in the user's session (compressed, at most
:data:`interop_services.MAX_UPLOAD` bytes, one pending file per format and city) under its SHA-256; the confirm
form names that digest, so what is written is the file that was checked, checked again against the directory
as it is at that moment.
"""

from __future__ import annotations

import base64
import zlib

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from tamasuk.cities.permissions import Action
from tamasuk.web.decorators import city_page
from tamasuk.web.nav import city_nav

from . import interop_services as interop
from .models import Sector


class ThreeWUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("3W/4W sheet (CSV or XLSX with HXL hashtags)"))


class HsdsUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("HSDS 3.0 JSON file"))
    sector = forms.ChoiceField(label=gettext_lazy("Sector of services new to the directory"), choices=Sector.choices,
                               help_text=gettext_lazy("HSDS has no sector. Services already in the directory keep "
                                                      "theirs."))


def _session_key(kind: str, city) -> str:
    return f"tamasuk.network.import.{kind}.{city.pk}"


def _keep(request, kind: str, city, name: str, data: bytes, **extra) -> str:
    digest = interop.sha256(data)
    request.session[_session_key(kind, city)] = {
        "name": name, "sha256": digest, "data": base64.b64encode(zlib.compress(data, 6)).decode("ascii"), **extra}
    return digest


def _kept(request, kind: str, city, digest: str) -> dict | None:
    pending = request.session.get(_session_key(kind, city))
    if not pending or pending.get("sha256") != digest:
        return None
    try:
        data = zlib.decompress(base64.b64decode(pending["data"]))
    except (ValueError, zlib.error):
        return None
    if len(data) > interop.MAX_UPLOAD or interop.sha256(data) != digest:
        return None
    return {**pending, "data": data}


def _forget(request, kind: str, city) -> None:
    request.session.pop(_session_key(kind, city), None)


def _upload(form) -> tuple[str, bytes] | None:
    upload = form.cleaned_data["file"]
    try:
        interop.check_upload(upload.name, upload.size, _EXTENSIONS[form.kind])
    except interop.ImportFileError as exc:
        form.add_error("file", str(exc))
        return None
    return upload.name, upload.read()


_EXTENSIONS = {"3w": interop.THREEW_EXTENSIONS, "hsds": interop.HSDS_EXTENSIONS}


def _import_page(request, city, *, kind: str, form_class, run, template: str):
    """The shared flow of both imports. ``run(data, name, dry_run, extra)`` returns a plan."""
    form = form_class(request.POST or None, request.FILES or None)
    form.kind = kind
    plan = token = name = None
    if request.method == "POST" and request.POST.get("confirm"):
        pending = _kept(request, kind, city, request.POST.get("sha256", ""))
        if pending is None:
            messages.error(request, _("The checked file is no longer held: upload it again."))
            return redirect(request.path)
        name = pending["name"]
        try:
            plan = run(pending["data"], name, False, pending)
        except interop.ImportFileError as exc:
            _forget(request, kind, city)
            form = form_class()
            form.add_error("file", str(exc))
        else:
            if plan.ok:
                _forget(request, kind, city)
                if plan.written:
                    messages.success(request, _(
                        "Imported %(file)s: %(orgs)s new organisations, %(new)s new services, %(changed)s services "
                        "changed.") % {"file": name, "orgs": len(plan.new_organisations),
                                       "new": len(plan.new_services), "changed": len(plan.changed_services)})
                else:
                    messages.info(request, _("%(file)s holds nothing new: the directory already says the same.")
                                  % {"file": name})
                return redirect("network:directory", city.slug)
            # The directory changed since the dry run and the file no longer fits: show why; nothing was written.
            _forget(request, kind, city)
            form = form_class(initial={k: v for k, v in pending.items() if k not in ("data", "name", "sha256")})
    elif request.method == "POST" and form.is_valid():
        upload = _upload(form)
        if upload is not None:
            name, data = upload
            extra = {k: v for k, v in form.cleaned_data.items() if k != "file"}
            try:
                plan = run(data, name, True, extra)
            except interop.ImportFileError as exc:
                form.add_error("file", str(exc))
            else:
                _forget(request, kind, city)
                if plan.ok and plan.changes_anything:
                    token = _keep(request, kind, city, name, data, **extra)
    return render(request, template, {**city_nav(request, city), "form": form, "plan": plan, "token": token,
                                      "file_name": name, "max_mb": interop.MAX_UPLOAD // 1024 // 1024})


@login_required
@require_http_methods(["GET", "POST"])
@city_page(Action.EDIT_CITY_DATA)
def threew_import(request, city):
    def run(data, name, dry_run, _extra):
        return interop.import_threew(actor=request.user, city=city, data=data, file_name=name, dry_run=dry_run)

    return _import_page(request, city, kind="3w", form_class=ThreeWUploadForm, run=run,
                        template="network/interop_threew_import.html")


@login_required
@require_http_methods(["GET", "POST"])
@city_page(Action.EDIT_CITY_DATA)
def hsds_import(request, city):
    def run(data, name, dry_run, extra):
        return interop.import_hsds(actor=request.user, city=city, data=data, file_name=name, dry_run=dry_run,
                                   sector=extra.get("sector") or Sector.COHESION)

    return _import_page(request, city, kind="hsds", form_class=HsdsUploadForm, run=run,
                        template="network/interop_hsds_import.html")


def _download(content: bytes, content_type: str, file_name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_http_methods(["GET"])
@city_page(Action.READ_CITY_DATA)
def threew_export(request, city):
    fmt = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
    return _download(*interop.threew_export(request.user, city, fmt))


@login_required
@require_http_methods(["GET"])
@city_page(Action.READ_CITY_DATA)
def hsds_export(request, city):
    content, name = interop.hsds_export_bytes(request.user, city)
    return _download(content, "application/json; charset=utf-8", name)
