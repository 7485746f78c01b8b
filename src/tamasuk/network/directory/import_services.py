"""Imports into the directory: 3W/4W sheets (HXL) and Open Referral HSDS 3.0 JSON. The writes behind the import
pipeline's "threew" and "hsds" kinds (:mod:`.import_adapters`); the exports are in :mod:`.exports`.

Reading the formats is :mod:`tamasuk.interop.threew` and :mod:`tamasuk.interop.hsds` (no Django): ``read_threew``
and ``read_hsds`` turn a file into what it holds (raising the pipeline's ImportFileError when a 3W file cannot be
read at all); this module maps that onto organisations and services of one city.

Imports
    ``import_threew(actor=…, city=…, sheet=read_threew(…), dry_run=True)`` and ``import_hsds(…)`` return an
    :class:`ImportPlan`: the organisations and services the file would add, those it would change (field by
    field, before → after), those already as the file says, and every error. Nothing is written when there is
    any error, nor on a dry run. Otherwise everything is written in one transaction (all or nothing), and the
    plan is worked out again inside that transaction, so what is written matches the database at that moment.

    Matching is by name within the city, ignoring case and repeated spaces: an organisation by its name, a
    service by its organisation and its name. An import adds and updates; it never deletes, and it never
    blanks a field: a value the file leaves empty keeps what the directory holds. Importing the same file
    twice therefore changes nothing the second time.

    Audit: every write goes through :mod:`tamasuk.network.directory.services`, so each organisation or service
    created or changed has its own audit event (``organisation.create``, ``service.update``…, as when edited on
    its page), and one summary event ``directory.import`` (format, file name, SHA-256 of the file, counts)
    closes the import (beside the pipeline's own import.* events). An import that changes nothing writes no
    directory event at all.

3W/4W sheets
    One row per activity: organisation (``#org``), organisation type (``#org+type``), sector (``#sector``),
    subsector (``#subsector``), area (``#adm2+code`` or ``#adm2+name``), people reached (``#reached+f``,
    ``#reached+m``, ``#reached+total``), capacity, start and end (see :mod:`tamasuk.interop.threew`).

    - The subsector is the service's name; a row without one is the service named after its sector (in the
      city's first language).
    - Rows of the same organisation and service are one service: its areas are the rows' areas (they replace
      the areas it had), its counts the sum of the rows' counts (a count no row gives is left as it is), its
      start the earliest start and its end the latest end. A service has one sector: two rows of one service
      in different sectors are an error.
    - An area is matched by code, else by name, among the city's wards (the deepest level, as on the
      directory pages).
    - A sector is matched, ignoring case, to its code (``health``), its name in English or in the current
      language (``Water and sanitation``) or a common humanitarian cluster name (``WASH``, ``Food security``,
      ``MHPSS``…); anything else is an error listing the sectors. Organisation types likewise (``NGO`` is
      civil society); an organisation new to the directory with no type is "Other". (The pipeline runs the
      steps in the language of the person who uploaded the file, so "current" is theirs.)
    - The status column is not kept.

HSDS 3.0
    The import (``hsds.reader.read``) reports every error by JSON pointer and lists what the file would import
    even when there are errors (nothing is written then). HSDS has no sector: a service new to the directory
    gets the sector chosen on the upload form; an existing one keeps its own. A service's location is its
    first linked location: address lines (and the town when it is not this city) become the address. A
    service without an organisation in the file is an error. When the official schemas cannot be found
    (``TAMASUK_HSDS_SCHEMAS`` or the shared reference folder), the import still applies the reader's own
    strict checks (ids, coordinate ranges, ages, emails, web addresses, dates) and the plan says that schema
    validation was not available (``ImportPlan.schema_checked`` is False).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from tamasuk.audit.services import record
from tamasuk.cities.models import Area, City
from tamasuk.cities.permissions import Action, require
from tamasuk.imports.adapters import ImportFileError
from tamasuk.interop import threew
from tamasuk.interop.decoding import TabularError
from tamasuk.interop.hsds.reader import parse_json
from tamasuk.interop.hsds.reader import read as read_hsds_document
from tamasuk.interop.hsds.records import KINDS, SERVICE_STATUSES, HsdsError, HsdsReadResult, LocationRecord
from tamasuk.interop.hsds.schemas import (
    RANGE_KEYWORD,
    RANGES,
    HsdsSchemaNotFound,
    HsdsSchemas,
    empty_registry,
    format_checker,
    load_schemas,
    strict_validator_class,
)
from tamasuk.interop.tabular import RowError

from ..models import Organisation, OrganisationType, Sector, Service
from . import services

# Common names of humanitarian clusters and sectors (lower case) → our sectors.
SECTOR_ALIASES = {
    "food security": "food",
    "food security and livelihoods": "food",
    "fsl": "food",
    "nutrition": "food",
    "water, sanitation and hygiene": "wash",
    "water sanitation and hygiene": "wash",
    "water and sanitation": "wash",
    "shelter/nfi": "shelter",
    "shelter and nfi": "shelter",
    "shelter & nfi": "shelter",
    "housing": "shelter",
    "mhpss": "psychosocial",
    "mental health and psychosocial support": "psychosocial",
    "early recovery": "livelihoods",
    "economic recovery": "livelihoods",
    "livelihoods": "livelihoods",
    "gbv": "protection",
    "gender-based violence": "protection",
    "child protection": "protection",
    "safety and security": "security",
    "social cohesion": "cohesion",
    "peacebuilding": "cohesion",
}
ORG_TYPE_ALIASES = {
    "ngo": "civil_society",
    "nngo": "civil_society",
    "ingo": "civil_society",
    "cso": "civil_society",
    "cbo": "civil_society",
    "national ngo": "civil_society",
    "international ngo": "civil_society",
    "community-based organisation": "civil_society",
    "community-based organization": "civil_society",
    "government": "municipal",
    "local government": "municipal",
    "municipality": "municipal",
    "national government": "national_agency",
    "fbo": "faith",
    "faith-based organisation": "faith",
    "faith-based organization": "faith",
    "private sector": "business",
    "company": "business",
}

_COUNT_FIELDS = ("capacity", "reached_f", "reached_m", "reached_total")
_TEXT_ROLES = ("organisation", "organisation_type", "sector", "subsector", "area")


def _key(text: str) -> str:
    return " ".join((text or "").split()).casefold()


def _field_label(model, name: str) -> str:
    if name == "areas":
        return str(_("areas covered"))
    return str(model._meta.get_field(name).verbose_name)


def _shown(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


# --------------------------------------------------------------------------------------------------
# The plan of an import


@dataclass
class Change:
    """One field as the directory has it and as the file would make it (for the dry-run page)."""

    field: str
    label: str
    before: str
    after: str


@dataclass
class OrganisationPlan:
    key: str
    name: str
    organisation: Organisation | None = None  # None: new
    fields: dict[str, Any] = field(default_factory=dict)  # what to write
    changes: list[Change] = field(default_factory=list)
    where: str = ""  # the first row (3W) or JSON pointer (HSDS) naming it

    @property
    def type_label(self) -> str:
        t = self.fields.get("type") or (self.organisation.type if self.organisation else "")
        return str(OrganisationType(t).label) if t in OrganisationType.values else ""


@dataclass
class ServicePlan:
    org_key: str
    organisation: str
    name: str
    sector: str
    areas: list[Area] | None  # None: leave the service's areas as they are
    service: Service | None = None  # None: new
    fields: dict[str, Any] = field(default_factory=dict)  # what to write
    changes: list[Change] = field(default_factory=list)
    where: str = ""

    @property
    def sector_label(self) -> str:
        return str(Sector(self.sector).label) if self.sector in Sector.values else self.sector

    @property
    def area_names(self) -> str:
        areas = self.areas if self.areas is not None else (list(self.service.areas.all()) if self.service else [])
        return ", ".join(a.name for a in areas)


@dataclass
class ImportPlan:
    format: str  # "3w" or "hsds"
    new_organisations: list[OrganisationPlan] = field(default_factory=list)
    changed_organisations: list[OrganisationPlan] = field(default_factory=list)
    unchanged_organisations: list[OrganisationPlan] = field(default_factory=list)
    new_services: list[ServicePlan] = field(default_factory=list)
    changed_services: list[ServicePlan] = field(default_factory=list)
    unchanged_services: list[ServicePlan] = field(default_factory=list)
    # 3W: tabular.RowError (row, column, value, message); HSDS: HsdsError (path, message).
    errors: list[Any] = field(default_factory=list)
    error_count: int = 0  # all errors; ``errors`` may list fewer (the reader's limit)
    warnings: list[Any] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    schema_checked: bool = True  # HSDS: validated against the official schemas
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors and not self.error_count

    @property
    def total_errors(self) -> int:
        return max(self.error_count, len(self.errors))

    @property
    def changes_anything(self) -> bool:
        return bool(self.new_organisations or self.changed_organisations or self.new_services
                    or self.changed_services)

    def counts(self) -> dict[str, int]:
        return {
            "new_organisations": len(self.new_organisations),
            "changed_organisations": len(self.changed_organisations),
            "unchanged_organisations": len(self.unchanged_organisations),
            "new_services": len(self.new_services),
            "changed_services": len(self.changed_services),
            "unchanged_services": len(self.unchanged_services),
        }


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------------------------------
# Matching names to our vocabulary


def _labels_in(choices, language: str) -> dict[str, str]:
    with translation.override(language):
        return {_key(str(c.label)): c.value for c in choices}


def _vocabulary(choices, aliases: dict[str, str]) -> dict[str, str]:
    vocab = {_key(v): v for v in choices.values}
    vocab.update({_key(k): v for k, v in aliases.items()})
    vocab.update(_labels_in(choices, "en"))
    vocab.update(_labels_in(choices, translation.get_language() or "en"))
    return vocab


def sector_for(text: str) -> str | None:
    """Our sector for a sector's code, name (English or the current language) or cluster name."""
    return _vocabulary(Sector, SECTOR_ALIASES).get(_key(text))


