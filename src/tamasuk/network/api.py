"""Directory routes of the API. Confidential locations and contacts are withheld outside the city team, and so
are a confidential service's wards and organisation unless the city shares them; people reached are published
values (``cities.publication``)."""

from __future__ import annotations

from ninja import Field, Router, Schema

from tamasuk.cities import queries as city_queries
from tamasuk.cities.api_schemas import ERRORS

from .directory import queries

router = Router(tags=["directory"])


class ServiceOut(Schema):
    id: int
    name: str
    sector: str
    areas: list[str]
    capacity: int | None
    reached_f: int | str | None = Field(description="People reached, as published: a count, or outside the city "
                                        "team \"<k\" (fewer than the city's k) or \"x\" (k or more, hidden so "
                                        "that a small count cannot be worked out)")
    reached_m: int | str | None
    reached_total: int | str | None
    confidential: bool
    address: str
    latitude: float | None
    longitude: float | None
    contact: str
    withheld: bool


class OrganisationOut(Schema):
    id: int
    name: str
    type: str
    sectors: list[str]
    is_member: bool
    services: list[ServiceOut]


@router.get("/cities/{slug}/organisations", response={200: list[OrganisationOut], **ERRORS},
            summary="Who does what where: organisations and their services",
            description="Outside the city team people reached are the published values, and a confidential "
                        "service whose wards and organisation the city does not share is not listed (it would be "
                        "listed under its organisation).")
def list_organisations(request, slug: str):
    city = city_queries.city_for(request.auth, slug)
    views = queries.services(request.auth, city)
    by_org = {}
    for v in views:
        if v.organisation is None:
            continue
        by_org.setdefault(v.organisation.pk, []).append({
            "id": v.service.pk, "name": v.name, "sector": v.sector,
            "areas": [a.code for a in v.areas], "capacity": v.capacity, "reached_f": v.reached_f,
            "reached_m": v.reached_m, "reached_total": v.reached_total, "confidential": v.confidential,
            "address": v.address, "latitude": v.latitude, "longitude": v.longitude, "contact": v.contact,
            "withheld": v.withheld})
    return [{"id": o.pk, "name": o.name, "type": o.type, "sectors": o.sectors, "is_member": o.is_member,
             "services": by_org.get(o.pk, [])} for o in queries.organisations(request.auth, city)]
