from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CitiesConfig(AppConfig):
    name = "tamasuk.cities"
    verbose_name = _("Cities")

    def ready(self):
        from tamasuk.audit import erasure

        from .erasure import MembershipEraser

        erasure.register(MembershipEraser())
