"""Writes of the observations import beside the pipeline's own: saving a column mapping as a template."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tamasuk.audit.services import record
from tamasuk.cities.models import City
from tamasuk.cities.permissions import Action, can
from tamasuk.interop import tabular

from .models import ImportTemplate


@transaction.atomic
def save_template(*, actor, city: City, name: str, column_map: tabular.ColumnMap, fmt: str) -> ImportTemplate:
    if not can(actor, Action.IMPORT_DATA, city):
        raise PermissionDenied
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"template_name": _("Give the template a name.")})
    if ImportTemplate.objects.filter(city=city, name__iexact=name).exists():
        raise ValidationError({"template_name": _("A template named %(name)s exists already; choose another name.")
                               % {"name": name}})
    data = column_map.to_dict()
    data["sheet"] = None  # a template fits the next file, whatever its first sheet is called
    template = ImportTemplate.objects.create(city=city, name=name[:120], column_map=data, format=fmt,
                                             created_by=actor)
    record(actor=actor, action="import_template.create", obj=template, city=city,
           after={"name": template.name, "format": fmt, "column_map": data})
    return template


