from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "tamasuk.plans"
    label = "plans"
    verbose_name = _("Local Action Plans")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from tamasuk.audit import erasure
        from tamasuk.cities import publication

        from . import publication_sources
        from .erasure import ReportRenderEraser

        publication.provide(**publication_sources.READERS)
        erasure.register(ReportRenderEraser())
