"""The tamper-evident audit log: one hash chain over every change."""

import hashlib
import json

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

GENESIS_HASH = "0" * 64


def canonical_json(value) -> str:
    """The one serialisation every hash is computed over; anyone can redo it in a few lines."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


class AuditEvent(models.Model):
    # The chain position is explicit (not the row id) so a deleted or inserted row leaves a visible gap.
    seq = models.BigIntegerField(_("sequence"), unique=True)
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
    # Stored as canonical JSON text, not a JSON column: PostgreSQL's jsonb would rewrite numbers and
    # key order, and the hash must be recomputable from exactly what is stored.
    before = models.TextField(_("before"), default="null")
    after = models.TextField(_("after"), default="null")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-seq"]
        indexes = [models.Index(fields=["object_type", "object_id"])]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"

    def hashed_fields(self) -> dict:
        return {
            "seq": self.seq,
            "time": self.created_at.isoformat(timespec="microseconds"),
            "actor": self.actor_label,
            "city": self.city_id_ref,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "before": self.before,
            "after": self.after,
            "prev_hash": self.prev_hash,
        }

    def compute_hash(self) -> str:
        return hashlib.sha256(canonical_json(self.hashed_fields()).encode("utf-8")).hexdigest()

    @property
    def before_value(self):
        return json.loads(self.before)

    @property
    def after_value(self):
        return json.loads(self.after)


class AuditHead(models.Model):
    """The chain's last link, one row. Locking it serialises appends; comparing it catches a cut tail."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self) -> str:
        return f"head #{self.seq} {self.hash[:12]}"
