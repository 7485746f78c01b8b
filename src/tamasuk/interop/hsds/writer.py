"""Writing records as an HSDS 3.0 API page.

No Django: records → a JSON-ready dict out.

Writing
    :func:`write` returns an HSDS 3.0 API page (``contents``: one ``organization`` object per
    organisation, its ``locations`` and its ``services``, each service with its ``service_at_locations``
    and their ``location`` objects). Ids must be UUIDs: :func:`stable_id` makes one from a database key.
    Sub-objects HSDS requires an id for (phones, addresses, languages, service areas) get ids derived
    from their owner, so writing the same records twice gives the same document.

    A service flagged ``confidential`` that still has a contact or a location to write raises
    :class:`ConfidentialLeak` (the second lock behind :mod:`.redaction`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from .records import (
    LOCATION_TYPES,
    SERVICE_STATUSES,
    UUID_RE,
    ContactRecord,
    LocationRecord,
    OrganisationRecord,
    ServiceAtLocationRecord,
    ServiceRecord,
    stable_id,
)
from .schemas import (
    RANGES,
)

__all__ = [
    "ConfidentialLeak",
    "write",
]

_LANGUAGE_CODE_RE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")


class ConfidentialLeak(ValueError):
    """:func:`write` was given a confidential service's contact or location."""



# --------------------------------------------------------------------------------------------------
# Writing


def _put(d: dict[str, Any], key: str, value: Any) -> None:
    if value is not None and value != "" and value != []:
        d[key] = value


def _phones_json(owner: str, numbers: list[str]) -> list[dict[str, Any]]:
    return [{"id": stable_id(owner, "phone", i, n), "number": n} for i, n in enumerate(numbers)]


def _contacts_json(owner: str, contacts: list[ContactRecord]) -> list[dict[str, Any]]:
    out = []
    for c in contacts:
        d: dict[str, Any] = {"id": c.id or stable_id(owner, "contact", c.name, c.email)}
        for k in ("name", "title", "department", "email"):
            _put(d, k, getattr(c, k))
        _put(d, "phones", _phones_json(d["id"], c.phones))
        out.append(d)
    return out


def _location_json(loc: LocationRecord) -> dict[str, Any]:
    d: dict[str, Any] = {"id": loc.id, "location_type": loc.location_type or "physical"}
    _put(d, "organization_id", loc.organisation_id)
    for k in ("name", "alternate_name", "description"):
        _put(d, k, getattr(loc, k))
    if loc.latitude is not None:
        d["latitude"] = loc.latitude
    if loc.longitude is not None:
        d["longitude"] = loc.longitude
    address_fields = ("address_1", "address_2", "city", "region", "state_province", "postal_code", "country")
    if any(getattr(loc, k) for k in address_fields):
        a: dict[str, Any] = {"id": stable_id(loc.id, "address"), "location_id": loc.id}
        for k in address_fields:
            v = getattr(loc, k)
            if v or k in (
                "address_1",
                "city",
                "state_province",
                "postal_code",
                "country",
            ):  # required by HSDS
                a[k] = v
        a["address_type"] = "postal" if loc.location_type == "postal" else "physical"
        d["addresses"] = [a]
    return d


def _service_json(
    s: ServiceRecord, sals: list[tuple[ServiceAtLocationRecord, LocationRecord]]
) -> dict[str, Any]:
    d: dict[str, Any] = {"id": s.id}
    _put(d, "organization_id", s.organisation_id)
    d["name"] = s.name
    for k in ("alternate_name", "description", "url", "email"):
        _put(d, k, getattr(s, k))
    d["status"] = s.status
    _put(d, "eligibility_description", s.eligibility)
    if s.minimum_age is not None:
        d["minimum_age"] = s.minimum_age
    if s.maximum_age is not None:
        d["maximum_age"] = s.maximum_age
    _put(d, "phones", _phones_json(s.id, s.phones))
    _put(
        d,
        "service_areas",
        [{"id": stable_id(s.id, "area", a), "service_id": s.id, "name": a} for a in s.service_areas],
    )
    _put(
        d,
        "service_at_locations",
        [
            {
                "id": x.id,
                "service_id": s.id,
                "location_id": loc.id,
                **({"description": x.description} if x.description else {}),
                "location": _location_json(loc),
            }
            for x, loc in sals
        ],
    )
    langs = []
    for lang in s.languages:
        key = "code" if _LANGUAGE_CODE_RE.match(lang) else "name"
        langs.append({"id": stable_id(s.id, "language", lang), "service_id": s.id, key: lang})
    _put(d, "languages", langs)
    _put(d, "contacts", _contacts_json(s.id, s.contacts))
    return d


