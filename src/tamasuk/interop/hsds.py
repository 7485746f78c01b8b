"""Open Referral HSDS 3.0 (Human Services Data Specification) JSON: organisations, services, locations and
the links between services and locations.

No Django: bytes in → records, errors and warnings out; records → a JSON-ready dict out.

    schemas = load_schemas()                    # the three official compiled schemas (see below)
    result = read(data, schemas=schemas)        # organisations, services, locations, service_at_locations
    if result.errors: ...                       # every problem, each with a JSON pointer; write nothing
    safe = redact_confidential(services, locations, service_at_locations)
    doc = write(organisations, *safe)           # a page of organization objects with nested services
    assert not validate(doc, schemas=schemas)   # what we write validates against the official schemas

Reading
    :func:`read` accepts one ``organization`` object (with nested ``services``, ``locations``, their
    ``service_at_locations``…), one ``service`` (with its nested ``organization`` and
    ``service_at_locations``), one ``service_at_location`` (with nested ``service`` and ``location``), a
    JSON list of any of these, or an HSDS API page (``{"contents": [...], ...}``). What an item is comes
    from its fields (``kind=`` forces it), by :func:`recognise` against :data:`OBJECT_KINDS`, the fields
    each of the twenty HSDS object kinds must and may have: the kind whose fields fit best; a tie is broken
    by the other items of the list, then by the file's name (``taxonomy.json``), else the item is refused
    as ambiguous (the official taxonomy example is a valid organization too). Locations given beside the
    services that use them are read; a file holding only locations, or only kinds Tamasuk does not keep
    (taxonomies, taxonomy terms, phones, contacts, schedules, programs…), is refused as a whole with one
    error saying what it holds; such items in a file of organisations are left out with a warning.

    Every item is validated against its official schema with JSON Schema Draft 2020-12 (the compiled
    schemas declare no ``$schema``; HSDS 3.0 is written for 2020-12). Nothing is fetched: the validator
    has an empty ``$ref`` registry (the compiled schemas have no ``$ref``). On top of the schema, which
    declares ``format`` and date types that a plain validator ignores, the reader is strict:

    - ``latitude`` must lie in [-90, 90] and ``longitude`` in [-180, 180] (decimal degrees, WGS84), and a
      location gives both or neither. The official examples use latitude 100 / longitude 101: the
      latitude is rejected, naming the path and the value (101 is a possible longitude, so it passes);
    - ``format: uuid`` fields (every ``id`` and ``*_id``) are UUIDs written 8-4-4-4-12;
    - fields the schema marks as dates are ``YYYY-MM-DD`` real dates; ``last_modified`` is a date and
      time with its time zone (RFC 3339); ``email`` and ``uri`` fields look like one;
    - ages are not negative and a service's ``minimum_age`` is not above its ``maximum_age``;
    - an organisation, service, location or link appearing twice (nested in several places) must say the
      same thing each time (blanks are filled from the other occurrence).

    Every problem is returned, not just the first, each as :class:`HsdsError` with a JSON pointer into
    the file (``/services/0/service_at_locations/0/location/latitude``). The records are returned even
    when there are errors, so the caller can report the rest of the file; it must write nothing then.
    Warnings name HSDS fields Tamasuk does not keep and references to records not in the file.

Records (our vocabulary)
    :class:`OrganisationRecord`, :class:`ServiceRecord`, :class:`LocationRecord`,
    :class:`ServiceAtLocationRecord`, with :class:`ContactRecord` for contacts. Text fields are ``""``
    when absent, numbers ``None``. An HSDS nested object carries no foreign key: a service nested in an
    organisation belongs to it, a link nested in a service links it. ``languages`` holds each language's
    ``code`` (or its ``name`` when it has no code). A location keeps one address (the first physical
    one). ``ServiceRecord.confidential`` is ours, not HSDS's: reading sets it to False.

Writing
    :func:`write` returns an HSDS 3.0 API page (``contents``: one ``organization`` object per
    organisation, its ``locations`` and its ``services``, each service with its ``service_at_locations``
    and their ``location`` objects). Ids must be UUIDs: :func:`stable_id` makes one from a database key.
    Sub-objects HSDS requires an id for (phones, addresses, languages, service areas) get ids derived
    from their owner, so writing the same records twice gives the same document.

Confidential services
    The caller decides what leaves the city team and passes :func:`write` records already filtered.
    :func:`redact_confidential` is the filter for confidential services (a shelter): it clears their
    email, phones and contacts, and removes every location linked to one of them together with every
    link to that location (also other services' links: writing the shelter's building as another
    service's location would still reveal it). As a second lock, :func:`write` raises
    :class:`ConfidentialLeak` when a service flagged ``confidential`` still has a contact or a location
    that would be written.

Schemas
    :func:`load_schemas` reads ``organization.json``, ``service.json`` and ``service_at_location.json``
    from a folder (HSDS 3.0 ``schema/compiled``, CC BY-SA 4.0): the one given, else the folder named by the
    environment variable ``TAMASUK_HSDS_SCHEMAS``, else ``shared/reference/hsds-3.0/schema-compiled``
    beside the project. Loaded schemas are cached.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

__all__ = [
    "ConfidentialLeak",
    "ContactRecord",
    "HsdsError",
    "HsdsReadResult",
    "HsdsSchemaNotFound",
    "HsdsSchemas",
    "KINDS",
    "LocationRecord",
    "OrganisationRecord",
    "Redacted",
    "SERVICE_STATUSES",
    "ServiceAtLocationRecord",
    "ServiceRecord",
    "load_schemas",
    "read",
    "redact_confidential",
    "stable_id",
    "validate",
    "write",
]

KINDS = ("organization", "service", "service_at_location")
SERVICE_STATUSES = ("active", "inactive", "defunct", "temporarily closed")
LOCATION_TYPES = ("physical", "postal", "virtual")
SCHEMA_ENV = "TAMASUK_HSDS_SCHEMAS"
# Namespace of the ids this module derives (uuid5): stable across runs and machines.
NAMESPACE = uuid.UUID("6f1d7f3e-5a0c-4c8e-9f57-3a6a1d2b7c41")

_UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:\d{2})$")
_TIME_RE = re.compile(r"^\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:?\d{2})?$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+$")
_LANGUAGE_CODE_RE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")
_RANGES = {
    "latitude": (-90.0, 90.0),
    "longitude": (-180.0, 180.0),
    "minimum_age": (0.0, None),
    "maximum_age": (0.0, None),
}
_RANGE_KEYWORD = "x-tamasuk-range"


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


class Redacted(NamedTuple):
    services: list[ServiceRecord]
    locations: list[LocationRecord]
    service_at_locations: list[ServiceAtLocationRecord]


class ConfidentialLeak(ValueError):
    """:func:`write` was given a confidential service's contact or location."""


