"""A saved campaign allocation: its inputs and rows, unchangeable once saved, citable by a meeting decision."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tamasuk.cities.models import City, Unchangeable


class Allocation(Unchangeable):
    city = models.ForeignKey(City, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    profile = models.ForeignKey("mapping.PriorityProfile", on_delete=models.RESTRICT, related_name="+")
    sector = models.CharField(_("sector"), max_length=20)
    unit = models.CharField(_("unit"), max_length=40, default="people")
    total_capacity = models.PositiveIntegerField(_("total capacity"))
    participants = models.JSONField(_("participating organisations"))
    rows = models.JSONField(_("allocation"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name
