"""PostgreSQL (issue 17, item 6): the application runs as a role that does not own the audit tables, so it can
append to the log, move the heads and erase payloads, but not disable the triggers, truncate or delete."""

from __future__ import annotations

import subprocess
import sys
import uuid
from urllib.parse import urlparse

import pytest

from conftest import ON_POSTGRES

pytestmark = pytest.mark.skipif(not ON_POSTGRES, reason="roles exist on PostgreSQL only")


def _sql(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


@pytest.fixture
def app_role(fresh_demo_database):
    role = f"tamasuk_app_{uuid.uuid4().hex[:8]}"
    _sql(fresh_demo_database.url, f"CREATE ROLE {role} LOGIN")
    yield role
    _sql(fresh_demo_database.url, f"DROP OWNED BY {role}")
    _sql(fresh_demo_database.url, f"DROP ROLE {role}")


def test_the_application_role_writes_and_erases_but_cannot_remove_the_log(fresh_demo_database, app_role):
    db = fresh_demo_database
    done = db.tamasuk("postgres_app_role", app_role)
    assert "cannot change or remove audit events" in done.stdout
    as_app = urlparse(db.url)._replace(netloc=f"{app_role}@{urlparse(db.url).hostname}:{urlparse(db.url).port}")
    env = {**db.env, "DATABASE_URL": as_app.geturl(), "DJANGO_SETTINGS_MODULE": "tamasuk.settings"}

    def run(code: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", "import django; django.setup()\n" + code], env=env,
                              capture_output=True, text=True)

    # Everyday work: a write through a service (and its audit event), the chains verified.
    wrote = run("from django.db import transaction\n"
                "from tamasuk.cities.models import City\nfrom tamasuk.audit.services import record\n"
                "with transaction.atomic():\n"
                "    record(actor='test', action='test.ping', object_type='test', object_id=1, "
                "city=City.objects.get(slug='mombasa'))\n")
    assert wrote.returncode == 0, wrote.stderr
    verified = subprocess.run([sys.executable, "-m", "tamasuk", "audit", "verify"], env=env, capture_output=True,
                              text=True)
    assert verified.returncode == 0 and "Audit chains intact" in verified.stdout, verified.stderr

    # What someone holding the application's keys would try.
    for attempt, refusal in [
        ("ALTER TABLE audit_auditevent DISABLE TRIGGER USER", "must be owner"),
        ("TRUNCATE audit_auditevent CASCADE", "permission denied"),
        ("DELETE FROM audit_auditevent", "permission denied"),
        ("UPDATE audit_auditevent SET actor_label = 'x'", "permission denied"),
        ("DROP TRIGGER audit_event_no_change ON audit_auditevent", "must be owner"),
    ]:
        tried = run(f"from django.db import connection\nconnection.cursor().execute({attempt!r})\n")
        assert tried.returncode != 0 and refusal in tried.stderr, (attempt, tried.stderr[-500:])
