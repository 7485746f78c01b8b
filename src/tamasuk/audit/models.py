"""The tamper-evident audit log: one hash chain per city (and one for the installation itself).

An event is hashed over its fields and the SHA-256 *digest* of its payload (what changed: before and after),
not over the payload itself. The payload sits in its own row, so personal data in it can be erased on request:
the row's text is replaced by a marker, the digest in the chain stays, and the erasure is itself an event of
the same chain that lists which payloads it erased. Verification then tells an erased payload (its erasure
is on record) from an edited one (nobody recorded erasing it).
"""

import hashlib
import json

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

GENESIS_HASH = "0" * 64
# The chain of events that belong to no city (accounts created outside a city, operators' actions).
INSTALLATION_CHAIN = 0
# What an erased payload's text becomes. Valid JSON, so readers that decode payloads keep working.
ERASED = '"erased by request"'
ERASE_ACTION = "audit.erase"


def canonical_json(value) -> str:
    """The one serialisation every hash is computed over; anyone can redo it in a few lines."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def chain_of(city_id) -> int:
    return INSTALLATION_CHAIN if city_id is None else int(city_id)


class AuditEvent(models.Model):
    # Which chain the event is in: the city's id, or 0 for installation-level events. Derived from `city`
    # (which is hashed), kept as a column so a chain reads with one index and (chain, seq) can be unique.
    chain = models.BigIntegerField(_("chain"), default=INSTALLATION_CHAIN)
    # The position in its chain is explicit (not the row id) so a deleted or inserted row leaves a visible gap.
    seq = models.BigIntegerField(_("sequence"))
    created_at = models.DateTimeField(_("time"))
    # No database constraint and no cascade: deleting a user must not try to UPDATE append-only rows.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False,
        related_name="+",
    )
    # The username is kept as text so the record survives the user's deletion unchanged.
    actor_label = models.CharField(_("actor"), max_length=150, blank=True)
    city_id_ref = models.BigIntegerField(_("city"), null=True, blank=True, db_index=True)
    action = models.CharField(_("action"), max_length=64)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=64)
    # SHA-256 of the payload row's text as written. The chain holds this, never the payload.
    payload_digest = models.CharField(_("payload digest"), max_length=64)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]
        constraints = [models.UniqueConstraint(fields=["chain", "seq"], name="audit_one_seq_per_chain")]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"{self.chain}#{self.seq} {self.action} {self.object_type}:{self.object_id}"

    def hashed_fields(self) -> dict:
        return {
            "seq": self.seq,
            "time": self.created_at.isoformat(timespec="microseconds"),
            "actor": self.actor_label,
            "city": self.city_id_ref,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "payload_digest": self.payload_digest,
            "prev_hash": self.prev_hash,
        }

    def compute_hash(self) -> str:
        return sha256_hex(canonical_json(self.hashed_fields()))

    # ---- the payload, read through its row ----

    def _payload_value(self) -> dict | None:
        try:
            body = self.payload.body
        except AuditPayload.DoesNotExist:
            return None
        return None if body == ERASED else json.loads(body)

    @property
    def is_erased(self) -> bool:
        try:
            return self.payload.erased_by is not None
        except AuditPayload.DoesNotExist:
            return False

    @property
    def before_value(self):
        return (self._payload_value() or {}).get("before")

    @property
    def after_value(self):
        return (self._payload_value() or {}).get("after")

    # The payload halves as JSON text, as they were stored before payloads had rows of their own.
    @property
    def before(self) -> str:
        return canonical_json(self.before_value)

    @property
    def after(self) -> str:
        return canonical_json(self.after_value)


class AuditPayload(models.Model):
    """What an event changed, `{"after": …, "before": …}` as canonical JSON. Erasable; never otherwise changed.

    The database refuses DELETE and every UPDATE except the one erasure: text → ERASED with `erased_by` set,
    once.
    """

    event = models.OneToOneField(AuditEvent, primary_key=True, on_delete=models.DO_NOTHING,
                                 related_name="payload")
    body = models.TextField()
    # The seq (in the same chain) of the erasure event that erased it; null while intact.
    erased_by = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("audit payload")
        verbose_name_plural = _("audit payloads")

    def __str__(self) -> str:
        return f"payload of {self.event_id}{' (erased)' if self.erased_by else ''}"


class AuditHead(models.Model):
    """A chain's last link, one row per chain. Locking it serialises appends to that chain only, so cities
    never queue behind each other; comparing it with the last event catches a cut tail."""

    chain = models.BigIntegerField(primary_key=True)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self) -> str:
        return f"chain {self.chain} head #{self.seq} {self.hash[:12]}"
