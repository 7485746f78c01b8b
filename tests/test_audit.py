"""The audit chains: one per city, written with every change, refused by the database when altered, tamper-evident,
and with payloads that can be erased on request without breaking verification."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import pytest
from django.db import DatabaseError, connection, transaction

from tamasuk.audit.models import (
    ERASED,
    INSTALLATION_CHAIN,
    AuditEvent,
    AuditHead,
    AuditPayload,
    canonical_json,
)
from tamasuk.audit.queries import verify_all, verify_chain
from tamasuk.audit.services import erase_payloads, record

ON_PG = connection.vendor == "postgresql"


def _disable_guards(cursor):
    """What someone with the database's keys would do first."""
    if ON_PG:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # foreign keys checked now, so the tables may be altered
        cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
        cursor.execute("ALTER TABLE audit_auditpayload DISABLE TRIGGER USER")
    else:
        for name in ["audit_event_no_update", "audit_event_no_delete", "audit_payload_no_delete",
                     "audit_payload_only_erasure"]:
            cursor.execute(f"DROP TRIGGER {name}")


def _event(city, seq) -> AuditEvent:
    return AuditEvent.objects.select_related("payload").get(chain=city.pk, seq=seq)


def _latest(city) -> AuditEvent:
    return AuditEvent.objects.filter(chain=city.pk).order_by("-seq").first()


def test_demo_chains_verify(db, city):
    statuses = verify_all()
    assert all(s.ok for s in statuses), [s.problem for s in statuses if not s.ok]
    mine = verify_chain(city=city)
    assert mine.length == AuditEvent.objects.filter(chain=city.pk).count() > 50
    assert mine.head_hash == _latest(city).hash
    assert {s.chain for s in statuses} >= {INSTALLATION_CHAIN, city.pk}


def test_each_city_has_its_own_chain_and_head(db, city, users):
    from tamasuk.cities.models import City

    saida = City.objects.get(slug="saida")
    for c in (city, saida):
        events = list(AuditEvent.objects.filter(chain=c.pk).order_by("seq")[:20])
        assert events[0].prev_hash == "0" * 64 and events[0].seq == 1
        for earlier, later in zip(events, events[1:], strict=False):
            assert (later.prev_hash, later.seq) == (earlier.hash, earlier.seq + 1)
        assert {e.city_id_ref for e in events} == {c.pk}
    with transaction.atomic():
        a = record(actor=users["admin"], action="test.ping", object_type="test", object_id=1, city=city)
        b = record(actor=users["peer"], action="test.ping", object_type="test", object_id=1, city=saida)
        c = record(actor="system", action="test.ping", object_type="test", object_id=1)
    heads = {h.chain: (h.seq, h.hash) for h in AuditHead.objects.all()}
    assert heads[city.pk] == (a.seq, a.hash) and heads[saida.pk] == (b.seq, b.hash)
    assert heads[INSTALLATION_CHAIN] == (c.seq, c.hash) and c.chain == INSTALLATION_CHAIN
    assert a.prev_hash != b.prev_hash  # each links to its own chain's previous event


def test_the_chain_hashes_the_payload_digest_not_the_payload(db, users, city):
    with transaction.atomic():
        event = record(actor=users["admin"], action="test.ping", object_type="test", object_id=1, city=city,
                       before={"n": 1}, after={"n": 1.5, "text": "حي"})
    event = _event(city, event.seq)
    assert event.after_value == {"n": 1.5, "text": "حي"} and event.before_value == {"n": 1}
    body = canonical_json({"after": {"n": 1.5, "text": "حي"}, "before": {"n": 1}})
    assert event.payload.body == body
    assert event.payload_digest == hashlib.sha256(body.encode()).hexdigest()
    assert "حي" not in canonical_json(event.hashed_fields())
    assert verify_chain(city=city).ok


# ---- the database refuses changes ----

def test_database_refuses_update_and_delete_of_an_event(db, city):
    event = _event(city, 1)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="forged")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as c:
        c.execute("UPDATE audit_auditevent SET payload_digest = 'x' WHERE id = %s", [event.pk])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as c:
        c.execute("DELETE FROM audit_auditevent")