def _organisation_json(o: OrganisationRecord) -> dict[str, Any]:
    d: dict[str, Any] = {"id": o.id, "name": o.name}
    _put(d, "alternate_name", o.alternate_name)
    d["description"] = o.description
    _put(d, "email", o.email)
    _put(d, "website", o.website)
    _put(d, "contacts", _contacts_json(o.id, o.contacts))
    _put(d, "phones", _phones_json(o.id, o.phones))
    return d


def write(
    organisations: Iterable[OrganisationRecord],
    services: Iterable[ServiceRecord],
    locations: Iterable[LocationRecord],
    service_at_locations: Iterable[ServiceAtLocationRecord],
    *,
    include_locations: bool | Callable[[LocationRecord], bool] = True,
) -> dict[str, Any]:
    """An HSDS 3.0 API page of organization objects with nested locations and services (see the
    module documentation). ``include_locations`` is False to write no location (nor any link), or a
    function saying which locations may be written; links to a location not written are left out.
    A location is written in its organisation and in each link that names it; one with neither is
    left out. Raises ValueError for records HSDS cannot hold (an id that is not a UUID, a service of an
    organisation not given, an unknown status or location type) and :class:`ConfidentialLeak` for a
    confidential service still holding a contact or a location (see :func:`redact_confidential`)."""
    orgs = list(organisations)
    services = list(services)
    sals = list(service_at_locations)
    allowed: Callable[[LocationRecord], bool]
    if callable(include_locations):
        allowed = include_locations
    else:
        flag = bool(include_locations)
        allowed = lambda _loc: flag  # noqa: E731
    locs = {loc.id: loc for loc in locations if allowed(loc)}

    problems: list[str] = []
    for what, recs in (
        ("organisation", orgs),
        ("service", services),
        ("location", list(locs.values())),
        ("service_at_location", sals),
    ):
        seen: set[str] = set()
        for r in recs:
            if not UUID_RE.match(r.id or ""):
                problems.append(f"{what} id {r.id!r} is not a UUID (use stable_id() to derive one)")
            if r.id in seen:
                problems.append(f"{what} id {r.id} is given twice")
            seen.add(r.id)
    org_ids = {o.id for o in orgs}
    for s in services:
        if s.organisation_id not in org_ids:
            problems.append(f"service {s.id} ({s.name!r}): its organisation {s.organisation_id} is not given")
        if s.status not in SERVICE_STATUSES:
            problems.append(
                f"service {s.id}: status {s.status!r} is not one of {', '.join(SERVICE_STATUSES)}"
            )
    for loc in locs.values():
        if loc.location_type and loc.location_type not in LOCATION_TYPES:
            problems.append(
                f"location {loc.id}: location_type {loc.location_type!r} is not one of "
                f"{', '.join(LOCATION_TYPES)}"
            )
        for name in ("latitude", "longitude"):
            v = getattr(loc, name)
            lo, hi = RANGES[name]
            if v is not None and not lo <= v <= hi:
                problems.append(f"location {loc.id}: {name} {v!r} is out of range [{lo:g}, {hi:g}]")
    if problems:
        raise ValueError("cannot write HSDS: " + "; ".join(problems))

    by_service: dict[str, list[tuple[ServiceAtLocationRecord, LocationRecord]]] = {}
    for x in sals:
        loc = locs.get(x.location_id)
        if loc is not None:
            by_service.setdefault(x.service_id, []).append((x, loc))
    leaks = []
    for s in services:
        if not s.confidential:
            continue
        held = [k for k in ("email", "phones", "contacts") if getattr(s, k)]
        if held:
            leaks.append(f"service {s.id} ({s.name!r}) is confidential but still has {', '.join(held)}")
        if by_service.get(s.id):
            leaks.append(
                f"service {s.id} ({s.name!r}) is confidential but linked to location(s) "
                f"{', '.join(loc.id for _, loc in by_service[s.id])}"
            )
    if leaks:
        raise ConfidentialLeak("; ".join(leaks) + ": pass the records through redact_confidential() first")

    contents = []
    services_by_org: dict[str, list[ServiceRecord]] = {}
    for s in services:
        services_by_org.setdefault(s.organisation_id or "", []).append(s)
    for o in orgs:
        d = _organisation_json(o)
        _put(d, "locations", [_location_json(loc) for loc in locs.values() if loc.organisation_id == o.id])
        _put(
            d, "services", [_service_json(s, by_service.get(s.id, [])) for s in services_by_org.get(o.id, [])]
        )
        contents.append(d)
    n = len(contents)
    return {
        "total_items": n,
        "total_pages": 1,
        "page_number": 1,
        "size": n,
        "first_page": True,
        "last_page": True,
        "empty": n == 0,
        "contents": contents,
    }