def organisation_type_for(text: str) -> str | None:
    return _vocabulary(OrganisationType, ORG_TYPE_ALIASES).get(_key(text))


def _allowed(choices) -> str:
    return "; ".join(f"{c.value} ({c.label})" for c in choices)


class _Areas:
    """The city's wards (the deepest level), found by code, else by name, ignoring case."""

    def __init__(self, city: City):
        every = list(Area.objects.filter(city=city))
        self.leaf_level = max((a.level for a in every), default=1)
        self.city = city
        self.by_code = {_key(a.code): a for a in every}
        self.by_name: dict[str, list[Area]] = {}
        for a in every:
            self.by_name.setdefault(_key(a.name), []).append(a)

    def find(self, text: str) -> tuple[Area | None, str]:
        """(the ward, "") or (None, why not)."""
        k = _key(text)
        found = self.by_code.get(k)
        if found is None:
            named = self.by_name.get(k, [])
            leaves = [a for a in named if a.level == self.leaf_level]
            if len(leaves) > 1:
                return None, _("several areas are named “%(name)s”: use the code (%(codes)s)") % {
                    "name": text, "codes": ", ".join(a.code for a in leaves)}
            found = leaves[0] if leaves else (named[0] if named else None)
        if found is None:
            return None, _("no area of %(city)s has this code or name; use a %(level)s code such as %(example)s") % {
                "city": self.city.name, "level": self.city.level_name(self.leaf_level),
                "example": next((a.code for a in self.by_code.values() if a.level == self.leaf_level), "—")}
        if found.level != self.leaf_level:
            return None, _("“%(name)s” is a %(level)s; services are recorded by %(leaf)s: give each %(leaf)s "
                           "on its own row") % {"name": found.name, "level": self.city.level_name(found.level),
                                                "leaf": self.city.level_name(self.leaf_level)}
        return found, ""


