"""Reads of the directory, filtered by the permission layer. Confidential locations never leave the city team;
nor do a confidential service's wards and organisation, unless the city shares them. People reached by services
are read through the publication layer (``cities.publication.service_reach``)."""

from __future__ import annotations

from dataclasses import dataclass

from tamasuk.cities import queries as city_queries
from tamasuk.cities.models import City
from tamasuk.cities.permissions import Action, require

from ..models import Link, Organisation, Service


def leaf_areas(user, city: City) -> list:
    """The city's finest areas (its wards) this reader may see, by code: the areas services cover, the
    directory filters by and action items name."""
    level = max(city_queries.levels(city) or [1])
    return list(city_queries.areas(user, city, level=level).order_by("code"))


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
    """A service as this reader may see it.

    Outside the city team a confidential service's address, coordinates and contact are blanked
    (``withheld``), and, unless the city marked it ``share_where_and_who``, so are its wards and its organisation
    (``where_and_who_withheld``: ``areas`` is empty and ``organisation`` None), since they narrow down where it
    is. People reached are the published values (``cities.publication.service_reach``): a count, a marker
    ("<5", "x") or None. Read these fields, never ``service.*``, on any page, API answer or export."""

    service: Service
    address: str
    latitude: float | None
    longitude: float | None
    contact: str
    withheld: bool
    where_and_who_withheld: bool
    organisation: Organisation | None
    areas: list
    reached_f: int | str | None
    reached_m: int | str | None
    reached_total: int | str | None

    def __getattr__(self, name):
        return getattr(self.service, name)


def _where_and_who_withheld(service: Service, *, team: bool, own: bool) -> bool:
    """A confidential service's wards and organisation are withheld outside the city team, unless the city shares
    them or the reader is a focal point of its organisation."""
    return service.confidential and not service.share_where_and_who and not team and not own


def _view(service: Service, *, team: bool, own: bool, reach) -> ServiceView:
    """``team``: the reader is the city team; ``own``: the reader is a focal point of the service's
    organisation (who entered its wards and knows who runs it); ``reach``: its published people reached."""
    areas = sorted(service.areas.all(), key=lambda a: a.code)
    hide_location = service.confidential and not team
    hide_where = _where_and_who_withheld(service, team=team, own=own)
    return ServiceView(
        service, "" if hide_location else service.address, None if hide_location else service.latitude,
        None if hide_location else service.longitude, "" if hide_location else service.contact, hide_location,
        hide_where, None if hide_where else service.organisation, [] if hide_where else areas,
        *(reach.women, reach.men, reach.total) if reach is not None else (None, None, None))


def service_view(user, service: Service) -> ServiceView:
    from tamasuk.cities import publication

    audience = publication.audience_of(user, service.city)
    own = audience == publication.Audience.NETWORK and service.organisation.focal_points.filter(
        pk=user.pk).exists()
    return _view(service, team=audience == publication.Audience.CITY_TEAM, own=own,
                 reach=publication.service_reach(service.city, audience).get(service.pk))


def _services_qs(city: City, sector: str | None):
    qs = Service.objects.filter(city=city).select_related("organisation", "city").prefetch_related("areas")
    return qs.filter(sector=sector) if sector else qs


def services(user, city: City, *, sector: str | None = None, area=None, organisation=None) -> list[ServiceView]:
    """The services this reader may see, as they may see them. Filtering by an area or an organisation never
    returns a service whose wards and organisation are withheld from this reader (the filter would tell them)."""
    from tamasuk.cities import publication

    require(user, Action.READ_CITY_DATA, city)
    audience = publication.audience_of(user, city)
    team = audience == publication.Audience.CITY_TEAM
    own_orgs = set() if team else set(Organisation.objects.filter(city=city, focal_points=user)
                                      .values_list("pk", flat=True))
    qs = _services_qs(city, sector)
    if area is not None:
        qs = qs.filter(areas=area)
    if organisation is not None:
        qs = qs.filter(organisation=organisation)
    reach = publication.service_reach(city, audience)
    views = [_view(s, team=team, own=s.organisation_id in own_orgs, reach=reach.get(s.pk)) for s in qs]
    if area is not None or organisation is not None:
        views = [v for v in views if not v.where_and_who_withheld]
    return views


def published_services(user, city: City) -> list[ServiceView]:
    """The services as they leave the city (3W and HSDS exports): what the public may see, whoever downloads
    the file, the city team included. Services whose wards and organisation are withheld are left out (an
    export row needs both)."""
    from tamasuk.cities import publication

    require(user, Action.READ_CITY_DATA, city)
    reach = publication.service_reach(city, publication.Audience.PUBLIC)
    views = [_view(s, team=False, own=False, reach=reach.get(s.pk)) for s in _services_qs(city, None)]
    return [v for v in views if not v.where_and_who_withheld]


def organisation_areas(user, city: City) -> dict[int, set[str]]:
    """The area codes each organisation's services cover, as this reader may see them (the network drawing's
    suggested links compare them). Reads only what that needs: no boundaries, no people reached."""
    from django.db.models import Prefetch

    from tamasuk.cities import publication
    from tamasuk.cities.models import Area

    require(user, Action.READ_CITY_DATA, city)
    audience = publication.audience_of(user, city)
    team = audience == publication.Audience.CITY_TEAM
    own_orgs = set() if team else set(Organisation.objects.filter(city=city, focal_points=user)
                                      .values_list("pk", flat=True))
    qs = (Service.objects.filter(city=city).only("pk", "organisation_id", "confidential", "share_where_and_who")
          .prefetch_related(Prefetch("areas", queryset=Area.objects.only("pk", "code"))))
    out: dict[int, set[str]] = {}
    for s in qs:
        if not _where_and_who_withheld(s, team=team, own=s.organisation_id in own_orgs):
            out.setdefault(s.organisation_id, set()).update(a.code for a in s.areas.all())
    return out


def drawing_organisations(user, city: City):
    """The organisations as the network drawing needs them: no services, no contact details."""
    require(user, Action.READ_CITY_DATA, city)
    return Organisation.objects.filter(city=city).only("pk", "city_id", "name", "type", "sectors")


def drawing_links(user, city: City):
    require(user, Action.READ_CITY_DATA, city)
    return Link.objects.filter(city=city).only("pk", "source_id", "target_id", "kind", "strength", "since")


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