def test_database_refuses_any_payload_change_but_erasure(db, city, users):
    event = _event(city, 3)
    refused = "only ever erased by request"
    with pytest.raises(DatabaseError, match=refused), transaction.atomic():
        AuditPayload.objects.filter(pk=event.pk).update(body='{"after":null,"before":null}')
    with pytest.raises(DatabaseError, match=refused), transaction.atomic():
        AuditPayload.objects.filter(pk=event.pk).delete()
    # The marker alone is not enough: it must name an erasure event of the same chain.
    with pytest.raises(DatabaseError, match=refused), transaction.atomic():
        AuditPayload.objects.filter(pk=event.pk).update(body=ERASED, erased_by=event.seq + 1)
    with transaction.atomic():
        erasure = erase_payloads(actor=users["admin"], chain=city.pk, events=[event], reason="test")
    assert AuditPayload.objects.get(pk=event.pk).erased_by == erasure.seq
    # Once erased, it stays as it is: not restored, not re-pointed, and the erasure's own payload is untouchable.
    with pytest.raises(DatabaseError, match=refused), transaction.atomic():
        AuditPayload.objects.filter(pk=event.pk).update(body='{"after":null,"before":null}', erased_by=None)
    with pytest.raises(DatabaseError, match=refused), transaction.atomic():
        AuditPayload.objects.filter(pk=erasure.pk).update(body=ERASED, erased_by=erasure.seq)


@pytest.mark.skipif(not ON_PG, reason="TRUNCATE exists on PostgreSQL only")
def test_postgres_refuses_truncate(db):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as c:
        c.execute("TRUNCATE audit_auditevent CASCADE")
    with pytest.raises(DatabaseError, match="erased by request"), transaction.atomic(), connection.cursor() as c:
        c.execute("TRUNCATE audit_auditpayload")


# ---- erasure keeps the chain verifiable ----

def test_an_erased_payload_still_verifies_and_is_counted(db, city, users):
    targets = [_event(city, 4), _event(city, 9)]
    with transaction.atomic():
        erasure = erase_payloads(actor=users["admin"], chain=city.pk, events=targets, reason="request of 1 May")
    assert erasure.after_value["erased"] == [4, 9] and erasure.after_value["reason"] == "request of 1 May"
    for target in targets:
        event = _event(city, target.seq)
        assert event.is_erased and event.payload.body == ERASED and event.after_value is None
    status = verify_chain(city=city)
    assert status.ok, status.problem
    assert status.erased == 2
    # Asking again erases nothing more and records nothing.
    with transaction.atomic():
        assert erase_payloads(actor=users["admin"], chain=city.pk, events=targets, reason="again") is None


def test_editing_a_payload_without_an_erasure_is_detected(db, city):
    with connection.cursor() as c:
        _disable_guards(c)
        c.execute("UPDATE audit_auditpayload SET body = %s WHERE event_id = %s",
                  ['{"after":{"role":"admin"},"before":null}', _event(city, 7).pk])
    status = verify_chain(city=city)
    assert (status.ok, status.broken_seq) == (False, 7)
    assert "payload of event #7 was altered" in status.problem


def test_a_forged_erasure_marker_is_detected(db, city, users):
    """Marking a payload erased, naming a real erasure that did not list it, does not hide the change."""
    with transaction.atomic():
        erasure = erase_payloads(actor=users["admin"], chain=city.pk, events=[_event(city, 4)], reason="real")
    with connection.cursor() as c:
        _disable_guards(c)
        c.execute("UPDATE audit_auditpayload SET body = %s, erased_by = %s WHERE event_id = %s",
                  [ERASED, erasure.seq, _event(city, 6).pk])
    status = verify_chain(city=city)
    assert (status.ok, status.broken_seq) == (False, 6)
    assert "altered" in status.problem


