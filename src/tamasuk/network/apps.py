from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NetworkConfig(AppConfig):
    name = "tamasuk.network"
    verbose_name = _("Networks and resources")

    def ready(self):
        from tamasuk.audit import erasure
        from tamasuk.cities import personal_data, publication
        from tamasuk.imports import adapters

        from .directory import publication_sources
        from .directory.erasure import FocalPointEraser, ServiceContactEraser
        from .directory.import_adapters import HsdsImport, ThreeWImport
        from .directory.queries import people_names

        adapters.register(ThreeWImport())
        adapters.register(HsdsImport())
        publication.provide(**publication_sources.READERS)
        personal_data.register_names(people_names)
        # Focal points first: the details they bring along are then looked for in services' contacts.
        erasure.register(FocalPointEraser())
        erasure.register(ServiceContactEraser())