def _default_service_name(city: City, sector: str) -> str:
    language = (city.languages or ["en"])[0]
    with translation.override(language):
        return str(Sector(sector).label)


class _Directory:
    """The city's organisations and services, by matching key."""

    def __init__(self, city: City):
        self.orgs = {_key(o.name): o for o in Organisation.objects.filter(city=city)}
        self.services: dict[tuple[int, str], list[Service]] = {}
        for s in Service.objects.filter(city=city).select_related("organisation").prefetch_related("areas"):
            self.services.setdefault((s.organisation_id, _key(s.name)), []).append(s)


def _organisation_plan(plan: ImportPlan, directory: _Directory, key: str, name: str, where: str,
                       type_: str | None, description: str = "", sectors: Iterable[str] = ()) -> OrganisationPlan:
    existing = directory.orgs.get(key)
    if existing is None:
        fields = {"type": type_ or OrganisationType.OTHER, "sectors": list(dict.fromkeys(sectors))}
        if description:
            fields["description"] = description
        op = OrganisationPlan(key, name, None, fields, where=where)
        plan.new_organisations.append(op)
        return op
    wanted = {"type": type_, "description": description}
    op = OrganisationPlan(key, existing.name, existing, where=where)
    for f, v in wanted.items():
        if v and getattr(existing, f) != v:
            op.fields[f] = v
            before, after = getattr(existing, f), v
            if f == "type":
                before, after = existing.get_type_display(), OrganisationType(v).label
            op.changes.append(Change(f, _field_label(Organisation, f), _shown(before), _shown(after)))
    (plan.changed_organisations if op.fields else plan.unchanged_organisations).append(op)
    return op


