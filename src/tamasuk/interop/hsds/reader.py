"""Reading HSDS 3.0 JSON into records, with every problem as an error at its JSON pointer.

No Django: bytes in → records, errors and warnings out.

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
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from .kinds import KEPT_KINDS, document_items, in_document_order, left_out, recognise, refusal, unknown_object
from .records import (
    KINDS,
    ContactRecord,
    HsdsError,
    HsdsReadResult,
    LocationRecord,
    OrganisationRecord,
    ServiceAtLocationRecord,
    ServiceRecord,
)
from .schemas import (
    HsdsSchemas,
    is_number,
    load_schemas,
    pointer,
    schema_errors,
    short,
)

__all__ = [
    "read",
]

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
                    f"({short(a)} there, {short(b)} here): the same record must say the same thing everywhere",
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
    return float(v) if is_number(v) else None


def _objects(obj: dict[str, Any], key: str) -> list[tuple[int, dict[str, Any]]]:
    v = obj.get(key)
    if not isinstance(v, list):
        return []
    return [(i, x) for i, x in enumerate(v) if isinstance(x, dict)]


# Deeper than any HSDS document nests (an API page of organisations with their services' locations is under 10),
# shallow enough that every recursive step after parsing (schema validation, the readers) stays far from Python's
# recursion limit.
MAX_DEPTH = 64


def parse_json(text: str) -> tuple[Any, str | None]:
    """The document, or None and why it cannot be read: not JSON, a number too long for Python (over 4,300
    digits), or nested deeper than MAX_DEPTH (the parser itself recurses, and fails at about 1,000)."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
    except RecursionError:
        return None, f"the JSON is nested too deeply (more than {MAX_DEPTH} levels of objects and lists)"
    except ValueError:  # int("9" * 5001): Python's limit on the digits of an integer
        return None, "a number in the file has too many digits (more than 4,300): it cannot be a value of HSDS"
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            return None, f"the JSON is nested too deeply (more than {MAX_DEPTH} levels of objects and lists)"
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    return document, None


def nul_paths(document: Any) -> list[str]:
    """The JSON pointer of every key or string holding a NUL character."""
    found: list[str] = []
    stack: list[tuple[str, Any]] = [("", document)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict):
            for k, v in node.items():
                child = f"{path}/{k.replace('~', '~0').replace('/', '~1')}"
                if "\x00" in k:
                    found.append(child)
                stack.append((child, v))
        elif isinstance(node, list):
            stack.extend((f"{path}/{i}", v) for i, v in enumerate(node))
        elif isinstance(node, str) and "\x00" in node:
            found.append(path)
    return sorted(found)


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
    document, problem = parse_json(text)
    if problem is not None:
        empty.errors.append(HsdsError("", problem))
        return empty
    nul = nul_paths(document)
    if nul:
        # PostgreSQL stores no text holding NUL: refused here, by path, not when the import writes.
        empty.errors.extend(HsdsError(path, "the text holds a NUL character (\\u0000); remove it") for path in nul)
        return empty

    errors: list[HsdsError] = []
    items = document_items(document, kind, errors, file_name)
    reader = _Reader()
    warnings: list[HsdsError] = []
    kinds = [k for _, _, k in items]
    if items and all(k is not None and k not in KINDS for k in kinds) and len(set(kinds)) == 1:
        # A file of one kind Tamasuk does not import on its own (taxonomy terms, locations alone): say so once.
        errors.append(HsdsError("", refusal(kinds[0])))
        items = []
    for base, item, item_kind in items:
        path = pointer(base)
        if item_kind is None:
            errors.append(HsdsError(path, unknown_object(item, recognise(item))))
            continue
        if item_kind not in KEPT_KINDS:
            warnings.append(HsdsError(path, left_out(item_kind)))
            continue
        validator = schemas.validators.get(item_kind)
        if validator is not None:
            errors.extend(schema_errors(validator, item, base))
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
        errors=in_document_order(document, errors + reader.errors),
        warnings=reader.warnings,
    )