class HsdsSchemaNotFound(FileNotFoundError):
    """The official schemas are not where :func:`load_schemas` looked."""


def stable_id(*parts: object) -> str:
    """A UUID derived from ``parts`` (e.g. ``stable_id("organisation", city.pk, org.pk)``): the same
    parts always give the same id, so exports of one record keep one HSDS id."""
    return str(uuid.uuid5(NAMESPACE, "/".join(str(p) for p in parts)))


# --------------------------------------------------------------------------------------------------
# Schemas and validation


@dataclass(frozen=True)
class HsdsSchemas:
    """The official schemas (``official``) and strict validators built from them, by kind."""

    directory: Path
    official: dict[str, dict[str, Any]]
    validators: dict[str, Any]


def _default_schema_dir() -> Path:
    env = os.environ.get(SCHEMA_ENV)
    if env:
        return Path(env)
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "reference" / "hsds-3.0" / "schema-compiled"
        if candidate.is_dir():
            return candidate
    raise HsdsSchemaNotFound(
        "the HSDS 3.0 schemas were not found: set "
        f"{SCHEMA_ENV} to a folder holding organization.json, service.json and service_at_location.json "
        "(openreferral/specification, branch 3.0, schema/compiled)"
    )


def load_schemas(directory: str | Path | None = None) -> HsdsSchemas:
    """The three compiled schemas from ``directory`` (see the module documentation), cached."""
    path = Path(directory) if directory is not None else _default_schema_dir()
    return _load_schemas(path.resolve())


@lru_cache(maxsize=4)
def _load_schemas(path: Path) -> HsdsSchemas:
    official: dict[str, dict[str, Any]] = {}
    validators: dict[str, Any] = {}
    cls = _strict_validator_class()
    for kind in KINDS:
        file = path / f"{kind}.json"
        if not file.is_file():
            raise HsdsSchemaNotFound(
                f"{file} is missing: the folder must hold {', '.join(k + '.json' for k in KINDS)}"
            )
        text = file.read_text(encoding="utf-8")
        official[kind] = json.loads(text)
        strict = json.loads(text)
        _add_ranges(strict)
        validators[kind] = cls(strict, registry=_empty_registry(), format_checker=_format_checker())
    # A location given on its own (beside the services that link to it) is checked by the organization
    # schema's own definition of a location.
    location = validators["organization"].schema.get("properties", {}).get("locations", {}).get("items")
    if isinstance(location, dict):
        validators["location"] = cls(location, registry=_empty_registry(), format_checker=_format_checker())
    return HsdsSchemas(path, official, validators)


def _empty_registry() -> Any:
    from referencing import Registry

    return Registry()  # no retrieval: a $ref to anything outside the schema fails instead of fetching


def _add_ranges(schema: Any) -> None:
    """Mark latitude, longitude and ages with our range keyword, everywhere they occur."""
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            props = node.get("properties")
            if isinstance(props, dict):
                for name, sub in props.items():
                    if name in _RANGES and isinstance(sub, dict):
                        sub[_RANGE_KEYWORD] = list(_RANGES[name])
            stack.extend(v for v in node.values() if isinstance(v, dict | list))
        elif isinstance(node, list):
            stack.extend(v for v in node if isinstance(v, dict | list))


def _number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _range_keyword(validator: Any, bounds: Any, instance: Any, schema: dict[str, Any]) -> Iterator[Any]:
    from jsonschema import ValidationError

    if not _number(instance):
        return
    lo, hi = bounds
    name = schema.get("name", "value")
    if name in ("latitude", "longitude"):
        if not (lo <= instance <= hi):
            yield ValidationError(
                f"{name} {instance!r} is out of range: a {name} in decimal degrees (WGS84) lies between "
                f"{lo:g} and {hi:g}; correct the coordinates or leave both latitude and longitude out"
            )
    elif instance < lo or (hi is not None and instance > hi):
        yield ValidationError(f"{name} {instance!r} cannot be negative")


