"""The directory as it leaves the city: 3W/4W sheets (HXL) and Open Referral HSDS 3.0 JSON. Reads only; the
imports of both formats are the import pipeline's kinds (:mod:`.import_adapters`, :mod:`.import_services`).

3W/4W sheets
    One row per service and ward (see :mod:`tamasuk.interop.threew`), with the service's counts on its first
    ward's row only (the other rows leave them empty), so that importing the export sums them back to the same
    numbers. A service covering no ward has no 3W row (a 3W row needs an area); it is in the HSDS export. An
    export leaves the city, so it holds what the public may see whoever downloads it, the city team included
    (:func:`tamasuk.network.directory.queries.published_services`): people reached as the publication layer
    publishes them ("<5" or "x" in a count's cell, explained in the row's ``#meta+note``; reading a marker
    leaves the recorded number as it is, so the city team's round trip changes nothing), and no row for a
    confidential service whose wards and organisation the city does not share. 3W has no column for an address,
    coordinates, a contact or a description, so no confidential location or contact can reach a 3W export.

HSDS 3.0
    The export is an HSDS API page (``hsds.writer.write``) of every organisation of the city with its services;
    each service with an address or coordinates has one location and one service_at_location. Ids are
    ``hsds.records.stable_id("organisation" | "service" | "location" | "service_at_location", city.pk, pk)``. A
    service's contact becomes its email (when it is one) or its phone; its areas become ``service_areas``
    (by name). Focal points' contacts are for the network and are not exported. The records always pass
    through ``hsds.redaction.redact_confidential``: a confidential service never carries a location or a
    contact in an HSDS export, for any reader, the city team included (an export leaves the city). A
    confidential service whose wards and organisation the city does not share is not exported at all: HSDS
    nests a service in its organisation, and its service areas would place it. HSDS has no field for people
    reached (nor for a marker of a hidden count), so none is written.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from tamasuk.cities import publication
from tamasuk.cities.models import City
from tamasuk.interop import threew
from tamasuk.interop.hsds.records import (
    LocationRecord,
    OrganisationRecord,
    ServiceAtLocationRecord,
    ServiceRecord,
    stable_id,
)
from tamasuk.interop.hsds.redaction import redact_confidential
from tamasuk.interop.hsds.writer import write as write_hsds

from . import queries

_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def threew_records(user, city: City) -> list[threew.ActivityRecord]:
    """The directory's services as 3W rows, one per service and ward, as they may leave the city: people
    reached as published (a hidden count is its marker, explained in the row's note), and no row for a
    confidential service whose wards and organisation the city does not share."""
    out = []
    k = publication.threshold(city)
    for view in queries.published_services(user, city):
        s = view.service
        counts = (view.reached_f, view.reached_m, view.reached_total)
        note = _("People reached: “<%(k)s” is fewer than %(k)s, “x” is %(k)s or more, hidden so that a small "
                 "number cannot be worked out; importing this sheet leaves such numbers as they are.") % {"k": k} \
            if any(isinstance(c, str) for c in counts) else ""
        for i, area in enumerate(view.areas):
            first = i == 0
            out.append(threew.ActivityRecord(
                row=0, organisation=view.organisation.name, organisation_type=view.organisation.type,
                sector=s.sector, subsector=s.name, area=area.code,
                reached_f=view.reached_f if first else None, reached_m=view.reached_m if first else None,
                reached_total=view.reached_total if first else None, capacity=s.capacity if first else None,
                start=s.start, end=s.end, note=note if first else ""))
    return out


def threew_export(user, city: City, fmt: str = "csv") -> tuple[bytes, str, str]:
    """(content, content type, file name) of the 3W export in ``fmt`` ("csv" or "xlsx")."""
    records = threew_records(user, city)
    stamp = timezone.localdate().isoformat()
    if fmt == "xlsx":
        return (threew.write_xlsx(records),
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                f"{city.slug}-3w-{stamp}.xlsx")
    return threew.write(records), "text/csv; charset=utf-8", f"{city.slug}-3w-{stamp}.csv"


def _contact(contact: str) -> dict[str, Any]:
    contact = (contact or "").strip()
    if not contact:
        return {}
    return {"email": contact} if _EMAIL_RE.match(contact) else {"phones": [contact]}


def hsds_records(user, city: City) -> tuple[list, list, list, list]:
    """(organisations, services, locations, service_at_locations) as they may leave the city, whoever asks:
    confidential services redacted, and left out whole when the city does not share their wards and
    organisation. HSDS has no field for people reached, so no count is written."""
    orgs = list(queries.organisations(user, city))
    org_records = [OrganisationRecord(id=stable_id("organisation", city.pk, o.pk), name=o.name,
                                           description=o.description) for o in orgs]
    today = timezone.localdate()
    srv, locs, sals = [], [], []
    for view in queries.published_services(user, city):
        s = view.service
        sid = stable_id("service", city.pk, s.pk)
        srv.append(ServiceRecord(
            id=sid, organisation_id=stable_id("organisation", city.pk, view.organisation.pk), name=s.name,
            description=s.description, status="inactive" if s.end and s.end < today else "active",
            languages=list(s.languages or []), eligibility=s.eligibility,
            service_areas=[a.name for a in view.areas],
            confidential=s.confidential, **_contact(view.contact)))
        if view.address or view.latitude is not None:
            lid = stable_id("location", city.pk, s.pk)
            has_point = view.latitude is not None and view.longitude is not None
            locs.append(LocationRecord(
                id=lid, organisation_id=stable_id("organisation", city.pk, view.organisation.pk),
                name=s.name, latitude=view.latitude if has_point else None,
                longitude=view.longitude if has_point else None,
                address_1=view.address, city=city.name if view.address else "",
                country=city.country if len(city.country or "") == 2 else ""))
            sals.append(ServiceAtLocationRecord(id=stable_id("service_at_location", city.pk, s.pk),
                                                     service_id=sid, location_id=lid))
    safe = redact_confidential(srv, locs, sals)
    return org_records, safe.services, safe.locations, safe.service_at_locations


def hsds_export(user, city: City) -> dict[str, Any]:
    """The directory as an HSDS 3.0 API page, as it may leave the city (see :func:`hsds_records`)."""
    organisations, srv, locs, sals = hsds_records(user, city)
    return write_hsds(organisations, srv, locs, sals)


def hsds_export_bytes(user, city: City) -> tuple[bytes, str]:
    doc = hsds_export(user, city)
    name = f"{city.slug}-hsds-{timezone.localdate().isoformat()}.json"
    return json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8"), name