def test_erasing_behind_the_applications_back_with_a_forged_erasure_event_is_detected(db, city):
    """Adding an erasure event claiming a payload breaks the chain where it was slipped in."""
    last = _latest(city)
    with connection.cursor() as c:
        _disable_guards(c)
    forged = AuditEvent(chain=city.pk, seq=last.seq + 1, created_at=last.created_at, actor_label="intruder",
                        city_id_ref=city.pk, action="audit.erase", object_type="audit.chain", object_id=str(city.pk),
                        prev_hash=last.hash)
    body = canonical_json({"after": {"erased": [5], "reason": "x"}, "before": None})
    forged.payload_digest = hashlib.sha256(body.encode()).hexdigest()
    forged.hash = forged.compute_hash()
    forged.save(force_insert=True)
    AuditPayload.objects.create(event=forged, body=body)
    AuditPayload.objects.filter(event=_event(city, 5)).update(body=ERASED, erased_by=forged.seq)
    status = verify_chain(city=city)
    # The payload passes (an erasure lists it), but the erasure itself is past the recorded head.
    assert not status.ok and status.broken_seq == last.seq + 1


# ---- other tampering is still caught ----

def test_editing_an_event_behind_the_applications_back_is_detected(db, city):
    with connection.cursor() as c:
        _disable_guards(c)
        c.execute("UPDATE audit_auditevent SET actor_label = 'someone-else' WHERE id = %s", [_event(city, 7).pk])
    status = verify_chain(city=city)
    assert (status.ok, status.broken_seq) == (False, 7)
    assert "altered" in status.problem


def test_editing_an_event_and_recomputing_its_hash_is_detected_at_the_next_link(db, city):
    event = _event(city, 5)
    event.action = "forged"
    forged_hash = event.compute_hash()
    with connection.cursor() as c:
        _disable_guards(c)
        c.execute("UPDATE audit_auditevent SET action = 'forged', hash = %s WHERE id = %s", [forged_hash, event.pk])
    status = verify_chain(city=city)
    assert (status.ok, status.broken_seq) == (False, 6)
    assert "does not link" in status.problem


def test_moving_an_event_to_another_citys_chain_is_detected(db, city):
    from tamasuk.cities.models import City

    saida = City.objects.get(slug="saida")
    with connection.cursor() as c:
        _disable_guards(c)
        c.execute("UPDATE audit_auditevent SET chain = %s, seq = seq + 100000 WHERE id = %s",
                  [saida.pk, _event(city, 12).pk])
    assert (verify_chain(city=city).broken_seq, verify_chain(city=saida).ok) == (12, False)


def test_deleting_a_row_is_detected(db, city):
    event = _event(city, 12)
    with connection.cursor() as c:
        _disable_guards(c)
        c.execute("DELETE FROM audit_auditpayload WHERE event_id = %s", [event.pk])
        c.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    status = verify_chain(city=city)
    assert (status.ok, status.broken_seq) == (False, 12)
    assert "missing" in status.problem


def test_deleting_only_a_payload_is_detected(db, city):
    with connection.cursor() as c:
        _disable_guards(c)
        c.execute("DELETE FROM audit_auditpayload WHERE event_id = %s", [_event(city, 12).pk])
    status = verify_chain(city=city)
    assert (status.ok, status.broken_seq) == (False, 12) and "payload of event #12 is missing" in status.problem


def test_cutting_off_the_tail_is_detected(db, city):
    last = _latest(city).seq
    doomed = list(AuditEvent.objects.filter(chain=city.pk, seq__gte=last - 2).values_list("pk", flat=True))
    with connection.cursor() as c:
        _disable_guards(c)
        c.execute(f"DELETE FROM audit_auditpayload WHERE event_id IN ({','.join(map(str, doomed))})")
        c.execute(f"DELETE FROM audit_auditevent WHERE id IN ({','.join(map(str, doomed))})")
    status = verify_chain(city=city)
    assert not status.ok
    assert "removed" in status.problem


