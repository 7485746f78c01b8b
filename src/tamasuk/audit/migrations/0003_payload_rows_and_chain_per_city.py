"""Payloads in rows of their own (erasable), the chain hashing their digests, and one chain per city.

What it does to an existing log, in one transaction:
1. verifies the old single chain (refuses to go on if it is broken, unless TAMASUK_AUDIT_RECHAIN_BROKEN=1:
   re-chaining a tampered log would hide the tampering);
2. moves every event's before/after into an AuditPayload row (`{"after": …, "before": …}` as canonical JSON);
3. re-chains: the events of each city, in their old order, become that city's chain #1, #2, … (events without a
   city the installation's chain, 0), each hashed over its payload's digest;
4. appends to every re-chained chain one `audit.rechain` event recording the old chain's head and whether it
   verified, so the new chains vouch for the old one;
5. reinstalls the append-only triggers, and adds those of the payload rows (only the erasure may change them).

The hashing is copied here rather than imported, so the migration keeps doing what it did when models change.
"""

import datetime as dt
import hashlib
import json
import os

import django.db.models.deletion
from django.db import migrations, models

GENESIS = "0" * 64
ERASED = '"erased by request"'
_OLD: dict = {}


def _canonical(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _time(value: dt.datetime) -> str:
    return value.isoformat(timespec="microseconds")


# ---- triggers ----

EVENT_TRIGGERS = {
    "sqlite": (
        ["""CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON audit_auditevent
            BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
         """CREATE TRIGGER IF NOT EXISTS audit_event_no_delete BEFORE DELETE ON audit_auditevent
            BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END"""],
        ["DROP TRIGGER IF EXISTS audit_event_no_update", "DROP TRIGGER IF EXISTS audit_event_no_delete"],
    ),
    "postgresql": (
        ["""CREATE OR REPLACE FUNCTION audit_event_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'audit events are append-only'; END $$""",
         """CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_auditevent
            FOR EACH ROW EXECUTE FUNCTION audit_event_refuse()""",
         """CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_auditevent
            FOR EACH STATEMENT EXECUTE FUNCTION audit_event_refuse()"""],
        ["DROP TRIGGER IF EXISTS audit_event_no_change ON audit_auditevent",
         "DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_auditevent"],
    ),
}

# The one change a payload row may undergo: intact → the marker, naming an erasure event of the same chain
# (and never the erasure's own payload, which proves what was erased).
_ERASURE_ALLOWED = f"""OLD.erased_by IS NULL AND NEW.erased_by IS NOT NULL AND NEW.body = '{ERASED}'
    AND NEW.event_id = OLD.event_id
    AND EXISTS (SELECT 1 FROM audit_auditevent e, audit_auditevent x
                WHERE e.id = OLD.event_id AND e.action <> 'audit.erase'
                  AND x.chain = e.chain AND x.seq = NEW.erased_by AND x.action = 'audit.erase')"""

PAYLOAD_TRIGGERS = {
    "sqlite": (
        ["""CREATE TRIGGER IF NOT EXISTS audit_payload_no_delete BEFORE DELETE ON audit_auditpayload
            BEGIN SELECT RAISE(ABORT, 'audit payloads are only ever erased by request'); END""",
         f"""CREATE TRIGGER IF NOT EXISTS audit_payload_only_erasure BEFORE UPDATE ON audit_auditpayload
            WHEN NOT ({_ERASURE_ALLOWED})
            BEGIN SELECT RAISE(ABORT, 'audit payloads are only ever erased by request'); END"""],
        ["DROP TRIGGER IF EXISTS audit_payload_no_delete", "DROP TRIGGER IF EXISTS audit_payload_only_erasure"],
    ),
    "postgresql": (
        [f"""CREATE OR REPLACE FUNCTION audit_payload_guard() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF TG_OP = 'UPDATE' AND {_ERASURE_ALLOWED} THEN RETURN NEW; END IF;
              RAISE EXCEPTION 'audit payloads are only ever erased by request';
            END $$""",
         """CREATE TRIGGER audit_payload_guard BEFORE UPDATE OR DELETE ON audit_auditpayload
            FOR EACH ROW EXECUTE FUNCTION audit_payload_guard()""",
         """CREATE TRIGGER audit_payload_no_truncate BEFORE TRUNCATE ON audit_auditpayload
            FOR EACH STATEMENT EXECUTE FUNCTION audit_payload_guard()"""],
        ["DROP TRIGGER IF EXISTS audit_payload_guard ON audit_auditpayload",
         "DROP TRIGGER IF EXISTS audit_payload_no_truncate ON audit_auditpayload",
         "DROP FUNCTION IF EXISTS audit_payload_guard()"],
    ),
}


def _triggers(table: dict, vendor: str, install: bool) -> list[str]:
    if vendor not in table:
        raise RuntimeError(f"no append-only triggers written for {vendor}; add them before using it")
    return table[vendor][0 if install else 1]


# ---- 1. verify the old chain, take the triggers off ----

def _old_fields(e) -> dict:
    return {"seq": e.seq, "time": _time(e.created_at), "actor": e.actor_label, "city": e.city_id_ref,
            "action": e.action, "object_type": e.object_type, "object_id": e.object_id, "before": e.before,
            "after": e.after, "prev_hash": e.prev_hash}


def verify_old_chain(apps, schema_editor):
    Event, Head = apps.get_model("audit", "AuditEvent"), apps.get_model("audit", "AuditHead")
    prev, n, problem = GENESIS, 0, ""
    for e in Event.objects.order_by("seq").iterator(chunk_size=2000):
        n += 1
        if e.seq != n:
            problem = f"event #{n} is missing"
        elif e.prev_hash != prev:
            problem = f"event #{e.seq} does not link to the previous event"
        elif _sha(_canonical(_old_fields(e))) != e.hash:
            problem = f"event #{e.seq} was altered"
        if problem:
            break
        prev = e.hash
    head = Head.objects.filter(id=1).first()
    head_seq, head_hash = (head.seq, head.hash) if head is not None else (0, GENESIS)
    if not problem and (head_seq, head_hash if head_seq else GENESIS) != (n, prev):
        problem = f"the old chain ends at #{n} but its head is #{head_seq}"
    _OLD.clear()
    _OLD.update(seq=head_seq, hash=head_hash, events=n if not problem else None, ok=not problem, problem=problem)
    if problem and os.environ.get("TAMASUK_AUDIT_RECHAIN_BROKEN") != "1":
        raise RuntimeError(
            f"The audit chain is broken ({problem}); re-chaining it would hide that. Investigate with "
            f"`tamasuk audit verify` on the previous version, or set TAMASUK_AUDIT_RECHAIN_BROKEN=1 to re-chain "
            f"anyway (the break is then recorded in every new chain's audit.rechain event).")
    for sql in _triggers(EVENT_TRIGGERS, schema_editor.connection.vendor, False):
        schema_editor.execute(sql)


# ---- 2–4. payload rows, one chain per city ----

def _new_fields(e) -> dict:
    return {"seq": e.seq, "time": _time(e.created_at), "actor": e.actor_label, "city": e.city_id_ref,
            "action": e.action, "object_type": e.object_type, "object_id": e.object_id,
            "payload_digest": e.payload_digest, "prev_hash": e.prev_hash}


def _rechain_one(e, heads, batch, payloads, Payload):
    body = _canonical({"before": json.loads(e.before), "after": json.loads(e.after)})
    chain = 0 if e.city_id_ref is None else e.city_id_ref
    seq, prev = heads.get(chain, (0, GENESIS))
    e.chain, e.seq, e.payload_digest, e.prev_hash = chain, seq + 1, _sha(body), prev
    e.hash = _sha(_canonical(_new_fields(e)))
    heads[chain] = (e.seq, e.hash)
    batch.append(e)
    payloads.append(Payload(event_id=e.pk, body=body))


def rechain(apps, schema_editor):
    Event, Payload, Head = (apps.get_model("audit", m) for m in ("AuditEvent", "AuditPayload", "AuditHead"))
    if schema_editor.connection.vendor == "postgresql":
        # Foreign-key checks now, not at commit: the table is altered again in this transaction.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    heads: dict[int, tuple[int, str]] = {}
    batch, payloads = [], []

    def flush():
        if not batch:
            return
        Event.objects.bulk_update(batch, ["chain", "seq", "payload_digest", "prev_hash", "hash"])
        Payload.objects.bulk_create(payloads)
        batch.clear()
        payloads.clear()

    # Seqs are renumbered in place, so the old order is read first (ids only) and rows are fetched by id.
    order = list(Event.objects.order_by("seq").values_list("id", flat=True))
    for start in range(0, len(order), 1000):
        rows = Event.objects.in_bulk(order[start:start + 1000])
        for pk in order[start:start + 1000]:
            _rechain_one(rows[pk], heads, batch, payloads, Payload)
        flush()

    now = dt.datetime.now(dt.UTC)
    for chain, (seq, prev) in sorted(heads.items()):
        body = _canonical({"before": None, "after": {
            "old_chain": {"head_seq": _OLD.get("seq"), "head_hash": _OLD.get("hash"), "verified": _OLD.get("ok"),
                          "problem": _OLD.get("problem", "")},
            "events_moved": seq,
            "how": "this chain's events #1.." + str(seq) + " are the old chain's events of this city, in their "
                   "old order, with before/after moved to payload rows hashed as payload_digest"}})
        e = Event(chain=chain, seq=seq + 1, created_at=now, actor_label="migration",
                  city_id_ref=None if chain == 0 else chain, action="audit.rechain", object_type="audit.chain",
                  object_id=str(chain), payload_digest=_sha(body), prev_hash=prev)
        e.hash = _sha(_canonical(_new_fields(e)))
        e.save(force_insert=True)
        Payload.objects.create(event=e, body=body)
        heads[chain] = (e.seq, e.hash)
    Head.objects.bulk_create([Head(chain=c, seq=s, hash=h) for c, (s, h) in heads.items()])


# ---- 5. guards back on ----

def install_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in _triggers(EVENT_TRIGGERS, vendor, True) + _triggers(PAYLOAD_TRIGGERS, vendor, True):
        schema_editor.execute(sql)


# ---- going back: only an empty log (a fresh installation, tests); a written one is never un-chained ----

def remove_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in _triggers(PAYLOAD_TRIGGERS, vendor, False) + _triggers(EVENT_TRIGGERS, vendor, False):
        schema_editor.execute(sql)


def refuse_unchaining(apps, schema_editor):
    if apps.get_model("audit", "AuditEvent").objects.exists():
        raise RuntimeError("The audit log holds events: it cannot go back to the single chain without "
                           "rewriting them.")


def reinstall_old_triggers(apps, schema_editor):
    for sql in _triggers(EVENT_TRIGGERS, schema_editor.connection.vendor, True):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_triggers")]

    operations = [
        migrations.RunPython(verify_old_chain, reinstall_old_triggers),
        migrations.DeleteModel(name="AuditHead"),
        migrations.CreateModel(
            name="AuditHead",
            fields=[
                ("chain", models.BigIntegerField(primary_key=True, serialize=False)),
                ("seq", models.BigIntegerField(default=0)),
                ("hash", models.CharField(default=GENESIS, max_length=64)),
            ],
        ),
        migrations.AddField(model_name="auditevent", name="chain",
                            field=models.BigIntegerField(default=0, verbose_name="chain")),
        migrations.AddField(model_name="auditevent", name="payload_digest",
                            field=models.CharField(default="", max_length=64, verbose_name="payload digest"),
                            preserve_default=False),
        migrations.AlterField(model_name="auditevent", name="seq",
                              field=models.BigIntegerField(verbose_name="sequence")),
        migrations.CreateModel(
            name="AuditPayload",
            fields=[
                ("event", models.OneToOneField(on_delete=django.db.models.deletion.DO_NOTHING, primary_key=True,
                                               related_name="payload", serialize=False, to="audit.auditevent")),
                ("body", models.TextField()),
                ("erased_by", models.BigIntegerField(blank=True, null=True)),
            ],
            options={"verbose_name": "audit payload", "verbose_name_plural": "audit payloads"},
        ),
        migrations.RunPython(rechain, refuse_unchaining),
        migrations.RemoveField(model_name="auditevent", name="before"),
        migrations.RemoveField(model_name="auditevent", name="after"),
        migrations.AlterModelOptions(
            name="auditevent",
            options={"ordering": ["-id"], "verbose_name": "audit event", "verbose_name_plural": "audit events"},
        ),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.UniqueConstraint(fields=("chain", "seq"), name="audit_one_seq_per_chain"),
        ),
        migrations.RunPython(install_triggers, remove_triggers),
    ]