def _datapackage_type(validator: Any, kind: Any, instance: Any, schema: dict[str, Any]) -> Iterator[Any]:
    from jsonschema import ValidationError

    if not isinstance(instance, str):
        return
    if kind == "date":
        if not _is_date(instance):
            yield ValidationError(f"{instance!r} is not a date: write it as YYYY-MM-DD (such as 2024-03-15)")
    elif kind == "datetime":
        if schema.get("format") != "date-time" and not _is_datetime(instance):  # else the format says it
            yield ValidationError(
                f"{instance!r} is not a date and time with its time zone: write it as 2024-03-15T10:30:45Z "
                "or 2024-03-15T13:30:45+03:00"
            )
    elif kind == "time":
        if not _TIME_RE.match(instance) or not _valid_clock(instance):
            yield ValidationError(
                f"{instance!r} is not a time of day: write it as HH:MM (such as 09:30 or 09:30Z)"
            )


def _is_date(s: str) -> bool:
    if not _DATE_RE.match(s):
        return False
    try:
        dt.date.fromisoformat(s)
    except ValueError:
        return False
    return True


def _is_datetime(s: str) -> bool:
    if not _DATETIME_RE.match(s):
        return False
    try:
        dt.datetime.fromisoformat(s[:-1] + "+00:00" if s[-1] in "Zz" else s)
    except ValueError:
        return False
    return True


def _valid_clock(s: str) -> bool:
    hh, mm = int(s[0:2]), int(s[3:5])
    ss = int(s[6:8]) if len(s) >= 8 and s[5] == ":" else 0
    return hh <= 23 and mm <= 59 and ss <= 60


@lru_cache(maxsize=1)
def _strict_validator_class() -> Any:
    from jsonschema import Draft202012Validator, validators

    return validators.extend(
        Draft202012Validator,
        {_RANGE_KEYWORD: _range_keyword, "datapackage_type": _datapackage_type},
    )


def _format_checker() -> Any:
    """Our own checks for the formats the HSDS schemas use, independent of optional extras."""
    from jsonschema import FormatChecker

    checker = FormatChecker(formats=())

    @checker.checks("uuid")
    def _uuid(x: object) -> bool:
        return not isinstance(x, str) or bool(_UUID_RE.match(x))

    @checker.checks("email")
    def _email(x: object) -> bool:
        return not isinstance(x, str) or bool(_EMAIL_RE.match(x))

    @checker.checks("date-time")
    def _dt(x: object) -> bool:
        return not isinstance(x, str) or _is_datetime(x)

    @checker.checks("uri")
    def _uri(x: object) -> bool:
        if not isinstance(x, str):
            return True
        if any(c.isspace() for c in x):
            return False
        try:
            parts = urlsplit(x)
        except ValueError:
            return False
        if not parts.scheme or not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*$", parts.scheme):
            return False
        return (
            bool(parts.netloc)
            if parts.scheme.lower() in ("http", "https")
            else bool(parts.path or parts.netloc)
        )

    return checker


_FORMAT_HELP = {
    "uuid": "is not a UUID: an HSDS id is written as 8-4-4-4-12 hexadecimal digits, such as "
    "3a19ff88-4620-4d17-9830-ac1d859eb5d5",
    "email": "is not an email address (name@example.org)",
    "date-time": "is not a date and time with its time zone: write it as 2024-03-15T10:30:45Z",
    "uri": "is not an absolute web address: write it with its scheme, such as https://example.org",
}
_TYPE_NAMES = {
    "string": "text",
    "number": "a number",
    "integer": "a whole number",
    "array": "a list",
    "object": "an object",
    "boolean": "true or false",
}


