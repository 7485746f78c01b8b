"""Appending to the audit chain. Call `record` inside the transaction that makes the change."""

import datetime as dt
import json
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from .models import GENESIS_HASH, AuditEvent, AuditHead, canonical_json


def _json_safe(value):
    """Round-trip through JSON so what is hashed is exactly what a reader will decode."""
    return json.loads(json.dumps(value, default=_default, allow_nan=False))


def _default(value):
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if hasattr(value, "pk"):
        return value.pk
    return str(value)


def record(*, actor, action: str, obj=None, object_type: str = "", object_id="", city=None,
           before=None, after=None) -> AuditEvent:
    """Append one event to the chain. Must run inside the caller's transaction (atomic is required)."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record must run inside the transaction that makes the change")
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
    city_id = getattr(city, "pk", city)
    # select_for_update blocks concurrent appenders on PostgreSQL; SQLite's IMMEDIATE transactions already
    # hold the single write lock.
    head, _ = AuditHead.objects.select_for_update().get_or_create(id=1)
    event = AuditEvent(
        seq=head.seq + 1,
        created_at=timezone.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=getattr(actor, "username", "") or (actor if isinstance(actor, str) else "system"),
        city_id_ref=city_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=canonical_json(_json_safe(before)),
        after=canonical_json(_json_safe(after)),
        prev_hash=head.hash if head.seq else GENESIS_HASH,
    )
    event.hash = event.compute_hash()
    event.save(force_insert=True)
    AuditHead.objects.filter(id=1).update(seq=event.seq, hash=event.hash)
    return event


@dataclass(frozen=True)
class ChainStatus:
    ok: bool
    length: int
    head_hash: str
    broken_seq: int | None = None
    problem: str = ""


def verify_chain(*, batch: int = 2000, progress=None) -> ChainStatus:
    """Recompute every link; name the first broken one."""
    expected_prev, expected_seq, count = GENESIS_HASH, 1, 0
    last_id = None
    qs = AuditEvent.objects.order_by("seq")
    while True:
        page = list(qs.filter(seq__gt=last_id)[:batch] if last_id is not None else qs[:batch])
        if not page:
            break
        for event in page:
            if event.seq != expected_seq:
                problem = (f"event #{expected_seq} is missing (next stored is #{event.seq})"
                           if event.seq > expected_seq else f"sequence #{event.seq} appears out of order")
                return ChainStatus(False, count, expected_prev, expected_seq, problem)
            if event.prev_hash != expected_prev:
                return ChainStatus(False, count, expected_prev, event.seq,
                                   f"event #{event.seq} does not link to the previous event's hash")
            if event.compute_hash() != event.hash:
                return ChainStatus(False, count, expected_prev, event.seq,
                                   f"event #{event.seq} was altered after it was written (hash mismatch)")
            expected_prev, expected_seq, count = event.hash, expected_seq + 1, count + 1
        last_id = page[-1].seq
        if progress:
            progress(count)
    head = AuditHead.objects.filter(id=1).first()
    if head is not None and head.seq > count:
        return ChainStatus(False, count, expected_prev, count + 1,
                           f"the chain ends at #{count} but its recorded head is #{head.seq}: events were removed")
    if head is not None and head.seq < count:
        return ChainStatus(False, count, expected_prev, head.seq + 1,
                           f"events after #{head.seq}, the recorded head, were added behind the application's back")
    if head is not None and head.seq and head.hash != expected_prev:
        return ChainStatus(False, count, expected_prev, head.seq, "the recorded head hash does not match the last event")
    return ChainStatus(True, count, expected_prev)