def test_inserting_a_forged_event_is_detected_even_with_a_correct_hash(db, city):
    last = _latest(city)
    forged = AuditEvent(chain=city.pk, seq=last.seq + 1, created_at=last.created_at, actor_label="intruder",
                        city_id_ref=city.pk, action="city.create", object_type="cities.city", object_id="99",
                        payload_digest=hashlib.sha256(b"null").hexdigest(), prev_hash=last.hash)
    forged.hash = forged.compute_hash()
    forged.save(force_insert=True)  # inserts are allowed; only the head tells this one apart
    AuditPayload.objects.create(event=forged, body="null")
    status = verify_chain(city=city)
    assert not status.ok
    assert status.broken_seq == last.seq + 1


def test_inserting_an_event_in_the_middle_is_detected(db, city):
    """Making room in the middle needs renumbering later rows, which breaks their hashes."""
    with connection.cursor() as c:
        _disable_guards(c)
        c.execute("UPDATE audit_auditevent SET seq = seq + 1000000 WHERE chain = %s AND seq > 20", [city.pk])
        c.execute("UPDATE audit_auditevent SET seq = seq - 1000000 + 1 WHERE chain = %s AND seq > 1000000",
                  [city.pk])
    middle = _event(city, 20)
    forged = AuditEvent(chain=city.pk, seq=21, created_at=middle.created_at, actor_label="intruder",
                        city_id_ref=city.pk, action="x", object_type="x", object_id="1",
                        payload_digest=hashlib.sha256(b"null").hexdigest(), prev_hash=middle.hash)
    forged.hash = forged.compute_hash()
    forged.save(force_insert=True)
    AuditPayload.objects.create(event=forged, body="null")
    status = verify_chain(city=city)
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


# ---- the command, with real processes ----

def _sql(fresh_database, *statements: str) -> None:
    """Run SQL against the fresh database as an intruder would, guards off."""
    pg = fresh_database.url.startswith("postgres")
    guards = (["ALTER TABLE audit_auditevent DISABLE TRIGGER USER",
               "ALTER TABLE audit_auditpayload DISABLE TRIGGER USER"] if pg else
              ["DROP TRIGGER audit_event_no_update", "DROP TRIGGER audit_event_no_delete",
               "DROP TRIGGER audit_payload_no_delete", "DROP TRIGGER audit_payload_only_erasure"])
    script = ("import django; django.setup()\nfrom django.db import connection\nwith connection.cursor() as c:\n"
              + "".join(f"    c.execute({s!r})\n" for s in guards + list(statements)))
    subprocess.run([sys.executable, "-c", script], env={**fresh_database.env, "DJANGO_SETTINGS_MODULE":
                                                        "tamasuk.settings"}, check=True)


def test_cli_verifies_every_chain_and_names_the_first_broken_link(fresh_demo_database):
    fresh_database = fresh_demo_database  # the demo city, as `tamasuk demo` leaves it
    ok = fresh_database.tamasuk("audit", "verify")
    assert "mombasa: chain intact, 0 payloads erased by request" in ok.stdout
    assert "installation: chain intact" in ok.stdout and "Audit chains intact" in ok.stdout
    assert "mombasa: chain intact" in fresh_database.tamasuk("audit", "verify", "--city", "mombasa").stdout
    _sql(fresh_database, "UPDATE audit_auditevent SET actor_label = 'someone-else' WHERE seq = 3 AND chain = "
                         "(SELECT id FROM cities_city WHERE slug = 'mombasa')")
    with pytest.raises(subprocess.CalledProcessError) as failed:
        fresh_database.tamasuk("audit", "verify", "--city", "mombasa")
    assert "mombasa: chain BROKEN at event #3" in failed.value.stderr


def test_cli_catches_an_edited_payload_but_not_an_erased_one(fresh_demo_database):
    fresh_database = fresh_demo_database  # the demo city, as `tamasuk demo` leaves it
    fresh_database.tamasuk("forget-person", "--city", "mombasa", "--username", "member", "--reason",
                           "request of 2 June", "--actor", "admin")
    ok = fresh_database.tamasuk("audit", "verify")
    assert "mombasa: chain intact, " in ok.stdout
    _sql(fresh_database, "UPDATE audit_auditpayload SET body = '{\"after\":1,\"before\":null}' WHERE event_id = "
                         "(SELECT id FROM audit_auditevent WHERE seq = 5 AND chain = "
                         "(SELECT id FROM cities_city WHERE slug = 'mombasa'))")
    with pytest.raises(subprocess.CalledProcessError) as failed:
        fresh_database.tamasuk("audit", "verify")
    assert "mombasa: chain BROKEN at event #5: the payload of event #5 was altered" in failed.value.stderr