def _pointer(parts: Iterable[Any]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _schema_errors(validator: Any, item: Any, base: tuple[Any, ...]) -> list[HsdsError]:
    out = []
    for e in validator.iter_errors(item):
        parts = (*base, *e.absolute_path)
        if e.validator == "required":
            m = re.match(r"^'(.*)' is a required property$", e.message)
            name = m.group(1) if m else "?"
            kind = e.schema.get("name", "") if isinstance(e.schema, dict) else ""
            need = ", ".join(e.validator_value)
            out.append(
                HsdsError(
                    _pointer((*parts, name)),
                    f"{name!r} is required but missing ({_article(kind or 'record')} {kind or 'record'} needs {need})",
                )
            )
        elif e.validator == "type":
            want = e.validator_value if isinstance(e.validator_value, list) else [e.validator_value]
            out.append(
                HsdsError(
                    _pointer(parts),
                    f"{_short(e.instance)} should be {' or '.join(_TYPE_NAMES.get(w, w) for w in want)}",
                )
            )
        elif e.validator == "enum":
            allowed = ", ".join(repr(v) for v in e.validator_value)
            out.append(
                HsdsError(_pointer(parts), f"{_short(e.instance)} is not allowed here: use one of {allowed}")
            )
        elif e.validator == "format":
            help_ = _FORMAT_HELP.get(e.validator_value, f"is not a valid {e.validator_value}")
            out.append(HsdsError(_pointer(parts), f"{_short(e.instance)} {help_}"))
        else:
            out.append(HsdsError(_pointer(parts), e.message))
    return out


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _short(value: Any, limit: int = 80) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --------------------------------------------------------------------------------------------------
# Recognising what an object is

# Every kind of HSDS 3.0 object: (the fields it must have, the fields it may have), as the official compiled
# schemas declare them (a test checks this table against them). What an object is comes from its fields,
# never from a default: the official taxonomy example ({id, name, description, uri}) is also a valid
# organization, and the location example has the three fields an organization needs.
OBJECT_KINDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    kind: (frozenset(required), frozenset(fields))
    for kind, (required, fields) in {
        "accessibility": (("id",), ("attributes", "description", "details", "id", "location_id", "metadata", "url")),
        "address": (
            ("address_1", "address_type", "city", "country", "id", "postal_code", "state_province"),
            ("address_1", "address_2", "address_type", "attention", "attributes", "city", "country", "id",
             "location_id", "metadata", "postal_code", "region", "state_province"),
        ),
        "attribute": (("id",), ("id", "link_entity", "link_id", "link_type", "metadata", "taxonomy_term",
                                "taxonomy_term_id", "value")),
        "contact": (("id",), ("attributes", "department", "email", "id", "location_id", "metadata", "name",
                              "organization_id", "phones", "service_at_location_id", "service_id", "title")),
        "cost_option": (("id",), ("amount", "amount_description", "attributes", "currency", "id", "metadata",
                                  "option", "service_id", "valid_from", "valid_to")),
        "funding": (("id",), ("attributes", "id", "metadata", "organization_id", "service_id", "source")),
        "language": (("id",), ("attributes", "code", "id", "location_id", "metadata", "name", "note", "phone_id",
                               "service_id")),
        "location": (
            ("id", "location_type"),
            ("accessibility", "addresses", "alternate_name", "attributes", "contacts", "description",
             "external_identifier", "external_identifier_type", "id", "languages", "latitude", "location_type",
             "longitude", "metadata", "name", "organization_id", "phones", "schedules", "transportation", "url"),
        ),
        "metadata": (
            ("field_name", "id", "last_action_date", "last_action_type", "previous_value", "replacement_value",
             "updated_by"),
            ("field_name", "id", "last_action_date", "last_action_type", "previous_value", "replacement_value",
             "resource_id", "resource_type", "updated_by"),
        ),
        "organization": (
            ("description", "id", "name"),
            ("alternate_name", "attributes", "contacts", "description", "email", "funding", "id", "legal_status",
             "locations", "logo", "metadata", "name", "organization_identifiers", "parent_organization_id",
             "phones", "programs", "services", "tax_id", "tax_status", "uri", "website", "year_incorporated"),
        ),
        "organization_identifier": (("id", "identifier", "identifier_type"), (
            "attributes", "id", "identifier", "identifier_scheme", "identifier_type", "metadata", "organization_id")),
        "phone": (("id", "number"), ("attributes", "contact_id", "description", "extension", "id", "languages",
                                     "location_id", "metadata", "number", "organization_id", "service_at_location_id",
                                     "service_id", "type")),
        "program": (("description", "id", "name"), ("alternate_name", "attributes", "description", "id",
                                                    "metadata", "name", "organization_id")),
        "required_document": (("id",), ("attributes", "document", "id", "metadata", "service_id", "uri")),
        "schedule": (("id",), (
            "attending_type", "attributes", "byday", "bymonthday", "byweekno", "byyearday", "closes_at", "count",
            "description", "dtstart", "freq", "id", "interval", "location_id", "metadata", "notes", "opens_at",
            "schedule_link", "service_at_location_id", "service_id", "timezone", "until", "valid_from",
            "valid_to", "wkst")),
        "service": (
            ("id", "name", "status"),
            ("accreditations", "alert", "alternate_name", "application_process", "assured_date", "assurer_email",
             "attributes", "contacts", "cost_options", "description", "eligibility_description", "email", "fees",
             "fees_description", "funding", "id", "interpretation_services", "languages", "last_modified",
             "licenses", "maximum_age", "metadata", "minimum_age", "name", "organization", "organization_id",
             "phones", "program", "program_id", "required_documents", "schedules", "service_areas",
             "service_at_locations", "status", "url", "wait_time"),
        ),
        "service_area": (("id",), ("attributes", "description", "extent", "extent_type", "id", "metadata", "name",
                                   "service_id", "uri")),
        "service_at_location": (("id",), ("attributes", "contacts", "description", "id", "location",
                                          "location_id", "metadata", "phones", "schedules", "service",
                                          "service_id")),
        "taxonomy": (("description", "id", "name"), ("description", "id", "metadata", "name", "uri", "version")),
        "taxonomy_term": (("description", "id", "name"), (
            "code", "description", "id", "language", "metadata", "name", "parent_id", "taxonomy",
            "taxonomy_detail", "taxonomy_id", "term_uri")),
    }.items()
}
# What Tamasuk reads as a record of its own. A location is kept only as the place of a service.
KEPT_KINDS = (*KINDS, "location")
# The kinds in the user's words, for messages (plural).
KIND_PLURALS = {
    "accessibility": "accessibility records", "address": "addresses", "attribute": "attributes",
    "contact": "contacts", "cost_option": "cost options", "funding": "funding records", "language": "languages",
    "location": "locations", "metadata": "metadata (change records)", "organization": "organizations",
    "organization_identifier": "organization identifiers", "phone": "phone numbers", "program": "programs",
    "required_document": "required documents", "schedule": "schedules", "service": "services",
    "service_area": "service areas", "service_at_location": "service_at_location links",
    "taxonomy": "taxonomies", "taxonomy_term": "taxonomy terms",
}
WHAT_TAMASUK_IMPORTS = (
    "Tamasuk imports organizations and their services (with the services' locations and "
    "service_at_location links)"
)
UPLOAD_INSTEAD = (
    "upload an HSDS file of organizations (for example an HSDS API's /organizations?full_service=true), of "
    "services, or of service_at_location records"
)


