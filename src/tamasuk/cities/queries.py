"""Reads, already filtered by the permission layer."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from .models import Area, City, Membership
from .permissions import Action, can, cities_for, require


def city_for(user, slug: str) -> City:
    """The city, if it exists and the user may open its pages. A city the user may not open answers as one that
    does not exist (404): the answer must not tell an outsider which cities use the installation."""
    city = City.objects.filter(slug=slug).first()
    if city is None or not can(user, Action.VIEW_CITY, city):
        raise Http404
    return city


def visible_cities(user) -> list[City]:
    return cities_for(user)


def areas(user, city: City, *, level: int | None = None) -> QuerySet[Area]:
    require(user, Action.VIEW_CITY, city)
    qs = Area.objects.filter(city=city).select_related("parent")
    if level is not None:
        qs = qs.filter(level=level)
    return qs


def area(user, city: City, code: str) -> Area:
    found = areas(user, city).filter(code=code).first()
    if found is None:
        raise Http404
    return found


def levels(city: City) -> list[int]:
    return sorted(set(Area.objects.filter(city=city).values_list("level", flat=True)))


def memberships(user, city: City) -> QuerySet[Membership]:
    require(user, Action.MANAGE_MEMBERSHIPS, city)
    return Membership.objects.filter(city=city).select_related("user").order_by("role", "user__username")
