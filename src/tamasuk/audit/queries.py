"""Reads of the audit log: a city's events, the chains' state (verification), and where a person's contact
details are. No permission check here: the log knows no city rules; the pages and commands that show it check
(Action.VIEW_AUDIT, Action.ERASE_PERSONAL_DATA)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from .erasure import PHONE_DIGITS, Holding, Person, digits, erasers
from .models import (
    ERASE_ACTION,
    ERASED,
    GENESIS_HASH,
    INSTALLATION_CHAIN,
    AuditEvent,
    AuditHead,
    AuditPayload,
    chain_of,
    sha256_hex,
)


def city_events(city, *, object_type: str = "", object_id: str = "") -> QuerySet[AuditEvent]:
    """The city's chain, newest first, with payloads (one query per page)."""
    events = AuditEvent.objects.filter(chain=chain_of(city.pk)).select_related("payload")
    if object_type:
        events = events.filter(object_type=object_type)
    if object_id:
        events = events.filter(object_id=object_id)
    return events.order_by("-seq")


def last_change(obj, *, action: str = "") -> AuditEvent | None:
    """The object's latest event (of ``action`` only, when given): who changed it last, when, and what. A
    stale edit shows it ("someone changed this since you opened it"); None when the log holds no event of it."""
    events = AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
    if action:
        events = events.filter(action=action)
    return events.order_by("-seq").first()


def object_types(city) -> QuerySet:
    return (AuditEvent.objects.filter(chain=chain_of(city.pk)).values_list("object_type", flat=True).distinct()
            .order_by("object_type"))


def chain_status(city) -> ChainStatus:
    return verify_chain(city=city)


# ---- verification ----

@dataclass(frozen=True)
class ChainStatus:
    ok: bool
    length: int
    head_hash: str
    broken_seq: int | None = None
    problem: str = ""
    erased: int = 0
    chain: int = INSTALLATION_CHAIN


def _erasure_covers(chain: int, seq: int, erased_by: int, cache: dict) -> bool:
    """Whether event `erased_by` of the chain is an erasure that lists `seq`. The erasure event itself is
    checked (hash and link) when the verifying loop reaches it, which it always does: it comes later in the
    same chain."""
    if erased_by <= seq:
        return False
    if erased_by not in cache:
        erasure = (AuditEvent.objects.filter(chain=chain, seq=erased_by, action=ERASE_ACTION)
                   .select_related("payload").first())
        listed = set()
        if erasure is not None:
            try:
                body = erasure.payload.body
            except AuditPayload.DoesNotExist:
                body = ""
            if body != ERASED and sha256_hex(body) == erasure.payload_digest:
                listed = set((json.loads(body).get("after") or {}).get("erased") or [])
        cache[erased_by] = listed
    return seq in cache[erased_by]


def verify_chain(*, city=None, chain: int | None = None, batch: int = 2000, progress=None) -> ChainStatus:
    """Recompute every link and payload digest of one chain (the city's, or `chain`); name the first broken one.

    A payload that no longer matches its digest passes only when it holds the erasure marker and a later
    erasure event of the same chain lists it.
    """
    if chain is None:
        chain = chain_of(getattr(city, "pk", city))
    expected_prev, expected_seq, count, erased = GENESIS_HASH, 1, 0, 0
    erasures: dict[int, set] = {}
    last_seq = 0
    qs = AuditEvent.objects.filter(chain=chain).select_related("payload").order_by("seq")

    def broken(seq, problem):
        return ChainStatus(False, count, expected_prev, seq, problem, erased, chain)

    while True:
        page = list(qs.filter(seq__gt=last_seq)[:batch])
        if not page:
            break
        for event in page:
            if event.seq != expected_seq:
                return broken(expected_seq, f"event #{expected_seq} is missing (next stored is #{event.seq})"
                              if event.seq > expected_seq else f"sequence #{event.seq} appears out of order")
            if event.prev_hash != expected_prev:
                return broken(event.seq, f"event #{event.seq} does not link to the previous event's hash")
            if event.compute_hash() != event.hash or chain_of(event.city_id_ref) != chain:
                return broken(event.seq, f"event #{event.seq} was altered after it was written (hash mismatch)")
            try:
                payload = event.payload
            except AuditPayload.DoesNotExist:
                return broken(event.seq, f"the payload of event #{event.seq} is missing")
            if sha256_hex(payload.body) != event.payload_digest:
                if not (payload.body == ERASED and payload.erased_by is not None
                        and _erasure_covers(chain, event.seq, payload.erased_by, erasures)):
                    return broken(event.seq, f"the payload of event #{event.seq} was altered "
                                             f"(it does not match its digest and no erasure request lists it)")
                erased += 1
            expected_prev, expected_seq, count = event.hash, expected_seq + 1, count + 1
        last_seq = page[-1].seq
        if progress:
            progress(count)
    head = AuditHead.objects.filter(chain=chain).first()
    head_seq = head.seq if head is not None else 0
    if head_seq > count:
        return broken(count + 1, f"the chain ends at #{count} but its recorded head is #{head_seq}: "
                                 f"events were removed")
    if head_seq < count:
        return broken(head_seq + 1, f"events after #{head_seq}, the recorded head, were added behind the "
                                    f"application's back")
    if head_seq and head.hash != expected_prev:
        return broken(head_seq, "the recorded head hash does not match the last event")
    return ChainStatus(True, count, expected_prev, erased=erased, chain=chain)


