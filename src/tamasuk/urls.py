from django.urls import include, path
from django.views.i18n import set_language

from tamasuk.api.api import api

urlpatterns = [
    path("i18n/setlang/", set_language, name="set_language"),
    path("api/v1/", api.urls),
    path("", include("tamasuk.mapping.urls")),
    path("", include("tamasuk.network.urls")),
    path("", include("tamasuk.plans.urls")),
    path("", include("tamasuk.audit.urls")),
    path("", include("tamasuk.web.urls")),
]
