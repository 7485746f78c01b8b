"""What an HSDS object is, from its fields, and :func:`validate` for a whole document.

No Django.

    :func:`recognise` matches an object's fields against :data:`OBJECT_KINDS`, the fields each of the twenty
    HSDS object kinds must and may have: the kind whose fields fit best; a tie is broken by the other items
    of the list, then by the file's name (``taxonomy.json``), else the item is refused as ambiguous (the
    official taxonomy example is a valid organization too). :func:`document_items` lists a document's
    items with their kinds; Tamasuk keeps :data:`KEPT_KINDS` and says what it leaves out (:func:`left_out`,
    :func:`refusal`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

from .records import (
    KINDS,
    HsdsError,
)
from .schemas import (
    HsdsSchemas,
    article,
    load_schemas,
    pointer,
    schema_errors,
    short,
)

__all__ = [
    "KEPT_KINDS",
    "KIND_PLURALS",
    "OBJECT_KINDS",
    "UPLOAD_INSTEAD",
    "WHAT_TAMASUK_IMPORTS",
    "Recognised",
    "document_items",
    "in_document_order",
    "left_out",
    "recognise",
    "refusal",
    "unknown_object",
    "validate",
]

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
    names = [f"{article(k)} {k}" for k in kinds]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def unknown_object(item: dict[str, Any], rec: Recognised) -> str:
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
        f"other record (its fields: {short(sorted(item))})"
    )


def refusal(kind: str) -> str:
    if kind == "location":
        return (
            "this file holds HSDS locations on their own; Tamasuk keeps a location only as the place of a "
            f"service: {UPLOAD_INSTEAD}, with the locations nested in them or alongside"
        )
    return f"this file holds HSDS {KIND_PLURALS.get(kind, kind)}; {WHAT_TAMASUK_IMPORTS}: {UPLOAD_INSTEAD}"


def left_out(kind: str) -> str:
    return f"an HSDS {kind.replace('_', ' ')}: not imported ({WHAT_TAMASUK_IMPORTS})"


def validate(
    document: Any, kind: str | None = None, *, schemas: HsdsSchemas | None = None
) -> list[HsdsError]:
    """Every problem in an HSDS document (an object, a list, or an API page) under the strict rules
    of :func:`read`. An empty list means it validates."""
    schemas = schemas or load_schemas()
    errors: list[HsdsError] = []
    for base, item, item_kind in document_items(document, kind, errors):
        validator = schemas.validators.get(item_kind or "")
        if validator is None:
            errors.append(HsdsError(pointer(base), unknown_object(item, recognise(item)) if item_kind is None
                                    else left_out(item_kind)))
            continue
        errors.extend(schema_errors(validator, item, base))
    return in_document_order(document, errors)


def document_items(
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
        errors.append(HsdsError("", f"expected an HSDS object or a list of them, not {short(document)}"))
        return []
    hint = _name_hint(file_name)
    if seq is None:
        return [((), document, kind or recognise(document, hints=[hint]).kind)]
    out = []
    for i, item in enumerate(seq):
        if isinstance(item, dict):
            out.append(((*base, i), item, kind))
        else:
            errors.append(HsdsError(pointer((*base, i)), f"expected an HSDS object, not {short(item)}"))
    if kind is None:
        # A list (an API page) holds one kind of object: the ones that can be told say what the others are.
        first = [recognise(item) for _, item, _k in out]
        told = {r.kind for r in first if r.kind}
        siblings = next(iter(told)) if len(told) == 1 else None
        out = [(b, item, r.kind or recognise(item, hints=[siblings, hint]).kind)
               for (b, item, _k), r in zip(out, first, strict=True)]
    return out


def in_document_order(document: Any, errors: list[HsdsError]) -> list[HsdsError]:
    order: dict[str, int] = {}
    stack: list[tuple[str, Any]] = [("", document)]
    while stack:
        path, node = stack.pop()
        order.setdefault(path, len(order))
        if isinstance(node, dict):
            stack.extend(reversed([(path + pointer((k,)), v) for k, v in node.items()]))
        elif isinstance(node, list):
            stack.extend(reversed([(f"{path}/{i}", v) for i, v in enumerate(node)]))

    def key(e: HsdsError) -> int:
        p = e.path
        while p and p not in order:
            p = p.rsplit("/", 1)[0]  # a missing field: at its parent
        return order.get(p, 0)

    return sorted(errors, key=key)