def _service_plan(plan: ImportPlan, directory: _Directory, op: OrganisationPlan, *, name: str, sector: str | None,
                  values: dict[str, Any], areas: list[Area] | None, where: str) -> ServicePlan | str:
    """Add the service to the plan; or return why it cannot be matched."""
    existing: list[Service] = []
    if op.organisation is not None:
        existing = directory.services.get((op.organisation.pk, _key(name)), [])
    if len(existing) > 1:
        return _("%(org)s has %(n)s services named “%(name)s” in the directory: rename them so that each name "
                 "is used once") % {"org": op.name, "n": len(existing), "name": name}
    values = {k: v for k, v in values.items() if v is not None and v != "" and v != []}
    if not existing:
        sp = ServicePlan(op.key, op.name, name, sector or "", areas if areas is not None else [], None,
                         {"name": name, "sector": sector, **values}, where=where)
        plan.new_services.append(sp)
        return sp
    service = existing[0]
    if sector:
        values["sector"] = sector
    sp = ServicePlan(op.key, op.name, service.name, values.get("sector", service.sector), None, service, where=where)
    for f, v in values.items():
        if getattr(service, f) != v:
            sp.fields[f] = v
            before, after = getattr(service, f), v
            if f == "sector":
                before, after = service.get_sector_display(), Sector(v).label
            sp.changes.append(Change(f, _field_label(Service, f), _shown(before), _shown(after)))
    if areas is not None:
        current = sorted(a.code for a in service.areas.all())
        if current != sorted(a.code for a in areas):
            sp.areas = areas
            sp.changes.append(Change("areas", _field_label(Service, "areas"),
                                     _shown([a.name for a in service.areas.all()]),
                                     _shown([a.name for a in areas])))
    (plan.changed_services if sp.changes else plan.unchanged_services).append(sp)
    return sp


def _final_problems(sp: ServicePlan) -> list[tuple[str, str, str]]:
    """(field, value, message) for a service whose values, once merged with what it holds, would not save."""
    def final(f):
        if f in sp.fields:
            return sp.fields[f]
        return getattr(sp.service, f) if sp.service is not None else None

    out = []
    start, end = final("start"), final("end")
    if start and end and end < start:
        out.append(("end", end.isoformat(), _("the service would end (%(end)s) before it starts (%(start)s)")
                    % {"end": end.isoformat(), "start": start.isoformat()}))
    f, m, total = final("reached_f"), final("reached_m"), final("reached_total")
    if total is not None and f is not None and m is not None and total < f + m:
        out.append(("reached_total", str(total),
                    _("the total reached (%(total)s) would be smaller than women plus men (%(f)s + %(m)s)")
                    % {"total": total, "f": f, "m": m}))
    name = final("name") or ""
    if len(name) > Service._meta.get_field("name").max_length:
        out.append(("name", name, _("a service's name has at most %(n)s characters")
                    % {"n": Service._meta.get_field("name").max_length}))
    return out


# --------------------------------------------------------------------------------------------------
# 3W import


@dataclass
class ThreeWSheet:
    """What a 3W/4W file holds: its rows as read, and every row's names alone (see ``read_threew``)."""

    file_name: str
    sha256: str
    result: threew.ThreeWReadResult
    texts: list[threew.ActivityRecord]


