"""Signed checkpoints of the audit chains (issue 17, item 6): a log removed whole, cut at the tail or rewritten
and re-hashed verifies as "intact" on its own, but not against a checkpoint made before; and SQLite refuses
`INSERT OR REPLACE` of an event or a payload, as PostgreSQL refuses `ON CONFLICT DO UPDATE`."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import override_settings

from tamasuk.audit import checkpoints
from tamasuk.audit.models import AuditEvent, AuditHead
from tamasuk.audit.queries import verify_chain
from test_audit import _disable_guards


def _rewind(city, *, keep: int) -> None:
    """Remove the chain's events after #keep and point its head at #keep, as someone with the database's keys
    could (keep=0: the whole log)."""
    doomed = list(AuditEvent.objects.filter(chain=city.pk, seq__gt=keep).values_list("pk", flat=True))
    kept = AuditEvent.objects.filter(chain=city.pk, seq=keep).first()
    with connection.cursor() as c:
        _disable_guards(c)
        ids = ",".join(map(str, doomed))
        c.execute(f"DELETE FROM audit_auditpayload WHERE event_id IN ({ids})")
        c.execute(f"DELETE FROM audit_auditevent WHERE id IN ({ids})")
    AuditHead.objects.filter(chain=city.pk).update(seq=keep, hash=kept.hash if kept else "0" * 64)


def _findings(checkpoint: dict, city) -> list[str]:
    return [f.message for f in checkpoints.check(checkpoint) if f.chain == city.pk and not f.ok]


@pytest.mark.parametrize("keep", [0, 100])
def test_a_removed_log_or_a_cut_tail_reads_intact_alone_but_not_against_a_checkpoint(db, city, keep):
    saved = checkpoints.read(checkpoints.dumps(checkpoints.make()))
    _rewind(city, keep=keep)
    alone = verify_chain(city=city)
    assert alone.ok and alone.length == keep  # what a plain `audit verify` says
    [problem] = _findings(saved, city)
    assert "was cut" in problem and f"{keep} now" in problem


def test_a_rewritten_and_rehashed_chain_is_caught_against_a_checkpoint(db, city):
    saved = checkpoints.read(checkpoints.dumps(checkpoints.make()))
    events = list(AuditEvent.objects.filter(chain=city.pk).order_by("seq"))
    with connection.cursor() as c:
        _disable_guards(c)
        prev = events[9].prev_hash
        for event in events[9:]:  # from #10 on: another actor, every hash redone, the head moved along
            event.prev_hash = prev
            if event.seq == 10:
                event.actor_label = "someone-else"
            event.hash = event.compute_hash()
            c.execute("UPDATE audit_auditevent SET actor_label = %s, prev_hash = %s, hash = %s WHERE id = %s",
                      [event.actor_label, event.prev_hash, "tmp-" + str(event.pk), event.pk])
            prev = event.hash
        for event in events[9:]:
            c.execute("UPDATE audit_auditevent SET hash = %s WHERE id = %s", [event.hash, event.pk])
    AuditHead.objects.filter(chain=city.pk).update(hash=prev)
    assert verify_chain(city=city).ok  # the chain alone cannot tell
    [problem] = _findings(saved, city)
    assert "was rewritten" in problem


def test_events_added_after_the_checkpoint_are_fine(db, city, users):
    from tamasuk.audit.services import record

    saved = checkpoints.read(checkpoints.dumps(checkpoints.make()))
    with transaction.atomic():
        record(actor=users["coordinator"], action="test.later", object_type="test", object_id=1, city=city)
    [mine] = [f for f in checkpoints.check(saved) if f.chain == city.pk]
    assert mine.ok and "1 added since" in mine.message


def test_a_checkpoint_edited_in_clear_or_signed_elsewhere_is_refused(db):
    text = checkpoints.dumps(checkpoints.make())
    edited = json.loads(text)
    edited["chains"][0]["length"] = 0  # the clear part is for people; only the signed part counts
    assert checkpoints.read(json.dumps(edited)) == checkpoints.read(text)
    edited["signature"] = edited["signature"][:-2] + ("AA" if not edited["signature"].endswith("AA") else "BB")
    with pytest.raises(checkpoints.CheckpointError, match="signature"):
        checkpoints.read(json.dumps(edited))
    with override_settings(SECRET_KEY="another installation's key" * 2), \
            pytest.raises(checkpoints.CheckpointError, match="another installation"):
        checkpoints.read(text)
    with pytest.raises(checkpoints.CheckpointError, match="not a Tamasuk audit checkpoint"):
        checkpoints.read("{}")


def test_insert_or_replace_of_an_event_or_a_payload_is_refused(db, city):
    event = AuditEvent.objects.filter(chain=city.pk, seq=5).select_related("payload").get()
    if connection.vendor == "sqlite":
        replace_event = ("INSERT OR REPLACE INTO audit_auditevent (id, chain, seq, created_at, actor_label, "
                         "city_id_ref, action, object_type, object_id, payload_digest, prev_hash, hash) "
                         "VALUES (%s, %s, %s, %s, 'x', %s, 'x', 'x', 'x', %s, %s, %s)")
        replace_payload = "INSERT OR REPLACE INTO audit_auditpayload (event_id, body) VALUES (%s, 'null')"
    else:
        replace_event = ("INSERT INTO audit_auditevent (id, chain, seq, created_at, actor_label, city_id_ref, "
                         "action, object_type, object_id, payload_digest, prev_hash, hash) "
                         "VALUES (%s, %s, %s, %s, 'x', %s, 'x', 'x', 'x', %s, %s, %s) "
                         "ON CONFLICT (id) DO UPDATE SET actor_label = 'x'")
        replace_payload = ("INSERT INTO audit_auditpayload (event_id, body) VALUES (%s, 'null') "
                           "ON CONFLICT (event_id) DO UPDATE SET body = 'null'")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as c:
        c.execute(replace_event, [event.pk, event.chain, event.seq, event.created_at, city.pk,
                                  event.payload_digest, event.prev_hash, event.hash])
    with pytest.raises(DatabaseError, match="erased by request"), transaction.atomic(), connection.cursor() as c:
        c.execute(replace_payload, [event.pk])
    assert verify_chain(city=city).ok


def test_the_cli_writes_a_checkpoint_and_verifies_against_it(fresh_demo_database, tmp_path):
    made = fresh_demo_database.tamasuk("audit", "checkpoint", "--output", str(tmp_path / "cp.json"))
    assert "Checkpoint written" in made.stdout
    checked = fresh_demo_database.tamasuk("audit", "verify", "--checkpoint", str(tmp_path / "cp.json"))
    assert "mombasa: against the checkpoint: " in checked.stdout and "0 added since" in checked.stdout
    cut = ("import django; django.setup()\n"
           "from django.db import connection\n"
           "from tamasuk.audit.models import AuditHead\n"
           "with connection.cursor() as c:\n"
           + ("    c.execute('ALTER TABLE audit_auditevent DISABLE TRIGGER USER')\n"
              "    c.execute('ALTER TABLE audit_auditpayload DISABLE TRIGGER USER')\n"
              "    c.execute('TRUNCATE audit_auditevent, audit_auditpayload')\n"
              if "postgres" in fresh_demo_database.url else
              "    for t in ['audit_event_no_delete', 'audit_payload_no_delete']: c.execute('DROP TRIGGER ' + t)\n"
              "    c.execute('DELETE FROM audit_auditpayload')\n"
              "    c.execute('DELETE FROM audit_auditevent')\n")
           + "AuditHead.objects.update(seq=0, hash='0' * 64)\n")
    subprocess.run([sys.executable, "-c", cut], env={
        **fresh_demo_database.env, "DJANGO_SETTINGS_MODULE": "tamasuk.settings"}, check=True)
    assert "chain intact" in fresh_demo_database.tamasuk("audit", "verify").stdout  # alone: "intact, 0 events"
    with pytest.raises(subprocess.CalledProcessError) as caught:
        fresh_demo_database.tamasuk("audit", "verify", "--checkpoint", str(tmp_path / "cp.json"))
    assert "was cut" in caught.value.stderr