class Recognised(NamedTuple):
    """What an object is: ``kind`` (None when it cannot be told), and the kinds it could be."""

    kind: str | None
    candidates: tuple[str, ...]


def _name_hint(file_name: str) -> str | None:
    """The kind a file's name says it holds ("taxonomy.json", "taxonomy_term_list.json", "locations.json")."""
    stem = re.sub(r"[^a-z]+", "_", Path(file_name).stem.lower()).replace("organisation", "organization")
    for kind in sorted(OBJECT_KINDS, key=len, reverse=True):
        plural = kind[:-1] + "ies" if kind.endswith("y") else kind + ("es" if kind.endswith("s") else "s")
        if re.search(rf"(?:^|_)(?:{kind}|{plural})(?:_|$)", stem):
            return kind
    return None


def recognise(item: dict[str, Any], *, hints: Iterable[str | None] = ()) -> Recognised:
    """The kind of an HSDS object from its fields: the kinds whose required fields it has and whose fields
    hold all of its own fit best (fewest fields missing or foreign). A tie is broken by a ``hint`` (what the
    other objects of the file are, what the file's name says) or, for an object naming both a service and a
    location, by what links them; otherwise ``kind`` is None and ``candidates`` says what it could be."""
    keys = set(item)
    cost = {}
    for kind, (required, fields) in OBJECT_KINDS.items():
        if keys & fields:
            cost[kind] = len(keys - fields) + len(required - keys)
    if not cost:
        return Recognised(None, ())
    best = min(cost.values())
    tied = tuple(sorted(k for k, c in cost.items() if c == best))
    if len(tied) == 1:
        return Recognised(tied[0], tied)
    complete = tuple(k for k in tied if OBJECT_KINDS[k][0] <= keys)
    if len(complete) == 1:
        return Recognised(complete[0], tied)
    for hint in hints:
        if hint in tied:
            return Recognised(hint, tied)
    if "service_at_location" in tied and keys & {"service_id", "service"} and keys & {"location_id", "location"}:
        return Recognised("service_at_location", tied)
    return Recognised(None, tied)


def _kinds_text(kinds: Iterable[str]) -> str:
    names = [f"{_article(k)} {k}" for k in kinds]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _unknown_object(item: dict[str, Any], rec: Recognised) -> str:
    if rec.candidates:
        shared = sorted(set(item) & set.intersection(*(set(OBJECT_KINDS[k][1]) for k in rec.candidates)))
        return (
            f"this object could be {_kinds_text(rec.candidates)}: its fields ({', '.join(sorted(item))}) are "
            f"ones they all have, so it cannot be told which. An organization is imported with its services "
            f"(give them in 'services', or its email, website or phones); name the file after what it holds "
            f"(organizations.json) if that is what it is"
            if shared else f"this object could be {_kinds_text(rec.candidates)}"
        )
    return (
        "this is not an HSDS object: it has none of the fields of an HSDS organization, service, location or "
        f"other record (its fields: {_short(sorted(item))})"
    )


def _refusal(kind: str) -> str:
    if kind == "location":
        return (
            "this file holds HSDS locations on their own; Tamasuk keeps a location only as the place of a "
            f"service: {UPLOAD_INSTEAD}, with the locations nested in them or alongside"
        )
    return f"this file holds HSDS {KIND_PLURALS.get(kind, kind)}; {WHAT_TAMASUK_IMPORTS}: {UPLOAD_INSTEAD}"


def _left_out(kind: str) -> str:
    return f"an HSDS {kind.replace('_', ' ')}: not imported ({WHAT_TAMASUK_IMPORTS})"


def validate(
    document: Any, kind: str | None = None, *, schemas: HsdsSchemas | None = None
) -> list[HsdsError]:
    """Every problem in an HSDS document (an object, a list, or an API page) under the strict rules
    of :func:`read`. An empty list means it validates."""
    schemas = schemas or load_schemas()
    errors: list[HsdsError] = []
    for base, item, item_kind in _items(document, kind, errors):
        validator = schemas.validators.get(item_kind or "")
        if validator is None:
            errors.append(HsdsError(_pointer(base), _unknown_object(item, recognise(item)) if item_kind is None
                                    else _left_out(item_kind)))
            continue
        errors.extend(_schema_errors(validator, item, base))
    return _in_document_order(document, errors)


def _items(
    document: Any, kind: str | None, errors: list[HsdsError], file_name: str = ""
) -> list[tuple[tuple[Any, ...], dict, str | None]]:
    """The objects of a document with their kind (None when it cannot be told: see :func:`recognise`)."""
    if kind is not None and kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    if isinstance(document, dict) and isinstance(document.get("contents"), list):
        seq, base = document["contents"], ("contents",)
    elif isinstance(document, list):
        seq, base = document, ()
    elif isinstance(document, dict):
        seq, base = None, ()
    else:
        errors.append(HsdsError("", f"expected an HSDS object or a list of them, not {_short(document)}"))
        return []
    hint = _name_hint(file_name)
    if seq is None:
        return [((), document, kind or recognise(document, hints=[hint]).kind)]
    out = []
    for i, item in enumerate(seq):
        if isinstance(item, dict):
            out.append(((*base, i), item, kind))
        else:
            errors.append(HsdsError(_pointer((*base, i)), f"expected an HSDS object, not {_short(item)}"))
    if kind is None:
        # A list (an API page) holds one kind of object: the ones that can be told say what the others are.
        first = [recognise(item) for _, item, _k in out]
        told = {r.kind for r in first if r.kind}
        siblings = next(iter(told)) if len(told) == 1 else None
        out = [(b, item, r.kind or recognise(item, hints=[siblings, hint]).kind)
               for (b, item, _k), r in zip(out, first, strict=True)]
    return out


