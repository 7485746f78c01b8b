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
