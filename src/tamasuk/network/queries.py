"""Reads of the directory, filtered by the permission layer. Confidential locations never leave the city team."""

from __future__ import annotations

from dataclasses import dataclass

from tamasuk.cities.models import City
from tamasuk.cities.permissions import Action, can, require

from .models import Link, Organisation, Service


def organisations(user, city: City):
    require(user, Action.READ_CITY_DATA, city)
    return Organisation.objects.filter(city=city).prefetch_related("services")


def organisation(user, city: City, pk: int) -> Organisation:
    found = organisations(user, city).filter(pk=pk).first()
    if found is None:
        from django.http import Http404

        raise Http404
    return found


@dataclass(frozen=True)
class ServiceView:
    """A service as this reader may see it: location and contact blanked when confidential and not city team."""

    service: Service
    address: str
    latitude: float | None
    longitude: float | None
    contact: str
    withheld: bool

    def __getattr__(self, name):
        return getattr(self.service, name)


def service_view(user, service: Service) -> ServiceView:
    hide = service.confidential and not can(user, Action.VIEW_SMALL_CELLS, service.city)
    if hide:
        return ServiceView(service, "", None, None, "", True)
    return ServiceView(service, service.address, service.latitude, service.longitude, service.contact, False)


def services(user, city: City, *, sector: str | None = None, area=None, organisation=None) -> list[ServiceView]:
    require(user, Action.READ_CITY_DATA, city)
    qs = Service.objects.filter(city=city).select_related("organisation", "city").prefetch_related("areas")
    if sector:
        qs = qs.filter(sector=sector)
    if area is not None:
        qs = qs.filter(areas=area)
    if organisation is not None:
        qs = qs.filter(organisation=organisation)
    return [service_view(user, s) for s in qs]


def links(user, city: City):
    require(user, Action.READ_CITY_DATA, city)
    return Link.objects.filter(city=city).select_related("source", "target")


def people_names(city: City) -> list[str]:
    """Names that identify people of the city's network, for the personal-data check of text about to be
    shared (never shown: the check reports only what the writer typed). Members' first, last and full names
    and usernames (not accounts named after a role, such as the demo's "member"), organisations' focal points
    and services' contacts that are names (no digits, no "@")."""
    from django.contrib.auth import get_user_model

    from tamasuk.cities.models import Membership, Role

    roles = {r.value for r in Role} | {str(r.label).casefold() for r in Role}
    names: set[str] = set()
    users = get_user_model().objects.filter(
        pk__in=Membership.objects.filter(city=city).values("user")).values_list("username", "first_name", "last_name")
    for username, first, last in users:
        names.update(n for n in (first, last, f"{first} {last}".strip()) if n)
        if username.casefold() not in roles:
            names.add(username)
    names.update(Organisation.objects.filter(city=city).exclude(focal_point_name="")
                 .values_list("focal_point_name", flat=True))
    for contact in Service.objects.filter(city=city).exclude(contact="").values_list("contact", flat=True):
        if "@" not in contact and not any(ch.isdigit() for ch in contact):
            names.add(contact)
    return sorted(n.strip() for n in names if n.strip())
