"""SQLite: `INSERT OR REPLACE` of an existing audit event or payload is refused.

SQLite resolves a REPLACE conflict by deleting the old row, and fires DELETE triggers for that only when
`recursive_triggers` is on, which no connection needs to set: so `INSERT OR REPLACE` got past the append-only
triggers of 0003. A BEFORE INSERT trigger refusing a row that would replace another closes it, whatever the
connection. (On PostgreSQL `INSERT … ON CONFLICT DO UPDATE` is an UPDATE, which 0003's triggers refuse.)
"""

from django.db import migrations

INSTALL = [
    """CREATE TRIGGER IF NOT EXISTS audit_event_no_replace BEFORE INSERT ON audit_auditevent
       WHEN EXISTS (SELECT 1 FROM audit_auditevent
                    WHERE id = NEW.id OR hash = NEW.hash OR (chain = NEW.chain AND seq = NEW.seq))
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS audit_payload_no_replace BEFORE INSERT ON audit_auditpayload
       WHEN EXISTS (SELECT 1 FROM audit_auditpayload WHERE event_id = NEW.event_id)
       BEGIN SELECT RAISE(ABORT, 'audit payloads are only ever erased by request'); END""",
]
REMOVE = ["DROP TRIGGER IF EXISTS audit_event_no_replace", "DROP TRIGGER IF EXISTS audit_payload_no_replace"]


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for sql in INSTALL:
            schema_editor.execute(sql)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for sql in REMOVE:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_payload_rows_and_chain_per_city")]
    operations = [migrations.RunPython(install, remove)]