def _in_document_order(document: Any, errors: list[HsdsError]) -> list[HsdsError]:
    order: dict[str, int] = {}
    stack: list[tuple[str, Any]] = [("", document)]
    while stack:
        path, node = stack.pop()
        order.setdefault(path, len(order))
        if isinstance(node, dict):
            stack.extend(reversed([(path + _pointer((k,)), v) for k, v in node.items()]))
        elif isinstance(node, list):
            stack.extend(reversed([(f"{path}/{i}", v) for i, v in enumerate(node)]))

    def key(e: HsdsError) -> int:
        p = e.path
        while p and p not in order:
            p = p.rsplit("/", 1)[0]  # a missing field: at its parent
        return order.get(p, 0)

    return sorted(errors, key=key)


# --------------------------------------------------------------------------------------------------
# Reading

_KEPT = {
    "organization": {
        "id",
        "name",
        "description",
        "email",
        "website",
        "alternate_name",
        "phones",
        "contacts",
        "locations",
        "services",
    },
    "service": {
        "id",
        "organization_id",
        "name",
        "description",
        "status",
        "languages",
        "eligibility_description",
        "alternate_name",
        "email",
        "url",
        "phones",
        "contacts",
        "minimum_age",
        "maximum_age",
        "service_areas",
        "service_at_locations",
        "organization",
    },
    "location": {
        "id",
        "organization_id",
        "name",
        "latitude",
        "longitude",
        "location_type",
        "description",
        "alternate_name",
        "addresses",
    },
    "service_at_location": {"id", "service_id", "location_id", "description", "service", "location"},
}


