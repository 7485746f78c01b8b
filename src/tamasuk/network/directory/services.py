"""Every write to the directory: validated, atomic, audited. Permission is checked by the caller's layer.

An edit page passes `opened` (the record's token when the page was opened: organisation_token, service_token);
the update locks the row and refuses with StaleEdit when someone saved it since (audit.conflicts), so of two
people saving the same organisation or service the second is told instead of overwriting the first.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tamasuk.audit.conflicts import check_opened, fingerprint
from tamasuk.audit.services import record
from tamasuk.cities.models import Area, City
from tamasuk.cities.permissions import Action, can, require_actor

from ..models import Link, Organisation, Sector, Service

ORG_FIELDS = ["name", "names", "type", "sectors", "description", "focal_point_name", "focal_point_email",
              "focal_point_phone", "is_member", "visibility"]
SERVICE_FIELDS = ["name", "sector", "description", "start", "end", "capacity", "reached_f", "reached_m",
                  "reached_total", "eligibility", "languages", "confidential", "address", "latitude", "longitude",
                  "contact", "share_where_and_who"]


# A person's contact details are never needed in the audit chain to prove what happened: the log says
# which of them were filled in (and, on an update, which changed), never their values.
CONTACT_FIELDS = ["focal_point_name", "focal_point_email", "focal_point_phone"]


def _org_snapshot(org: Organisation) -> dict:
    data = {f: getattr(org, f) for f in ORG_FIELDS if f not in CONTACT_FIELDS}
    data["focal_point_recorded"] = [f for f in CONTACT_FIELDS if getattr(org, f)]
    return data


def _service_snapshot(service: Service) -> dict:
    data = {f: getattr(service, f) for f in SERVICE_FIELDS if f not in {"address", "latitude", "longitude",
                                                                         "contact"}}
    # The audit log is read by auditors only, but a confidential location has no reason to be copied there.
    data["location_recorded"] = bool(service.address or service.latitude is not None)
    data["areas"] = sorted(service.areas.values_list("code", flat=True)) if service.pk else []
    data["organisation"] = service.organisation.name
    return data


def _org_state(org: Organisation) -> dict:
    """What the organisation's edit page edits, as saved (contact details included: they are what is compared)."""
    return {f: getattr(org, f) for f in ORG_FIELDS}


def organisation_token(org: Organisation) -> str:
    """What an edit page was opened on (update_organisation's `opened`)."""
    return fingerprint(_org_state(org))


def _service_state(service: Service) -> dict:
    data = {f: getattr(service, f) for f in SERVICE_FIELDS}
    data["areas"] = sorted(service.areas.values_list("code", flat=True))
    return data


def service_token(service: Service) -> str:
    """What an edit page was opened on (save_service's `opened`)."""
    return fingerprint(_service_state(service))


def _check_sectors(sectors):
    unknown = [s for s in sectors if s not in Sector.values]
    if unknown:
        raise ValidationError({"sectors": _("Unknown sector(s): %(s)s") % {"s": ", ".join(unknown)}})


@transaction.atomic
def create_organisation(*, actor, city: City, name: str, type: str, sectors: list[str] | None = None,
                        **fields) -> Organisation:
    require_actor(actor, Action.EDIT_CITY_DATA, city)
    sectors = list(sectors or [])
    _check_sectors(sectors)
    org = Organisation(city=city, name=name.strip(), type=type, sectors=sectors, **fields)
    org.full_clean()
    org.save()
    record(actor=actor, action="organisation.create", obj=org, city=city, after=_org_snapshot(org))
    return org


