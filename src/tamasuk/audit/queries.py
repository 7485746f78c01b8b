"""Reads of the audit log: a city's events, its chain's status, and where a person's contact details are."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from tamasuk.cities.models import City, Membership
from tamasuk.cities.permissions import Action, require

from .models import ERASE_ACTION, INSTALLATION_CHAIN, AuditEvent, AuditPayload, chain_of
from .services import ChainStatus, verify_chain


def city_events(user, city: City, *, object_type: str = "", object_id: str = "") -> QuerySet[AuditEvent]:
    """The city's chain, newest first, with payloads (one query per page)."""
    require(user, Action.VIEW_AUDIT, city)
    events = AuditEvent.objects.filter(chain=city.pk).select_related("payload")
    if object_type:
        events = events.filter(object_type=object_type)
    if object_id:
        events = events.filter(object_id=object_id)
    return events.order_by("-seq")


def object_types(user, city: City) -> QuerySet:
    require(user, Action.VIEW_AUDIT, city)
    return (AuditEvent.objects.filter(chain=city.pk).values_list("object_type", flat=True).distinct()
            .order_by("object_type"))


def chain_status(user, city: City) -> ChainStatus:
    require(user, Action.VIEW_AUDIT, city)
    return verify_chain(city=city)


# ---- a person's contact details, for an erasure request ----

_PHONE_DIGITS = 6  # fewer digits than this is not a phone number worth matching


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value or "")


@dataclass
class PersonMatch:
    """Where a person's contact details are held in one city: what a `forget_person` would erase.

    `values` are the details themselves (needed to find them; never written anywhere by the erasure).
    """

    city: City
    user: object | None
    values: set[str] = field(default_factory=set)
    user_fields: list[str] = field(default_factory=list)
    organisations: list[tuple[object, list[str]]] = field(default_factory=list)
    services: list[tuple[object, list[str]]] = field(default_factory=list)
    events: dict[int, list[AuditEvent]] = field(default_factory=dict)

    @property
    def event_count(self) -> int:
        return sum(len(v) for v in self.events.values())

    @property
    def empty(self) -> bool:
        return not (self.user_fields or self.organisations or self.services or self.event_count)


def _same(value: str, emails: set[str], phones: set[str], names: set[str]) -> bool:
    value = (value or "").strip()
    if not value:
        return False
    if value.lower() in emails or value.lower() in names:
        return True
    digits = _digits(value)
    return len(digits) >= _PHONE_DIGITS and digits in phones


def _pattern(values: set[str]) -> re.Pattern | None:
    """One regex finding any of the values as a whole value inside canonical JSON text (case-insensitive):
    'Focal point 1' must not match inside 'Focal point 12'."""
    alternatives = []
    for v in sorted(values, key=len, reverse=True):
        escaped = json.dumps(v, ensure_ascii=False)[1:-1]  # as the value is written inside a JSON string
        alternatives.append(re.escape(escaped))
    if not alternatives:
        return None
    return re.compile(r"(?<![\w.@+-])(?:" + "|".join(alternatives) + r")(?![\w@-]|\.\w)", re.IGNORECASE)


def find_person(city: City, *, username: str = "", email: str = "", phone: str = "", name: str = "") -> PersonMatch:
    """Every place of this city (and the installation's own log) that holds the person's contact details.

    The person is given by their account (`username`) and/or the details themselves. A focal point found by one
    detail brings the organisation's other focal-point details along: they are the same person's.
    """
    User = get_user_model()
    user = None
    if username:
        user = User.objects.filter(username__iexact=username.strip()).first()
        if user is None:
            raise ValidationError({"username": _("There is no account %(name)s.") % {"name": username}})
        in_city = (Membership.objects.filter(user=user, city=city).exists()
                   or user.organisations.filter(city=city).exists())
        if not in_city:
            raise ValidationError({"username": _("%(name)s has no role and no organisation in %(city)s; their "
                                                 "details are not this city's to erase.")
                                   % {"name": user.username, "city": city.name}})
    emails = {e.strip().lower() for e in [email, getattr(user, "email", "")] if e and e.strip()}
    names = {n.strip().lower() for n in [name, user.get_full_name() if user else ""] if n and n.strip()}
    phones = {_digits(phone)} if len(_digits(phone)) >= _PHONE_DIGITS else set()
    if not (user or emails or names or phones):
        raise ValidationError(_("Give the person's account, email, phone or name."))
    raw = {v.strip() for v in [email, phone, name] if v and v.strip()}
    if user is not None:
        raw |= {v for v in [user.email, user.first_name, user.last_name, user.get_full_name()] if v}

    from tamasuk.network.models import Organisation, Service

    match = PersonMatch(city=city, user=user)
    contact = ["focal_point_name", "focal_point_email", "focal_point_phone"]
    for org in Organisation.objects.filter(city=city).order_by("pk"):
        if any(_same(getattr(org, f), emails, phones, names) for f in contact):
            filled = [f for f in contact if getattr(org, f)]
            match.organisations.append((org, filled))
            raw |= {getattr(org, f) for f in filled}
    # The details found on the organisations are the person's too: look for them everywhere else as well.
    emails |= {v.lower() for v in raw if "@" in v}
    phones |= {_digits(v) for v in raw if len(_digits(v)) >= _PHONE_DIGITS}
    for service in Service.objects.filter(city=city).exclude(contact="").order_by("pk"):
        if _same(service.contact, emails, phones, set()):
            match.services.append((service, ["contact"]))
            raw.add(service.contact)
    if user is not None:
        match.user_fields = [f for f in ("first_name", "last_name", "email") if getattr(user, f)]
    match.values = {v.strip() for v in raw if v and v.strip()}
    match.events = _events_holding(match.values, [chain_of(city.pk), INSTALLATION_CHAIN])
    return match


def _events_holding(values: set[str], chains: list[int]) -> dict[int, list[AuditEvent]]:
    """Events of these chains whose intact payload holds any of the values as a whole JSON value or word."""
    pattern = _pattern(values)
    if pattern is None:
        return {}
    # The database narrows (case-insensitive substring), the pattern decides (whole values only).
    wanted = Q()
    for v in values:
        wanted |= Q(body__icontains=json.dumps(v, ensure_ascii=False)[1:-1])
    found: dict[int, list[AuditEvent]] = {}
    payloads = (AuditPayload.objects.filter(wanted, event__chain__in=chains, erased_by__isnull=True)
                .exclude(event__action=ERASE_ACTION).select_related("event").order_by("event__chain", "event__seq"))
    for payload in payloads.iterator(chunk_size=500):
        if pattern.search(payload.body):
            found.setdefault(payload.event.chain, []).append(payload.event)
    return found