def read_threew(data: bytes, file_name: str) -> ThreeWSheet:
    """Read a 3W/4W sheet. Raises the pipeline's ImportFileError for a file that is not one (no hashtag
    row, not a CSV or XLSX file…)."""
    try:
        result = threew.read(data, file_name)
    except (TabularError, ValueError) as exc:
        raise ImportFileError(str(exc)) from exc
    # Every row's names are checked, also in rows whose numbers or dates have errors: read the file again
    # with only the text columns, so that one upload lists every problem.
    text_only = {role: None for role in threew.ROLES if role not in _TEXT_ROLES}
    try:
        texts = threew.read(data, file_name, text_only, max_errors=0).records
    except (TabularError, ValueError):
        texts = result.records
    return ThreeWSheet(file_name, sha256(data), result, texts)


def _threew_plan(city: City, sheet: ThreeWSheet) -> ImportPlan:
    result, texts = sheet.result, sheet.texts
    plan = ImportPlan("3w", errors=list(result.errors), error_count=result.error_count, notes=list(result.notes))
    if "status" in result.columns:
        plan.notes.append(_("The status column (%(column)s) is not kept in the directory.")
                          % {"column": result.columns["status"]})
    cols = result.columns
    areas = _Areas(city)
    directory = _Directory(city)
    domain: list[RowError] = []

    def error(row: int, role: str, value: str, message: str) -> None:
        domain.append(RowError(row, cols.get(role, role), value, message))

    org_names: dict[str, str] = {}
    org_types: dict[str, tuple[str, int]] = {}
    first_of: dict[tuple[str, str], tuple[int, str]] = {}  # a service's first row and sector
    matched: dict[int, tuple[str, Area]] = {}  # row → (sector, ward) for rows whose names all match
    for rec in texts:
        sector = sector_for(rec.sector)
        if sector is None:
            error(rec.row, "sector", rec.sector,
                  _("unknown sector; use one of: %(allowed)s") % {"allowed": _allowed(Sector)})
        area, why = areas.find(rec.area)
        if area is None:
            error(rec.row, "area", rec.area, why)
        org_key = _key(rec.organisation)
        org_names.setdefault(org_key, rec.organisation.strip())
        ok = sector is not None and area is not None
        if len(rec.organisation.strip()) > Organisation._meta.get_field("name").max_length:
            ok = False
            error(rec.row, "organisation", rec.organisation, _("an organisation's name has at most %(n)s characters")
                  % {"n": Organisation._meta.get_field("name").max_length})
        if rec.organisation_type:
            type_ = organisation_type_for(rec.organisation_type)
            if type_ is None:
                ok = False
                error(rec.row, "organisation_type", rec.organisation_type,
                      _("unknown type of organisation; use one of: %(allowed)s")
                      % {"allowed": _allowed(OrganisationType)})
            elif org_key in org_types and org_types[org_key][0] != type_:
                ok = False
                error(rec.row, "organisation_type", rec.organisation_type,
                      _("row %(row)s gives this organisation another type; an organisation has one type")
                      % {"row": org_types[org_key][1]})
            else:
                org_types.setdefault(org_key, (type_, rec.row))
        if sector is None:
            continue
        name = rec.subsector.strip() or _default_service_name(city, sector)
        row, first_sector = first_of.setdefault((org_key, _key(name)), (rec.row, sector))
        if first_sector != sector:
            ok = False
            error(rec.row, "sector", rec.sector,
                  _("row %(row)s puts the service “%(name)s” of %(org)s in another sector; a service has one "
                    "sector: give this one another name (subsector column)")
                  % {"row": row, "name": name, "org": rec.organisation.strip()})
        if ok:
            matched[rec.row] = (sector, area)

    # Rows of one organisation and service become one service.
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for rec in result.records:
        if rec.row not in matched:
            continue
        sector, area = matched[rec.row]
        org_key = _key(rec.organisation)
        name = rec.subsector.strip() or _default_service_name(city, sector)
        g = groups.setdefault((org_key, _key(name)), {
            "row": rec.row, "name": name, "sector": sector, "areas": [], **{f: None for f in _COUNT_FIELDS},
            "start": None, "end": None})
        if area not in g["areas"]:
            g["areas"].append(area)
        for f in _COUNT_FIELDS:
            v = getattr(rec, f)
            if v is not None:
                g[f] = (g[f] or 0) + v
        if rec.start and (g["start"] is None or rec.start < g["start"]):
            g["start"] = rec.start
        if rec.end and (g["end"] is None or rec.end > g["end"]):
            g["end"] = rec.end

    org_plans: dict[str, OrganisationPlan] = {}
    for (org_key, _name), g in groups.items():
        if org_key not in org_plans:
            sectors = [x["sector"] for (k, _n), x in groups.items() if k == org_key]
            org_plans[org_key] = _organisation_plan(
                plan, directory, org_key, org_names[org_key], str(g["row"]),
                org_types.get(org_key, (None, 0))[0], sectors=sectors)
        values = {f: g[f] for f in (*_COUNT_FIELDS, "start", "end")}
        sp = _service_plan(plan, directory, org_plans[org_key], name=g["name"], sector=g["sector"],
                           values=values, areas=sorted(g["areas"], key=lambda a: a.code), where=str(g["row"]))
        if isinstance(sp, str):
            error(g["row"], "subsector" if "subsector" in cols else "sector", g["name"], sp)
            continue
        for f, value, message in _final_problems(sp):
            role = {"name": "subsector"}.get(f, f)
            error(g["row"], role if role in cols else "organisation", value, message)
    plan.errors = sorted([*plan.errors, *domain], key=lambda e: e.row)
    plan.error_count = result.error_count + len(domain)
    return plan


