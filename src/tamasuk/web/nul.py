"""Refuse a NUL character (\\x00) in the address or its query: PostgreSQL cannot store or compare text holding one
(psycopg raises before the query is sent), so a lookup with it would be a 500 there and a silent miss on SQLite.
No real address holds one; the request is answered 400, as JSON under the API."""

from django.http import JsonResponse
from django.utils.translation import gettext as _

from .errors import bad_request


class RefuseNulMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or any("\x00" in key or any("\x00" in v for v in values)
                                         for key, values in request.GET.lists()):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": _("The address holds a NUL character (\\x00); remove it.")},
                                    status=400)
            return bad_request(request)
        return self.get_response(request)
