"""Writing to the audit chains: appending (call `record` inside the transaction that makes the change), erasing
payloads, forgetting a person. Verifying a chain is a read (queries)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .erasure import erasers
from .models import (
    ERASE_ACTION,
    ERASED,
    GENESIS_HASH,
    INSTALLATION_CHAIN,
    AuditEvent,
    AuditHead,
    AuditPayload,
    canonical_json,
    chain_of,
    sha256_hex,
)
from .queries import find_person


def _json_safe(value):
    """Round-trip through JSON so what is hashed is exactly what a reader will decode."""
    return json.loads(json.dumps(value, default=_default, allow_nan=False))


def _default(value):
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if hasattr(value, "pk"):
        return value.pk
    return str(value)


def payload_text(before, after) -> str:
    return canonical_json({"before": _json_safe(before), "after": _json_safe(after)})


def lock_head(chain: int) -> AuditHead:
    """The chain's head row, locked until the transaction ends (created on the chain's first event)."""
    # Inserting with ignore_conflicts never fails when two first events of a new city race: the loser's
    # insert waits for the winner and then does nothing. select_for_update then queues appenders of this
    # chain only, on PostgreSQL; SQLite's IMMEDIATE transactions already hold the single write lock.
    head = AuditHead.objects.select_for_update().filter(chain=chain).first()
    if head is None:
        AuditHead.objects.bulk_create([AuditHead(chain=chain)], ignore_conflicts=True)
        head = AuditHead.objects.select_for_update().get(chain=chain)
    return head


def record(*, actor, action: str, obj=None, object_type: str = "", object_id="", city=None,
           before=None, after=None) -> AuditEvent:
    """Append one event to its city's chain. Must run inside the caller's transaction (atomic is required).

    Payloads must not carry people's contact details: they are never needed to prove what happened (a
    service writes a digest or a flag instead). Payloads remain erasable anyway (`erase_payloads`).
    """
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record must run inside the transaction that makes the change")
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
    city_id = getattr(city, "pk", city)
    chain = chain_of(city_id)
    head = lock_head(chain)
    body = payload_text(before, after)
    event = AuditEvent(
        chain=chain,
        seq=head.seq + 1,
        created_at=timezone.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=getattr(actor, "username", "") or (actor if isinstance(actor, str) else "system"),
        city_id_ref=city_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        payload_digest=sha256_hex(body),
        prev_hash=head.hash if head.seq else GENESIS_HASH,
    )
    event.hash = event.compute_hash()
    event.save(force_insert=True)
    event.payload = AuditPayload.objects.create(event=event, body=body)
    AuditHead.objects.filter(chain=chain).update(seq=event.seq, hash=event.hash)
    return event


def erase_payloads(*, actor, chain: int, events: list[AuditEvent], reason: str, details: dict | None = None,
                   always: bool = False) -> AuditEvent | None:
    """Erase the payloads of `events` (all of `chain`) and record the erasure in that chain.

    The erasure event says who, why and which events' payloads (by seq) — never what was erased. Runs in the
    caller's transaction. Events already erased are skipped; with nothing left to erase, nothing is recorded
    unless `always` (the request also blanked live records, and says so in `details`).
    """
    if not connection.in_atomic_block:
        raise RuntimeError("audit.erase_payloads must run inside the transaction that makes the change")
    if any(e.chain != chain for e in events):
        raise ValueError("every erased event must be in the chain the erasure is recorded in")
    seqs = sorted(AuditPayload.objects.filter(event__in=[e.pk for e in events], erased_by__isnull=True)
                  .values_list("event__seq", flat=True))
    if not seqs and not always:
        return None
    erasure = record(actor=actor, action=ERASE_ACTION, object_type="audit.chain", object_id=chain,
                     city=None if chain == INSTALLATION_CHAIN else chain,
                     after={"reason": reason, "erased": seqs, **(details or {})})
    # The one UPDATE the payload table's triggers let through: intact text → the marker, with the erasure's seq.
    AuditPayload.objects.filter(event__chain=chain, event__seq__in=seqs, erased_by__isnull=True).update(
        body=ERASED, erased_by=erasure.seq)
    return erasure


# ---- erasure requests ----

@dataclass(frozen=True)
class ErasureResult:
    erasures: list[AuditEvent]
    payloads: int
    records: list[dict]


@transaction.atomic
def forget_person(*, actor, city, reason: str, username: str = "", email: str = "", phone: str = "",
                  name: str = "") -> ErasureResult:
    """Erase a person's contact details from this city: blank them in live records (focal points of
    organisations, services' contacts, the account's name and email) and erase every audit payload of the
    city's chain, and of the installation's, that holds them — all in one transaction with the erasure events.

    The records are those the apps registered (audit.erasure). The erasure events record who asked, why, which
    payloads (by seq) and which records' fields were blanked, never the values. The caller checks that `actor`
    may (Action.ERASE_PERSONAL_DATA).
    """
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": _("Say why the details are erased (for example, the person's request "
                                           "of a given date).")})
    # Found again inside the transaction, so what is erased is what is there now, not what a preview showed.
    match = find_person(city, username=username, email=email, phone=phone, name=name)
    records = []
    for holding in match.holdings:
        holding.blank()
        records.append({"object_type": holding.object_type, "object_id": str(holding.obj.pk),
                        "fields": holding.fields})
    if match.user is not None and match.user_fields:
        get_user_model().objects.filter(pk=match.user.pk).update(**{f: "" for f in match.user_fields})
        records.append({"object_type": match.user._meta.label_lower, "object_id": str(match.user.pk),
                        "fields": match.user_fields})
    if records or match.event_count:
        # Kept copies (review-report PDFs) may print what was just blanked: each app drops its own.
        for eraser in erasers():
            eraser.forget(city)
    erasures = []
    city_chain = chain_of(city.pk)
    # The city's chain always records the request when anything was found, live records included.
    for chain in sorted({city_chain, *match.events}, key=lambda c: c != city_chain):
        events = match.events.get(chain, [])
        if chain != city_chain and not events:
            continue
        if chain == city_chain and not (events or records):
            continue
        erasure = erase_payloads(actor=actor, chain=chain, events=events, reason=reason, always=chain == city_chain,
                                 details={"city": city.slug, "records": records if chain == city_chain else []})
        if erasure is not None:
            erasures.append(erasure)
    return ErasureResult(erasures=erasures, payloads=match.event_count, records=records)