def import_threew(*, actor, city: City, sheet: ThreeWSheet, dry_run: bool = True) -> ImportPlan:
    """Plan a 3W/4W sheet's import (``sheet`` from :func:`read_threew`) and, unless ``dry_run`` or any error,
    write it (see the module notes)."""
    require(actor, Action.EDIT_CITY_DATA, city)
    if dry_run:
        return _threew_plan(city, sheet)
    with transaction.atomic():
        plan = _threew_plan(city, sheet)
        if plan.ok:
            _apply(actor=actor, city=city, plan=plan, file_name=sheet.file_name, digest=sheet.sha256)
    return plan


# --------------------------------------------------------------------------------------------------
# HSDS import


_FALLBACK_UUID = {"type": "string", "format": "uuid"}


def _fallback_schemas() -> HsdsSchemas:
    """Our own strict checks without the official schemas: ids, coordinates, ages, emails and web addresses
    wherever they occur, and the few fields each kind needs. Not HSDS's schema: see ``schema_checked``."""
    rng = RANGE_KEYWORD

    def ranged(name):
        return {"type": "number", "name": name, rng: list(RANGES[name])}

    node = {
        "type": "object",
        "properties": {
            "latitude": ranged("latitude"), "longitude": ranged("longitude"),
            "minimum_age": ranged("minimum_age"), "maximum_age": ranged("maximum_age"),
            "name": {"type": "string"}, "email": {"type": "string", "format": "email"},
            "website": {"type": "string", "format": "uri"}, "url": {"type": "string", "format": "uri"},
            "last_modified": {"type": "string", "format": "date-time"},
        },
        "patternProperties": {"^(id|.+_id)$": _FALLBACK_UUID},
        "additionalProperties": {"$ref": "#/$defs/value"},
    }
    value = {"if": {"type": "object"}, "then": {"$ref": "#/$defs/node"},
             "else": {"if": {"type": "array"}, "then": {"items": {"$ref": "#/$defs/value"}}}}
    required = {"organization": ["id", "name"], "service": ["id", "name", "status"], "service_at_location": ["id"]}
    cls = strict_validator_class()
    validators = {}
    for kind in KINDS:
        schema = {"$defs": {"node": node, "value": value}, "name": kind, "allOf": [{"$ref": "#/$defs/node"}],
                  "required": required[kind]}
        if kind == "service":
            schema["properties"] = {"status": {"type": "string", "enum": list(SERVICE_STATUSES)}}
        validators[kind] = cls(schema, registry=empty_registry(), format_checker=format_checker())
    return HsdsSchemas(Path(), {}, validators)


def hsds_schemas() -> tuple[HsdsSchemas, bool]:
    """The official schemas and True, or our own checks and False when they cannot be found."""
    try:
        return load_schemas(), True
    except HsdsSchemaNotFound:
        return _fallback_schemas(), False


