import sys

from django.core.management.base import BaseCommand

from tamasuk.audit.services import verify_chain


class Command(BaseCommand):
    help = "Audit log tools. `audit verify` recomputes the hash chain and names the first broken link."

    def add_arguments(self, parser):
        parser.add_argument("subcommand", choices=["verify"])

    def handle(self, *args, subcommand, **options):
        def progress(n):
            self.stdout.write(f"  checked {n} events…")

        status = verify_chain(progress=progress)
        if status.ok:
            self.stdout.write(self.style.SUCCESS(
                f"Audit chain intact: {status.length} events, head {status.head_hash}"))
            return
        self.stderr.write(self.style.ERROR(
            f"Audit chain BROKEN at event #{status.broken_seq}: {status.problem} "
            f"({status.length} events verified before it)"))
        sys.exit(1)
