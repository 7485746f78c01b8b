from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MappingConfig(AppConfig):
    name = "tamasuk.mapping"
    verbose_name = _("Local mapping")

    def ready(self):
        from tamasuk.cities import publication
        from tamasuk.imports import adapters

        from . import publication_sources
        from .area_import import AreasImport
        from .observation_import import ObservationsImport
        from .report_import import ReportsImport

        adapters.register(ObservationsImport())
        adapters.register(ReportsImport())
        adapters.register(AreasImport())
        publication.provide(**publication_sources.READERS)
