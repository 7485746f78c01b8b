"""Upload areas (ward boundaries) from the browser: the same checks and dry run as `tamasuk import-areas`.

Two steps, as the directory imports: upload → dry run (what would be created, updated, left as it is, and every
error naming its feature and field), then confirm. Between the two the file is kept in the user's session
(compressed, at most MAX_UPLOAD bytes) under its SHA-256, and the confirmation names that digest: what is
written is the file that was checked, checked again against the city's areas as they are then, all or nothing.
"""

from __future__ import annotations

import base64
import hashlib
import zlib

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from tamasuk.cities.models import Area
from tamasuk.cities.permissions import Action
from tamasuk.cities.services import import_areas
from tamasuk.interop.geojson import read_areas

from .decorators import city_page
from .nav import city_nav

MAX_UPLOAD = 10 * 1024 * 1024
EXTENSIONS = (".geojson", ".json")


class AreaUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Boundary file (GeoJSON FeatureCollection)"),
                           widget=forms.ClearableFileInput(attrs={"accept": ",".join(EXTENSIONS)}))
    code_prop = forms.CharField(label=gettext_lazy("Property holding the area code"), initial="code", max_length=100)
    name_prop = forms.CharField(label=gettext_lazy("Property holding the area name"), initial="name", max_length=100)
    parent_prop = forms.CharField(label=gettext_lazy("Property holding the parent's code (optional)"),
                                  required=False, max_length=100)
    population_prop = forms.CharField(label=gettext_lazy("Property holding the population (optional)"),
                                      required=False, max_length=100)
    name_langs = forms.CharField(
        label=gettext_lazy("Names in other languages (optional)"), required=False, max_length=300,
        help_text=gettext_lazy("Language and property, separated by commas, e.g. ar=name_ar, sw=name_sw"))

    def clean_name_langs(self):
        text = self.cleaned_data["name_langs"].strip()
        pairs = {}
        for item in filter(None, (x.strip() for x in text.split(","))):
            lang, sep, prop = item.partition("=")
            if not sep or not lang.strip() or not prop.strip():
                raise forms.ValidationError(_("Write each as language=property, e.g. ar=name_ar."))
            pairs[lang.strip()] = prop.strip()
        return pairs

    def clean_file(self):
        f = self.cleaned_data["file"]
        if not f.name.lower().endswith(EXTENSIONS):
            raise forms.ValidationError(_("Upload a GeoJSON file (.geojson or .json)."))
        if f.size > MAX_UPLOAD:
            raise forms.ValidationError(_("The file is %(size)s MB; the limit is %(limit)s MB.") % {
                "size": f"{f.size / 2**20:.1f}", "limit": MAX_UPLOAD // 2**20})
        return f


def _session_key(city) -> str:
    return f"tamasuk.web.area_import.{city.pk}"


def _check(city, data: bytes, options: dict, *, actor, dry_run: bool):
    known = set(Area.objects.filter(city=city).values_list("code", flat=True))
    result = read_areas(data, code_property=options["code_prop"], name_property=options["name_prop"],
                        parent_property=options.get("parent_prop") or None,
                        extra_name_properties=options.get("name_langs") or {},
                        population_property=options.get("population_prop") or None, known_parent_codes=known)
    return result, import_areas(actor=actor, city=city, result=result, dry_run=dry_run)


@login_required
@require_http_methods(["GET", "POST"])
@city_page(Action.EDIT_AREAS)
def area_import(request, city):
    form = AreaUploadForm(request.POST or None, request.FILES or None)
    report = result = token = file_name = None
    if request.method == "POST" and request.POST.get("confirm"):
        pending = request.session.get(_session_key(city)) or {}
        try:
            data = zlib.decompress(base64.b64decode(pending.get("data", "")))
        except (ValueError, zlib.error):
            data = b""
        if not data or pending.get("sha256") != request.POST.get("sha256") or \
                hashlib.sha256(data).hexdigest() != pending.get("sha256"):
            messages.error(request, _("The checked file is no longer held: upload it again."))
            return redirect(request.path)
        file_name = pending["name"]
        result, report = _check(city, data, pending["options"], actor=request.user, dry_run=False)
        request.session.pop(_session_key(city), None)
        if report.ok:
            messages.success(request, _("Imported %(file)s: %(created)s areas created, %(updated)s updated, "
                                        "%(unchanged)s unchanged.") % {
                "file": file_name, "created": len(report.created), "updated": len(report.updated),
                "unchanged": len(report.unchanged)})
            return redirect("web:city", city.slug)
        form = AreaUploadForm(initial={k: v for k, v in pending["options"].items() if k != "name_langs"})
    elif request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        file_name, data = upload.name, upload.read()
        options = {k: v for k, v in form.cleaned_data.items() if k != "file"}
        result, report = _check(city, data, options, actor=request.user, dry_run=True)
        request.session.pop(_session_key(city), None)
        if report.ok and (report.created or report.updated):
            token = hashlib.sha256(data).hexdigest()
            request.session[_session_key(city)] = {
                "name": file_name, "sha256": token, "options": options,
                "data": base64.b64encode(zlib.compress(data, 6)).decode("ascii")}
    return render(request, "web/area_import.html", {
        **city_nav(request, city), "form": form, "report": report, "result": result, "token": token,
        "file_name": file_name, "max_mb": MAX_UPLOAD // 2**20})