def test_concurrent_writers_of_two_cities_never_fork_a_chain(fresh_database):
    """Several processes append at once to two cities (as web servers and task workers do); each chain stays
    one line, and neither city's events enter the other's chain."""
    fresh_database.tamasuk("createadmin", "--username", "a1", "--city", "one", "--city-name", "One", "--country",
                           "KEN", "--no-input")
    fresh_database.tamasuk("createadmin", "--username", "a2", "--city", "two", "--city-name", "Two", "--country",
                           "KEN", "--no-input")
    script = (
        "import django, sys; django.setup()\n"
        "from django.db import transaction\n"
        "from tamasuk.audit.services import record\n"
        "from tamasuk.cities.models import City\n"
        "city = City.objects.get(slug=sys.argv[2])\n"
        "for i in range(40):\n"
        "    with transaction.atomic():\n"
        "        record(actor='worker' + sys.argv[1], action='test.append', object_type='test', object_id=i, city=city)\n"
    )
    env = {**fresh_database.env, "DJANGO_SETTINGS_MODULE": "tamasuk.settings"}
    procs = [subprocess.Popen([sys.executable, "-c", script, str(n), "one" if n % 2 else "two"], env=env,
                              stderr=subprocess.PIPE, text=True) for n in range(4)]
    for p in procs:
        _, err = p.communicate(timeout=240)
        assert p.returncode == 0, err
    result = fresh_database.tamasuk("audit", "verify")
    # Each city: createadmin's events (city, user, membership) and 80 appends.
    assert "one: chain intact, 0 payloads erased by request (83 events" in result.stdout, result.stdout
    assert "two: chain intact, 0 payloads erased by request (83 events" in result.stdout, result.stdout