def _id_paths(document: Any) -> dict[str, str]:
    """Each id in the document → the JSON pointer of the first object holding it."""
    out: dict[str, str] = {}
    stack: list[tuple[str, Any]] = [("", document)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node.get("id"), str):
                out.setdefault(node["id"], path)
            stack.extend(reversed([(f"{path}/{k.replace('~', '~0').replace('/', '~1')}", v)
                                   for k, v in node.items()]))
        elif isinstance(node, list):
            stack.extend(reversed([(f"{path}/{i}", v) for i, v in enumerate(node)]))
    return out


@dataclass
class HsdsDocument:
    """What an HSDS file holds (see ``read_hsds``): the reader's records and errors, the parsed JSON (None when
    it is not JSON), each id's JSON pointer, and whether the official schemas checked it."""

    file_name: str
    sha256: str
    result: HsdsReadResult
    document: Any
    paths: dict[str, str]
    schema_checked: bool


def read_hsds(data: bytes, file_name: str) -> HsdsDocument:
    """Read an HSDS 3.0 JSON file. Never raises for its content: a file that is not JSON is one error at the
    path "" (the dry run lists it)."""
    schemas, checked = hsds_schemas()
    result = read_hsds_document(data, schemas=schemas, file_name=file_name)
    try:
        document = parse_json(data.decode("utf-8-sig"))[0]
    except UnicodeDecodeError:
        document = None
    return HsdsDocument(file_name, sha256(data), result, document, _id_paths(document), checked)


def _hsds_plan(city: City, doc: HsdsDocument, *, sector: str) -> ImportPlan:
    result = doc.result
    plan = ImportPlan("hsds", errors=list(result.errors), warnings=list(result.warnings),
                      schema_checked=doc.schema_checked)
    paths = doc.paths
    directory = _Directory(city)
    areas = _Areas(city)
    domain: list[HsdsError] = []
    locations = {loc.id: loc for loc in result.locations}
    located: dict[str, LocationRecord] = {}
    for x in result.service_at_locations:
        if x.location_id in locations:
            located.setdefault(x.service_id, locations[x.location_id])

    orgs: dict[str, OrganisationPlan] = {}
    by_key: dict[str, str] = {}
    new_sectors: dict[str, list[str]] = {}
    for s in result.services:
        if not (s.name and s.organisation_id):
            continue
        o = next((o for o in result.organisations if o.id == s.organisation_id), None)
        if o is not None:
            key = _key(o.name)
            existing = directory.orgs.get(key)
            has = existing is not None and (existing.pk, _key(s.name)) in directory.services
            if not has:
                new_sectors.setdefault(key, []).append(sector)
    for o in result.organisations:
        if not o.name:
            continue  # the schema error names it
        key = _key(o.name)
        where = paths.get(o.id, "")
        if key in by_key:
            domain.append(HsdsError(where, _("the file holds two organisations named “%(name)s”; the directory "
                                                  "matches organisations by name") % {"name": o.name}))
            orgs[o.id] = orgs[by_key[key]]
            continue
        if len(o.name) > Organisation._meta.get_field("name").max_length:
            domain.append(HsdsError(where + "/name", _("an organisation's name has at most %(n)s characters")
                                         % {"n": Organisation._meta.get_field("name").max_length}))
        by_key[key] = o.id
        orgs[o.id] = _organisation_plan(plan, directory, key, o.name, where, None, o.description,
                                        sectors=new_sectors.get(key, []))
    if any(o.email or o.phones or o.contacts or o.website for o in result.organisations):
        plan.notes.append(_("Organisations' emails, phones, contacts and websites are not imported: an "
                            "organisation's focal point is entered on its page."))

    seen: dict[tuple[str, str], str] = {}
    for s in result.services:
        where = paths.get(s.id, "")
        if not s.name:
            continue
        op = orgs.get(s.organisation_id or "")
        if op is None:
            domain.append(HsdsError(where, _("the service “%(name)s” belongs to no organisation in the file: "
                                                  "nest it in its organization, or include the organization")
                                         % {"name": s.name}))
            continue
        if (op.key, _key(s.name)) in seen:
            domain.append(HsdsError(where, _("%(org)s has two services named “%(name)s” in the file (also at "
                                                  "%(other)s); the directory matches services by name")
                                         % {"org": op.name, "name": s.name, "other": seen[(op.key, _key(s.name))]}))
            continue
        seen[(op.key, _key(s.name))] = where or "/"
        values: dict[str, Any] = {"description": s.description, "languages": list(s.languages)}
        limit = Service._meta.get_field("eligibility").max_length
        if len(s.eligibility) > limit:
            plan.warnings.append(HsdsError(where + "/eligibility_description", _(
                "shortened to %(n)s characters (the directory keeps no more)") % {"n": limit}))
            values["eligibility"] = s.eligibility[: limit - 1] + "…"
        else:
            values["eligibility"] = s.eligibility
        contact = next(iter(s.phones), "") or s.email
        if not contact:
            c = next(iter(s.contacts), None)
            contact = (next(iter(c.phones), "") or c.email) if c else ""
        values["contact"] = contact[: Service._meta.get_field("contact").max_length]
        loc = located.get(s.id)
        if loc is not None:
            lines = [loc.address_1, loc.address_2]
            if _key(loc.city) != _key(city.name):
                lines.append(loc.city)
            address = ", ".join(x for x in lines if x)
            limit = Service._meta.get_field("address").max_length
            if len(address) > limit:
                plan.warnings.append(HsdsError(paths.get(loc.id, where), _(
                    "the address is shortened to %(n)s characters (the directory keeps no more)") % {"n": limit}))
                address = address[: limit - 1] + "…"
            values.update(address=address, latitude=loc.latitude, longitude=loc.longitude)
        matched: list[Area] = []
        for i, name in enumerate(s.service_areas):
            area, _why = areas.find(name)
            if area is None:
                plan.warnings.append(HsdsError(f"{where}/service_areas/{i}/name", _(
                    "“%(name)s” is not a %(level)s of %(city)s: the service is imported without it") % {
                        "name": name[:80], "level": city.level_name(areas.leaf_level), "city": city.name}))
            elif area not in matched:
                matched.append(area)
        sp = _service_plan(plan, directory, op, name=s.name, sector=None, values=values,
                           areas=sorted(matched, key=lambda a: a.code) if matched else None, where=where)
        if isinstance(sp, str):
            domain.append(HsdsError(where + "/name", sp))
            continue
        if sp.service is None:
            sp.sector = sector
            sp.fields["sector"] = sector
        for f, _value, message in _final_problems(sp):
            domain.append(HsdsError(f"{where}/{f}", message))
    plan.errors = [*plan.errors, *domain]
    plan.error_count = len(plan.errors)
    return plan