@transaction.atomic
def update_organisation(*, actor, organisation: Organisation, opened: str | None = None,
                        **changes) -> Organisation:
    """``opened``: the organisation_token the editor's page was opened on; someone's save since is refused with
    StaleEdit. The row is locked first, so two simultaneous saves queue and the second sees the first."""
    require_actor(actor, Action.EDIT_ORGANISATION, organisation)
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    check_opened(organisation, _org_state(organisation), opened)
    unknown = set(changes) - set(ORG_FIELDS)
    if unknown:
        raise ValidationError(_("These fields cannot be changed: %(f)s") % {"f": ", ".join(sorted(unknown))})
    if "sectors" in changes:
        _check_sectors(changes["sectors"])
    before = _org_snapshot(organisation)
    contact_before = {f: getattr(organisation, f) for f in CONTACT_FIELDS}
    for key, value in changes.items():
        setattr(organisation, key, value)
    organisation.full_clean()
    organisation.save()
    after = _org_snapshot(organisation)
    after["focal_point_changed"] = [f for f in CONTACT_FIELDS if getattr(organisation, f) != contact_before[f]]
    record(actor=actor, action="organisation.update", obj=organisation, city=organisation.city, before=before,
           after=after)
    return organisation


@transaction.atomic
def set_focal_points(*, actor, organisation: Organisation, users) -> None:
    require_actor(actor, Action.EDIT_CITY_DATA, organisation.city)
    before = sorted(organisation.focal_points.values_list("username", flat=True))
    organisation.focal_points.set(users)
    record(actor=actor, action="organisation.focal_points", obj=organisation, city=organisation.city,
           before=before, after=sorted(u.username for u in users))


@transaction.atomic
def save_service(*, actor, organisation: Organisation, service: Service | None = None, areas: list[Area],
                 opened: str | None = None, **fields) -> Service:
    """A new service, or changes to one. ``opened``: the service_token the editor's page was opened on; someone's
    save since is refused with StaleEdit (the row is locked first, so two simultaneous saves cannot both pass)."""
    require_actor(actor, Action.EDIT_ORGANISATION, organisation)
    if service is not None:
        service = Service.objects.select_for_update().get(pk=service.pk)
        check_opened(service, _service_state(service), opened)
    if any(a.city_id != organisation.city_id for a in areas):
        raise ValidationError({"areas": _("Every area must belong to the organisation's city.")})
    unknown = set(fields) - set(SERVICE_FIELDS)
    if unknown:
        raise ValidationError(_("These fields cannot be changed: %(f)s") % {"f": ", ".join(sorted(unknown))})
    creating = service is None
    service = service or Service(city=organisation.city, organisation=organisation)
    if "share_where_and_who" in fields and bool(fields["share_where_and_who"]) != service.share_where_and_who \
            and getattr(actor, "pk", None) and not can(actor, Action.EDIT_CITY_DATA, organisation.city):
        # Showing a confidential service's wards and organisation outside the city team is the city's decision.
        raise ValidationError({"share_where_and_who": _(
            "Only the city's coordinators decide whether a confidential service's wards and organisation are "
            "shown outside the city team.")})
    before = None if creating else _service_snapshot(service)
    for key, value in fields.items():
        setattr(service, key, value)
    if service.start and service.end and service.end < service.start:
        raise ValidationError({"end": _("The end date is before the start date.")})
    if (service.reached_total is not None and service.reached_f is not None and service.reached_m is not None
            and service.reached_total < service.reached_f + service.reached_m):
        raise ValidationError({"reached_total": _("The total is smaller than women plus men.")})
    service.full_clean()
    service.save()
    service.areas.set(areas)
    record(actor=actor, action="service.create" if creating else "service.update", obj=service,
           city=organisation.city, before=before, after=_service_snapshot(service))
    return service


@transaction.atomic
def create_link(*, actor, source: Organisation, target: Organisation, kind: str, strength: int = 3,
                since=None) -> Link:
    require_actor(actor, Action.EDIT_ORGANISATION, source)
    if source.pk == target.pk:
        raise ValidationError({"target": _("An organisation cannot be linked to itself.")})
    if source.city_id != target.city_id:
        raise ValidationError({"target": _("Both organisations must belong to the same city.")})
    link = Link(city=source.city, source=source, target=target, kind=kind, strength=strength, since=since)
    link.full_clean()
    link.save()
    record(actor=actor, action="link.create", obj=link, city=source.city,
           after={"source": source.name, "target": target.name, "kind": kind, "strength": strength,
                  "since": since})
    return link