class _Reader:
    def __init__(self) -> None:
        self.orgs: dict[str, tuple[OrganisationRecord, str]] = {}
        self.services: dict[str, tuple[ServiceRecord, str]] = {}
        self.locations: dict[str, tuple[LocationRecord, str]] = {}
        self.sals: dict[str, tuple[ServiceAtLocationRecord, str]] = {}
        self.errors: list[HsdsError] = []
        self.warnings: list[HsdsError] = []
        self.dropped: dict[str, set[str]] = {}
        self._anonymous = 0

    # helpers
    def _note_dropped(self, kind: str, obj: dict[str, Any]) -> None:
        extra = set(obj) - _KEPT[kind]
        if extra:
            self.dropped.setdefault(kind, set()).update(extra)

    def _id(self, obj: dict[str, Any]) -> str:
        v = obj.get("id")
        if isinstance(v, str) and v:
            return v
        self._anonymous += 1
        return ""

    def _merge(self, table: dict[str, tuple[Any, str]], what: str, rec: Any, path: str) -> Any:
        if not rec.id:
            # No id (already an error): keep it under a key of its own.
            table[f"\0{len(table)}"] = (rec, path)
            return rec
        prev = table.get(rec.id)
        if prev is None:
            table[rec.id] = (rec, path)
            return rec
        old, old_path = prev
        for f in dataclasses.fields(old):
            a, b = getattr(old, f.name), getattr(rec, f.name)
            if a == b or _blank(b):
                continue
            if _blank(a):
                setattr(old, f.name, b)
                continue
            self.errors.append(
                HsdsError(
                    path,
                    f"{what} {rec.id} also appears at {old_path or '/'} with a different {f.name} "
                    f"({_short(a)} there, {_short(b)} here): the same record must say the same thing everywhere",
                )
            )
        return old

    def _check_link(self, path: str, field_name: str, given: Any, implied: str | None, what: str) -> None:
        if implied and isinstance(given, str) and given and given != implied:
            self.errors.append(
                HsdsError(
                    path + "/" + field_name,
                    f"{field_name} {given!r} differs from the enclosing {what} {implied!r}",
                )
            )

    def phones(self, obj: dict[str, Any], path: str) -> list[str]:
        out = []
        for i, p in _objects(obj, "phones"):
            n = _text(p, "number")
            if len(n) >= 2 and n[0] == n[-1] and n[0] in "\"'":
                self.warnings.append(
                    HsdsError(
                        f"{path}/phones/{i}/number",
                        f"the phone number {n} is wrapped in quote marks: they were removed",
                    )
                )
                n = n[1:-1].strip()
            if n:
                out.append(n)
        return out

    def contacts(self, obj: dict[str, Any], path: str) -> list[ContactRecord]:
        return [
            ContactRecord(
                id=_text(c, "id"),
                name=_text(c, "name"),
                title=_text(c, "title"),
                department=_text(c, "department"),
                email=_text(c, "email"),
                phones=self.phones(c, f"{path}/contacts/{i}"),
            )
            for i, c in _objects(obj, "contacts")
        ]

    # the four kinds
    def organisation(self, o: dict[str, Any], path: str) -> OrganisationRecord:
        self._note_dropped("organization", o)
        rec = OrganisationRecord(
            id=self._id(o),
            name=_text(o, "name"),
            description=_text(o, "description"),
            email=_text(o, "email"),
            website=_text(o, "website"),
            alternate_name=_text(o, "alternate_name"),
            phones=self.phones(o, path),
            contacts=self.contacts(o, path),
        )
        rec = self._merge(self.orgs, "organisation", rec, path)
        for i, loc in _objects(o, "locations"):
            self.location(loc, f"{path}/locations/{i}", rec.id or None)
        for i, s in _objects(o, "services"):
            self.service(s, f"{path}/services/{i}", rec.id or None)
        return rec

    def service(self, s: dict[str, Any], path: str, org_id: str | None = None) -> ServiceRecord:
        self._note_dropped("service", s)
        nested_org = s.get("organization")
        if isinstance(nested_org, dict):
            org = self.organisation(nested_org, path + "/organization")
            self._check_link(path, "organization_id", s.get("organization_id"), org.id, "organization")
            if org_id and org.id and org.id != org_id:
                self.errors.append(
                    HsdsError(
                        path + "/organization/id",
                        f"organization {org.id!r} differs from the enclosing organization {org_id!r}",
                    )
                )
            org_id = org_id or org.id or None
        self._check_link(path, "organization_id", s.get("organization_id"), org_id, "organization")
        given_org = s.get("organization_id")
        langs = []
        for _, lang in _objects(s, "languages"):
            value = _text(lang, "code") or _text(lang, "name")
            if value and value not in langs:
                langs.append(value)
        areas = [a for _, x in _objects(s, "service_areas") if (a := _text(x, "name"))]
        rec = ServiceRecord(
            id=self._id(s),
            organisation_id=org_id or (given_org if isinstance(given_org, str) and given_org else None),
            name=_text(s, "name"),
            description=_text(s, "description"),
            status=_text(s, "status"),
            languages=langs,
            eligibility=_text(s, "eligibility_description"),
            alternate_name=_text(s, "alternate_name"),
            email=_text(s, "email"),
            url=_text(s, "url"),
            phones=self.phones(s, path),
            contacts=self.contacts(s, path),
            minimum_age=_num(s, "minimum_age"),
            maximum_age=_num(s, "maximum_age"),
            service_areas=areas,
        )
        if rec.minimum_age is not None and rec.maximum_age is not None and rec.minimum_age > rec.maximum_age:
            self.errors.append(
                HsdsError(
                    path + "/minimum_age",
                    f"minimum_age {rec.minimum_age:g} is above maximum_age {rec.maximum_age:g}",
                )
            )
        rec = self._merge(self.services, "service", rec, path)
        for i, x in _objects(s, "service_at_locations"):
            self.service_at_location(x, f"{path}/service_at_locations/{i}", rec.id or None)
        return rec

    def location(self, loc: dict[str, Any], path: str, org_id: str | None) -> LocationRecord:
        self._note_dropped("location", loc)
        given_org = loc.get("organization_id")
        self._check_link(path, "organization_id", given_org, org_id, "organization")
        addresses = [a for _, a in _objects(loc, "addresses")]
        addr = next(
            (a for a in addresses if a.get("address_type") == "physical"), addresses[0] if addresses else {}
        )
        rec = LocationRecord(
            id=self._id(loc),
            organisation_id=org_id or (given_org if isinstance(given_org, str) and given_org else None),
            name=_text(loc, "name"),
            latitude=_num(loc, "latitude"),
            longitude=_num(loc, "longitude"),
            location_type=_text(loc, "location_type"),
            description=_text(loc, "description"),
            alternate_name=_text(loc, "alternate_name"),
            **{
                k: _text(addr, k)
                for k in (
                    "address_1",
                    "address_2",
                    "city",
                    "region",
                    "state_province",
                    "postal_code",
                    "country",
                )
            },
        )
        has_lat, has_lon = "latitude" in loc, "longitude" in loc
        if has_lat != has_lon:
            given, missing = ("latitude", "longitude") if has_lat else ("longitude", "latitude")
            self.errors.append(
                HsdsError(
                    path + "/" + missing,
                    f"the location gives a {given} but no {missing}: give both or neither",
                )
            )
        if len(addresses) > 1:
            self.warnings.append(
                HsdsError(
                    path + "/addresses",
                    f"{len(addresses)} addresses: only one is kept ({addr.get('id', '?')})",
                )
            )
        return self._merge(self.locations, "location", rec, path)

    def service_at_location(
        self, x: dict[str, Any], path: str, service_id: str | None
    ) -> ServiceAtLocationRecord:
        self._note_dropped("service_at_location", x)
        nested_service = x.get("service")
        if isinstance(nested_service, dict):
            svc = self.service(nested_service, path + "/service")
            if service_id and svc.id and svc.id != service_id:
                self.errors.append(
                    HsdsError(
                        path + "/service/id",
                        f"service {svc.id!r} differs from the enclosing service {service_id!r}",
                    )
                )
            service_id = service_id or svc.id or None
        self._check_link(path, "service_id", x.get("service_id"), service_id, "service")
        location_id: str | None = None
        nested_loc = x.get("location")
        if isinstance(nested_loc, dict):
            loc = self.location(nested_loc, path + "/location", None)
            location_id = loc.id or None
        self._check_link(path, "location_id", x.get("location_id"), location_id, "location")
        given_service, given_location = x.get("service_id"), x.get("location_id")
        service_id = service_id or (given_service if isinstance(given_service, str) else None)
        location_id = location_id or (given_location if isinstance(given_location, str) else None)
        if not service_id:
            self.errors.append(
                HsdsError(
                    path + "/service_id",
                    "the link names no service: give service_id or nest it in its service",
                )
            )
        if not location_id:
            self.errors.append(
                HsdsError(
                    path + "/location_id", "the link names no location: give location_id or a location object"
                )
            )
        rec = ServiceAtLocationRecord(
            id=self._id(x),
            service_id=service_id or "",
            location_id=location_id or "",
            description=_text(x, "description"),
        )
        return self._merge(self.sals, "service_at_location", rec, path)

    def references(self) -> None:
        """Warn about references to records the file does not hold."""
        orgs, services, locations = set(self.orgs), set(self.services), set(self.locations)
        for rec, path in self.services.values():
            if rec.organisation_id and rec.organisation_id not in orgs:
                self.warnings.append(
                    HsdsError(
                        path, f"service {rec.id}: its organization {rec.organisation_id} is not in the file"
                    )
                )
            if not rec.organisation_id:
                self.warnings.append(HsdsError(path, f"service {rec.id} names no organization"))
        for rec, path in self.sals.values():
            if rec.service_id and rec.service_id not in services:
                self.warnings.append(
                    HsdsError(
                        path, f"service_at_location {rec.id}: its service {rec.service_id} is not in the file"
                    )
                )
            if rec.location_id and rec.location_id not in locations:
                self.warnings.append(
                    HsdsError(
                        path,
                        f"service_at_location {rec.id}: its location {rec.location_id} is not in the file",
                    )
                )


