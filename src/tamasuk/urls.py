from django.urls import include, path
from django.views.i18n import set_language

from tamasuk.api.api import api

urlpatterns = [
    path("i18n/setlang/", set_language, name="set_language"),
    path("api/v1/", api.urls),
    path("", include("tamasuk.cities.urls")),
    path("", include("tamasuk.imports.urls")),
    path("", include("tamasuk.mapping.urls")),
    path("", include("tamasuk.network.urls")),
    path("", include("tamasuk.plans.urls")),
    path("", include("tamasuk.audit.urls")),
    path("", include("tamasuk.api.urls")),
    path("", include("tamasuk.web.urls")),
]

# Error pages in the reader's language, each with a way back (tamasuk.web.errors).
handler400 = "tamasuk.web.errors.bad_request"
handler403 = "tamasuk.web.errors.permission_denied"
handler404 = "tamasuk.web.errors.page_not_found"
handler500 = "tamasuk.web.errors.server_error"
