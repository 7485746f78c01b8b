from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from tamasuk.audit.models import AuditEvent, AuditHead, AuditPayload


class Command(BaseCommand):
    help = ("PostgreSQL: give an existing role what the application needs to run, and no more on the audit log: it "
            "may add events, move the chain heads and erase payloads (the triggers allow only the erasure), but not "
            "change or remove events, nor disable the triggers (only the tables' owner can). Run it as the owner "
            "(the role that runs `tamasuk migrate`), then serve with the application role. Tables that later "
            "migrations create get the same grants.")

    def add_arguments(self, parser):
        parser.add_argument("role", help="the application's role (CREATE ROLE … LOGIN PASSWORD … first)")

    def handle(self, *args, role, **options):
        if connection.vendor != "postgresql":
            raise CommandError("only for PostgreSQL: SQLite has no roles (keep the database file the application's "
                               "alone, and its backups elsewhere)")
        with connection.cursor() as c:
            c.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
            if c.fetchone() is None:
                raise CommandError(f"no role {role!r}: create it first (CREATE ROLE {role} LOGIN PASSWORD '…')")
            c.execute("SELECT current_user, current_database()")
            owner, database = c.fetchone()
            if owner == role:
                raise CommandError("run this as the tables' owner, not as the application's role")
            q = connection.ops.quote_name
            events, payloads, heads = (q(m._meta.db_table) for m in (AuditEvent, AuditPayload, AuditHead))
            for sql in [
                f"GRANT CONNECT ON DATABASE {q(database)} TO {q(role)}",
                f"GRANT USAGE ON SCHEMA public TO {q(role)}",
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {q(role)}",
                f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {q(role)}",
                f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {q(role)}",
                f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {q(role)}",
                # The audit log: append, move the heads, erase a payload; nothing else.
                f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {events} FROM {q(role)}",
                f"REVOKE DELETE, TRUNCATE, REFERENCES, TRIGGER ON {payloads} FROM {q(role)}",
                f"REVOKE DELETE, TRUNCATE, REFERENCES, TRIGGER ON {heads} FROM {q(role)}",
            ]:
                c.execute(sql)
        self.stdout.write(self.style.SUCCESS(
            f"{role} may now run Tamasuk on {database}; it cannot change or remove audit events nor disable the "
            f"audit triggers, which {owner} owns. Serve with DATABASE_URL naming {role}; migrate as {owner}."))