def import_hsds(*, actor, city: City, document: HsdsDocument, sector: str, dry_run: bool = True) -> ImportPlan:
    """Plan an HSDS 3.0 JSON file's import (``document`` from :func:`read_hsds`) and, unless ``dry_run`` or any
    error, write it. ``sector`` is the sector of services new to the directory (HSDS has none)."""
    require(actor, Action.EDIT_CITY_DATA, city)
    if sector not in Sector.values:
        raise ValueError(f"unknown sector {sector!r}")
    if dry_run:
        return _hsds_plan(city, document, sector=sector)
    with transaction.atomic():
        plan = _hsds_plan(city, document, sector=sector)
        if plan.ok:
            _apply(actor=actor, city=city, plan=plan, file_name=document.file_name, digest=document.sha256)
    return plan


# --------------------------------------------------------------------------------------------------
# Writing an import


def _apply(*, actor, city: City, plan: ImportPlan, file_name: str, digest: str) -> None:
    """Write the plan through network.services (each write audited), then one summary event."""
    if not plan.changes_anything:
        return
    made: dict[str, Organisation] = {}
    for op in plan.new_organisations:
        made[op.key] = services.create_organisation(actor=actor, city=city, name=op.name, **op.fields)
    for op in plan.changed_organisations:
        made[op.key] = services.update_organisation(actor=actor, organisation=op.organisation, **op.fields)
    for op in plan.unchanged_organisations:
        made[op.key] = op.organisation
    for sp in plan.new_services:
        services.save_service(actor=actor, organisation=made[sp.org_key], areas=sp.areas or [], **sp.fields)
    for sp in plan.changed_services:
        areas = sp.areas if sp.areas is not None else list(sp.service.areas.all())
        services.save_service(actor=actor, organisation=sp.service.organisation, service=sp.service, areas=areas,
                              **sp.fields)
    record(actor=actor, action="directory.import", object_type="network.service", object_id=file_name[:64] or "import",
           city=city, after={"format": plan.format, "file": file_name, "sha256": digest, **plan.counts()})
    plan.written = True
