"""The directory's exports: a 3W/4W sheet (CSV or XLSX with HXL hashtags) and Open Referral HSDS 3.0 JSON. Thin:
the work is in :mod:`.exports`. (Both imports are kinds of the import pipeline: :mod:`.import_adapters`.)"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.views.decorators.http import require_http_methods

from tamasuk.cities.permissions import Action
from tamasuk.web.decorators import city_page
from tamasuk.web.downloads import attachment

from . import exports


@login_required
@require_http_methods(["GET"])
@city_page(Action.READ_CITY_DATA)
def threew_export(request, city):
    fmt = "xlsx" if request.GET.get("format") == "xlsx" else "csv"
    content, content_type, name = exports.threew_export(request.user, city, fmt)
    return attachment(content, name, content_type, private=True)


@login_required
@require_http_methods(["GET"])
@city_page(Action.READ_CITY_DATA)
def hsds_export(request, city):
    content, name = exports.hsds_export_bytes(request.user, city)
    return attachment(content, name, "application/json; charset=utf-8", private=True)
