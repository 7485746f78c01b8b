"""Keeping confidential services' contacts and locations out of what leaves the city team.

No Django.

Confidential services
    The caller decides what leaves the city team and passes :func:`write` records already filtered.
    :func:`redact_confidential` is the filter for confidential services (a shelter): it clears their
    email, phones and contacts, and removes every location linked to one of them together with every
    link to that location (also other services' links: writing the shelter's building as another
    service's location would still reveal it). As a second lock, :func:`write` raises
    :class:`ConfidentialLeak` when a service flagged ``confidential`` still has a contact or a location
    that would be written.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import NamedTuple

from .records import (
    LocationRecord,
    ServiceAtLocationRecord,
    ServiceRecord,
)

__all__ = [
    "Redacted",
    "redact_confidential",
]


class Redacted(NamedTuple):
    services: list[ServiceRecord]
    locations: list[LocationRecord]
    service_at_locations: list[ServiceAtLocationRecord]


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
