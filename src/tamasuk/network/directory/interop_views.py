"""The directory's exports: a 3W/4W sheet (CSV or XLSX with HXL hashtags) and Open Referral HSDS 3.0 JSON. Thin:
the work is in :mod:`.exports`. (Both imports are kinds of the import pipeline: :mod:`.import_adapters`.)"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.views.decorators.http import require_http_methods

from tamasuk.cities.permissions import Action
from tamasuk.web.decorators import city_page

from . import exports


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
    return _download(*exports.threew_export(request.user, city, fmt))


@login_required
@require_http_methods(["GET"])
@city_page(Action.READ_CITY_DATA)
def hsds_export(request, city):
    content, name = exports.hsds_export_bytes(request.user, city)
    return _download(content, "application/json; charset=utf-8", name)