def chains() -> list[int]:
    """Every chain with a head or an event (a chain whose head row was deleted still shows up)."""
    found = set(AuditHead.objects.values_list("chain", flat=True))
    found |= set(AuditEvent.objects.values_list("chain", flat=True).distinct())
    return sorted(found)


def verify_all(*, progress=None) -> list[ChainStatus]:
    """Every chain of the installation, each verified on its own."""
    return [verify_chain(chain=c, progress=progress) for c in chains()]


# ---- a person's contact details, for an erasure request ----

@dataclass
class PersonMatch:
    """Where a person's contact details are held in one city: what a `forget_person` would erase.

    `values` are the details themselves (needed to find them; never written anywhere by the erasure).
    `holdings` are the apps' records that hold them (audit.erasure: each app registers what it holds).
    """

    city: object
    user: object | None
    values: set[str] = field(default_factory=set)
    user_fields: list[str] = field(default_factory=list)
    holdings: list[Holding] = field(default_factory=list)
    events: dict[int, list[AuditEvent]] = field(default_factory=dict)

    @property
    def event_count(self) -> int:
        return sum(len(v) for v in self.events.values())

    @property
    def empty(self) -> bool:
        return not (self.user_fields or self.holdings or self.event_count)


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


def find_person(city, *, username: str = "", email: str = "", phone: str = "", name: str = "") -> PersonMatch:
    """Every place of this city (and the installation's own log) that holds the person's contact details.

    The person is given by their account (`username`) and/or the details themselves. A record found by one
    detail brings its other details along (a focal point's phone brings their email): they are the same
    person's, and the apps registered after it look for them too.
    """
    User = get_user_model()
    user = None
    if username:
        user = User.objects.filter(username__iexact=username.strip()).first()
        if user is None:
            raise ValidationError({"username": _("There is no account %(name)s.") % {"name": username}})
        if not any(eraser.has_account(user, city) for eraser in erasers()):
            raise ValidationError({"username": _("%(name)s has no role and no organisation in %(city)s; their "
                                                 "details are not this city's to erase.")
                                   % {"name": user.username, "city": city.name}})
    person = Person(
        emails={e.strip().lower() for e in [email, getattr(user, "email", "")] if e and e.strip()},
        names={n.strip().lower() for n in [name, user.get_full_name() if user else ""] if n and n.strip()},
        phones={digits(phone)} if len(digits(phone)) >= PHONE_DIGITS else set(),
    )
    if not (user or person.emails or person.names or person.phones):
        raise ValidationError(_("Give the person's account, email, phone or name."))
    person.values = {v.strip() for v in [email, phone, name] if v and v.strip()}
    if user is not None:
        person.values |= {v for v in [user.email, user.first_name, user.last_name, user.get_full_name()] if v}

    match = PersonMatch(city=city, user=user)
    for eraser in erasers():
        found = eraser.find(city, person)
        match.holdings += found
        person.learn({getattr(h.obj, f) for h in found for f in h.fields})
    if user is not None:
        match.user_fields = [f for f in ("first_name", "last_name", "email") if getattr(user, f)]
    match.values = {v.strip() for v in person.values if v and v.strip()}
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
