from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NetworkConfig(AppConfig):
    name = "tamasuk.network"
    verbose_name = _("Networks and resources")

    def ready(self):
        from tamasuk.imports import adapters

        from .directory.import_adapters import HsdsImport, ThreeWImport

        adapters.register(ThreeWImport())
        adapters.register(HsdsImport())