@pytest.mark.skipif(not ON_PG, reason="SQLite has one write lock for the whole file")
def test_a_city_appending_does_not_wait_for_another_citys_open_transaction(fresh_database):
    """City one's writer holds its chain's head (a long transaction); city two appends meanwhile, at once."""
    for n in ("one", "two"):
        fresh_database.tamasuk("createadmin", "--username", f"admin-{n}", "--city", n, "--city-name", n.title(),
                               "--country", "KEN", "--no-input")
    holder = (
        "import django, sys, time; django.setup()\n"
        "from django.db import transaction\n"
        "from tamasuk.audit.services import record\n"
        "from tamasuk.cities.models import City\n"
        "with transaction.atomic():\n"
        "    record(actor='slow', action='test.hold', object_type='test', object_id=1, city=City.objects.get(slug='one'))\n"
        "    print('holding', flush=True)\n"
        "    time.sleep(8)\n"
    )
    other = (
        "import django; django.setup()\n"
        "from django.db import connection, transaction\n"
        "from tamasuk.audit.services import record\n"
        "from tamasuk.cities.models import City\n"
        "two, one = City.objects.get(slug='two'), City.objects.get(slug='one')\n"
        "with transaction.atomic():\n"
        "    connection.cursor().execute(\"SET LOCAL lock_timeout = '2s'\")\n"
        "    record(actor='quick', action='test.append', object_type='test', object_id=1, city=two)\n"
        "print('two appended')\n"
        "try:\n"
        "    with transaction.atomic():\n"
        "        connection.cursor().execute(\"SET LOCAL lock_timeout = '1s'\")\n"
        "        record(actor='quick', action='test.append', object_type='test', object_id=2, city=one)\n"
        "except Exception as exc:\n"
        "    print('one waits:', type(exc).__name__)\n"
    )
    env = {**fresh_database.env, "DJANGO_SETTINGS_MODULE": "tamasuk.settings"}
    hold = subprocess.Popen([sys.executable, "-c", holder], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert hold.stdout.readline().strip() == "holding"
        out = subprocess.run([sys.executable, "-c", other], env=env, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert "two appended" in out.stdout
        assert "one waits: OperationalError" in out.stdout  # the same city's appends do queue
    finally:
        hold.wait(timeout=60)
    assert "Audit chains intact" in fresh_database.tamasuk("audit", "verify").stdout


# ---- the migration from the single chain ----

def _old_hash(fields: dict) -> str:
    return hashlib.sha256(canonical_json(fields).encode()).hexdigest()


def _old_chain_sql(broken: bool = False) -> list[str]:
    """Five events written as the old code wrote them: one global chain, payloads hashed in."""
    prev, rows = "0" * 64, []
    for seq in range(1, 6):
        city = None if seq == 1 else (1 if seq % 2 else 2)
        fields = {"seq": seq, "time": f"2025-01-0{seq}T10:00:00.000000+00:00", "actor": "admin", "city": city,
                  "action": "organisation.update", "object_type": "network.organisation", "object_id": str(seq),
                  "before": "null", "after": canonical_json({"focal_point_phone": f"+254 700 000 00{seq}"}),
                  "prev_hash": prev}
        prev = _old_hash(fields)
        # Broken: event 3's payload was changed after it was written.
        after = fields["after"].replace("000 003", "000 033") if broken else fields["after"]
        rows.append(
            "INSERT INTO audit_auditevent (seq, created_at, actor_label, city_id_ref, action, object_type, object_id,"
            " before, after, prev_hash, hash) VALUES "
            f"({seq}, '2025-01-0{seq} 10:00:00+00:00', 'admin', {'NULL' if city is None else city}, "
            f"'organisation.update', 'network.organisation', '{seq}', 'null', '{after}', '{fields['prev_hash']}', "
            f"'{prev}')")
    rows.append(f"INSERT INTO audit_audithead (id, seq, hash) VALUES (1, 5, '{prev}')")
    return rows


@pytest.mark.parametrize("broken", [False, True])
def test_the_migration_verifies_the_old_chain_and_rechains_it_per_city(fresh_database, broken):
    # Back to the single chain (no data yet), then the old code's rows, then forward again.
    fresh_database.tamasuk("migrate", "audit", "0002", "-v", "0")
    script = ("import django; django.setup()\nfrom django.db import connection\nwith connection.cursor() as c:\n"
              + "".join(f"    c.execute({s!r})\n" for s in _old_chain_sql(broken)))
    env = {**fresh_database.env, "DJANGO_SETTINGS_MODULE": "tamasuk.settings"}
    subprocess.run([sys.executable, "-c", script], env=env, check=True)
    if broken:
        with pytest.raises(subprocess.CalledProcessError) as failed:
            fresh_database.tamasuk("migrate", "-v", "0")
        assert "The audit chain is broken (event #3 was altered)" in failed.value.stderr
        return
    fresh_database.tamasuk("migrate", "-v", "0")
    result = fresh_database.tamasuk("audit", "verify")
    # City 1 had events 3 and 5, city 2 event 2 and 4, the installation event 1; each chain ends with the note.
    assert "city #1 (deleted): chain intact, 0 payloads erased by request (3 events" in result.stdout, result.stdout
    assert "city #2 (deleted): chain intact, 0 payloads erased by request (3 events" in result.stdout
    assert "installation: chain intact, 0 payloads erased by request (2 events" in result.stdout
    check = (
        "import django, json; django.setup()\n"
        "from tamasuk.audit.models import AuditEvent\n"
        "e = AuditEvent.objects.get(chain=1, seq=2)\n"
        "note = AuditEvent.objects.get(chain=1, seq=3)\n"
        "print(json.dumps([e.object_id, e.after_value, note.action, note.after_value]))\n"
    )
    out = subprocess.run([sys.executable, "-c", check], env=env, capture_output=True, text=True, check=True)
    object_id, after, action, note = json.loads(out.stdout)
    assert (object_id, after, action) == ("5", {"focal_point_phone": "+254 700 000 005"}, "audit.rechain")
    assert note["old_chain"]["head_seq"] == 5 and note["old_chain"]["verified"] is True
    assert note["events_moved"] == 2
