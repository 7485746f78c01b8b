"""HSDS records in our vocabulary, the errors reading reports, and the ids HSDS needs.

No Django.

Records (our vocabulary)
    :class:`OrganisationRecord`, :class:`ServiceRecord`, :class:`LocationRecord`,
    :class:`ServiceAtLocationRecord`, with :class:`ContactRecord` for contacts. Text fields are ``""``
    when absent, numbers ``None``. An HSDS nested object carries no foreign key: a service nested in an
    organisation belongs to it, a link nested in a service links it. ``languages`` holds each language's
    ``code`` (or its ``name`` when it has no code). A location keeps one address (the first physical
    one). ``ServiceRecord.confidential`` is ours, not HSDS's: reading sets it to False.

Ids
    HSDS ids are UUIDs: :func:`stable_id` makes one from a database key (uuid5 in :data:`NAMESPACE`), so
    exports of one record keep one id.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field

__all__ = [
    "KINDS",
    "LOCATION_TYPES",
    "NAMESPACE",
    "SERVICE_STATUSES",
    "UUID_RE",
    "ContactRecord",
    "HsdsError",
    "HsdsReadResult",
    "LocationRecord",
    "OrganisationRecord",
    "ServiceAtLocationRecord",
    "ServiceRecord",
    "stable_id",
]

KINDS = ("organization", "service", "service_at_location")
SERVICE_STATUSES = ("active", "inactive", "defunct", "temporarily closed")
LOCATION_TYPES = ("physical", "postal", "virtual")
# Namespace of the ids this module derives (uuid5): stable across runs and machines.
NAMESPACE = uuid.UUID("6f1d7f3e-5a0c-4c8e-9f57-3a6a1d2b7c41")

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


# --------------------------------------------------------------------------------------------------
# Records


@dataclass(frozen=True, slots=True)
class HsdsError:
    """A problem at ``path``, a JSON pointer into the file (``""`` is the whole file)."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or '/'}: {self.message}"


@dataclass
class ContactRecord:
    id: str
    name: str = ""
    title: str = ""
    department: str = ""
    email: str = ""
    phones: list[str] = field(default_factory=list)


@dataclass
class OrganisationRecord:
    id: str
    name: str
    description: str = ""
    email: str = ""
    website: str = ""
    alternate_name: str = ""
    phones: list[str] = field(default_factory=list)
    contacts: list[ContactRecord] = field(default_factory=list)


@dataclass
class ServiceRecord:
    id: str
    organisation_id: str | None
    name: str
    description: str = ""
    status: str = "active"
    languages: list[str] = field(default_factory=list)
    eligibility: str = ""
    alternate_name: str = ""
    email: str = ""
    url: str = ""
    phones: list[str] = field(default_factory=list)
    contacts: list[ContactRecord] = field(default_factory=list)
    minimum_age: float | None = None
    maximum_age: float | None = None
    service_areas: list[str] = field(default_factory=list)
    confidential: bool = False


@dataclass
class LocationRecord:
    id: str
    organisation_id: str | None
    name: str = ""
    latitude: float | None = None
    longitude: float | None = None
    location_type: str = "physical"
    description: str = ""
    alternate_name: str = ""
    address_1: str = ""
    address_2: str = ""
    city: str = ""
    region: str = ""
    state_province: str = ""
    postal_code: str = ""
    country: str = ""


@dataclass
class ServiceAtLocationRecord:
    id: str
    service_id: str
    location_id: str
    description: str = ""


@dataclass
class HsdsReadResult:
    organisations: list[OrganisationRecord]
    services: list[ServiceRecord]
    locations: list[LocationRecord]
    service_at_locations: list[ServiceAtLocationRecord]
    errors: list[HsdsError]
    warnings: list[HsdsError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors





def stable_id(*parts: object) -> str:
    """A UUID derived from ``parts`` (e.g. ``stable_id("organisation", city.pk, org.pk)``): the same
    parts always give the same id, so exports of one record keep one HSDS id."""
    return str(uuid.uuid5(NAMESPACE, "/".join(str(p) for p in parts)))
