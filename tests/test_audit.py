"""The audit chain: written with every change, refused by the database when altered, and tamper-evident."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.db import DatabaseError, connection, transaction

from tamasuk.audit.models import AuditEvent, AuditHead
from tamasuk.audit.services import record, verify_chain

ON_PG = connection.vendor == "postgresql"



def _disable_guards(cursor):
    if ON_PG:
        cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
    else:
        cursor.execute("DROP TRIGGER audit_event_no_update")
        cursor.execute("DROP TRIGGER audit_event_no_delete")


def test_demo_chain_verifies(db):
    status = verify_chain()
    assert status.ok, status.problem
    assert status.length == AuditEvent.objects.count() > 50
    assert status.head_hash == AuditEvent.objects.order_by("-seq").first().hash


def test_each_event_links_to_the_previous_one(db):
    events = list(AuditEvent.objects.order_by("seq")[:20])
    for earlier, later in zip(events, events[1:], strict=False):
        assert later.prev_hash == earlier.hash
        assert later.seq == earlier.seq + 1
    assert events[0].prev_hash == "0" * 64


def test_database_refuses_update_of_an_audit_row(db):
    event = AuditEvent.objects.order_by("seq").first()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="forged")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as c:
        c.execute("UPDATE audit_auditevent SET after = '{}' WHERE seq = 1")


def test_database_refuses_delete_of_an_audit_row(db):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(seq=1).delete()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as c:
        c.execute("DELETE FROM audit_auditevent")


@pytest.mark.skipif(not ON_PG, reason="TRUNCATE exists on PostgreSQL only")
def test_postgres_refuses_truncate(db):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as c:
        c.execute("TRUNCATE audit_auditevent")


def test_editing_a_row_behind_the_applications_back_is_detected(db):
    with connection.cursor() as c:
        _disable_guards(c)
        c.execute("UPDATE audit_auditevent SET after = %s WHERE seq = 7", ['{"role":"admin"}'])
    status = verify_chain()
    assert not status.ok
    assert status.broken_seq == 7
    assert "altered" in status.problem


def test_editing_a_row_and_recomputing_its_hash_is_detected_at_the_next_link(db):
    event = AuditEvent.objects.get(seq=5)
    event.action = "forged"
    forged_hash = event.compute_hash()
    with connection.cursor() as c:
        _disable_guards(c)
        c.execute("UPDATE audit_auditevent SET action = 'forged', hash = %s WHERE seq = 5", [forged_hash])
    status = verify_chain()
    assert (status.ok, status.broken_seq) == (False, 6)
    assert "does not link" in status.problem


def test_deleting_a_row_is_detected(db):
    with connection.cursor() as c:
        _disable_guards(c)
        c.execute("DELETE FROM audit_auditevent WHERE seq = 12")
    status = verify_chain()
    assert (status.ok, status.broken_seq) == (False, 12)
    assert "missing" in status.problem


def test_cutting_off_the_tail_is_detected(db):
    last = AuditEvent.objects.order_by("-seq").first().seq
    with connection.cursor() as c:
        _disable_guards(c)
        c.execute("DELETE FROM audit_auditevent WHERE seq >= %s", [last - 2])
    status = verify_chain()
    assert not status.ok
    assert "removed" in status.problem


def test_inserting_a_forged_event_is_detected_even_with_a_correct_hash(db):
    last = AuditEvent.objects.order_by("-seq").first()
    forged = AuditEvent(seq=last.seq + 1, created_at=last.created_at, actor_label="intruder", action="city.create",
                        object_type="cities.city", object_id="99", before="null", after="null", prev_hash=last.hash)
    forged.hash = forged.compute_hash()
    forged.save(force_insert=True)  # inserts are allowed; only the head tells this one apart
    status = verify_chain()
    assert not status.ok
    assert status.broken_seq == last.seq + 1


def test_inserting_an_event_in_the_middle_is_detected(db):
    """Making room in the middle needs renumbering later rows, which breaks their hashes."""
    with connection.cursor() as c:
        _disable_guards(c)
        c.execute("UPDATE audit_auditevent SET seq = seq + 1000000 WHERE seq > 20")
        c.execute("UPDATE audit_auditevent SET seq = seq - 1000000 + 1 WHERE seq > 1000000")
    middle = AuditEvent.objects.get(seq=20)
    forged = AuditEvent(seq=21, created_at=middle.created_at, actor_label="intruder", action="x", object_type="x",
                        object_id="1", before="null", after="null", prev_hash=middle.hash)
    forged.hash = forged.compute_hash()
    forged.save(force_insert=True)
    status = verify_chain()
    assert (status.ok, status.broken_seq) == (False, 22)


def test_record_outside_a_transaction_is_refused(db, users):
    # pytest-django wraps tests in a transaction; step out of it to check the guard itself.
    with transaction.atomic():
        pass
    connection.in_atomic_block, saved = False, connection.in_atomic_block
    try:
        with pytest.raises(RuntimeError, match="inside the transaction"):
            record(actor=users["admin"], action="x", object_type="x", object_id=1)
    finally:
        connection.in_atomic_block = saved


def test_head_tracks_the_last_event(db, users):
    with transaction.atomic():
        event = record(actor=users["admin"], action="test.ping", object_type="test", object_id=1,
                       after={"n": 1.5, "text": "حي"})
    head = AuditHead.objects.get()
    assert (head.seq, head.hash) == (event.seq, event.hash)
    assert event.after_value == {"n": 1.5, "text": "حي"}
    assert verify_chain().ok


def test_cli_names_the_first_broken_link(fresh_database):
    fresh_database.tamasuk("demo")
    ok = fresh_database.tamasuk("audit", "verify")
    assert "Audit chain intact" in ok.stdout
    tamper = (
        "import django; django.setup()\n"
        "from django.db import connection\n"
        "with connection.cursor() as c:\n"
        + ("    c.execute('ALTER TABLE audit_auditevent DISABLE TRIGGER USER')\n" if fresh_database.url.startswith("postgres")
           else "    c.execute('DROP TRIGGER audit_event_no_update')\n")
        + "    c.execute(\"UPDATE audit_auditevent SET actor_label = 'someone-else' WHERE seq = 3\")\n"
    )
    subprocess.run([sys.executable, "-c", tamper], env={**fresh_database.env, "DJANGO_SETTINGS_MODULE": "tamasuk.settings"},
                   check=True)
    with pytest.raises(subprocess.CalledProcessError) as failed:
        fresh_database.tamasuk("audit", "verify")
    assert "BROKEN at event #3" in failed.value.stderr


def test_concurrent_writers_in_separate_processes_never_fork_the_chain(fresh_database):
    """Several processes append at once (as web servers and task workers do); the chain stays one line."""
    script = (
        "import django, sys; django.setup()\n"
        "from django.db import transaction\n"
        "from tamasuk.audit.services import record\n"
        "for i in range(40):\n"
        "    with transaction.atomic():\n"
        "        record(actor='worker' + sys.argv[1], action='test.append', object_type='test', object_id=i)\n"
    )
    env = {**fresh_database.env, "DJANGO_SETTINGS_MODULE": "tamasuk.settings"}
    procs = [subprocess.Popen([sys.executable, "-c", script, str(n)], env=env, stderr=subprocess.PIPE, text=True)
             for n in range(4)]
    for p in procs:
        _, err = p.communicate(timeout=240)
        assert p.returncode == 0, err
    result = fresh_database.tamasuk("audit", "verify")
    assert "Audit chain intact: 160 events" in result.stdout