def _blank(v: Any) -> bool:
    return v is None or v == "" or v == []


def _text(obj: dict[str, Any], key: str) -> str:
    v = obj.get(key)
    return v.strip() if isinstance(v, str) else ""


def _num(obj: dict[str, Any], key: str) -> float | None:
    v = obj.get(key)
    return float(v) if _number(v) else None


def _objects(obj: dict[str, Any], key: str) -> list[tuple[int, dict[str, Any]]]:
    v = obj.get(key)
    if not isinstance(v, list):
        return []
    return [(i, x) for i, x in enumerate(v) if isinstance(x, dict)]


def read(data: bytes | str, *, kind: str | None = None, schemas: HsdsSchemas | None = None,
         file_name: str = "") -> HsdsReadResult:
    """Read an HSDS 3.0 JSON file (see the module documentation). Never raises for bad content: an
    unreadable file is one error at path ``""``. Raises :class:`HsdsSchemaNotFound` when no schemas are
    given and none are found."""
    schemas = schemas or load_schemas()
    empty = HsdsReadResult([], [], [], [], [])
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes | bytearray) else data
    except UnicodeDecodeError as exc:
        empty.errors.append(
            HsdsError("", f"the file is not UTF-8 text (byte {exc.start}): save it as UTF-8 JSON")
        )
        return empty
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        empty.errors.append(
            HsdsError("", f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}")
        )
        return empty

    errors: list[HsdsError] = []
    items = _items(document, kind, errors, file_name)
    reader = _Reader()
    warnings: list[HsdsError] = []
    kinds = [k for _, _, k in items]
    if items and all(k is not None and k not in KINDS for k in kinds) and len(set(kinds)) == 1:
        # A file of one kind Tamasuk does not import on its own (taxonomy terms, locations alone): say so once.
        errors.append(HsdsError("", _refusal(kinds[0])))
        items = []
    for base, item, item_kind in items:
        path = _pointer(base)
        if item_kind is None:
            errors.append(HsdsError(path, _unknown_object(item, recognise(item))))
            continue
        if item_kind not in KEPT_KINDS:
            warnings.append(HsdsError(path, _left_out(item_kind)))
            continue
        validator = schemas.validators.get(item_kind)
        if validator is not None:
            errors.extend(_schema_errors(validator, item, base))
        if item_kind == "organization":
            reader.organisation(item, path)
        elif item_kind == "service":
            reader.service(item, path)
        elif item_kind == "location":
            org = item.get("organization_id")
            reader.location(item, path, org if isinstance(org, str) and org else None)
        else:
            reader.service_at_location(item, path, None)
    if not items and not errors:
        errors.append(HsdsError("", "the file holds no HSDS organization, service or service_at_location"))
    reader.warnings.extend(warnings)
    reader.references()
    for k in sorted(reader.dropped):
        reader.warnings.append(
            HsdsError(
                "",
                f"{k} fields Tamasuk does not keep were not imported: {', '.join(sorted(reader.dropped[k]))}",
            )
        )
    return HsdsReadResult(
        organisations=[r for r, _ in reader.orgs.values()],
        services=[r for r, _ in reader.services.values()],
        locations=[r for r, _ in reader.locations.values()],
        service_at_locations=[r for r, _ in reader.sals.values()],
        errors=_in_document_order(document, errors + reader.errors),
        warnings=reader.warnings,
    )


# --------------------------------------------------------------------------------------------------
# Confidentiality


def redact_confidential(
    services: Iterable[ServiceRecord],
    locations: Iterable[LocationRecord],
    service_at_locations: Iterable[ServiceAtLocationRecord],
) -> Redacted:
    """Records fit to leave the city team as far as confidential services go: each service flagged
    ``confidential`` keeps its name, description and other public facts but loses its email, phones
    and contacts; every location linked to a confidential service is removed, with every link to it
    (whichever service's). The inputs are not changed."""
    services = list(services)
    sals = list(service_at_locations)
    secret = {s.id for s in services if s.confidential}
    hidden = {x.location_id for x in sals if x.service_id in secret}
    out_services = [
        dataclasses.replace(s, email="", phones=[], contacts=[]) if s.id in secret else s for s in services
    ]
    return Redacted(
        out_services,
        [loc for loc in locations if loc.id not in hidden],
        [x for x in sals if x.service_id not in secret and x.location_id not in hidden],
    )


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
            if not _UUID_RE.match(r.id or ""):
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
            lo, hi = _RANGES[name]
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
