import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tamasuk.cities.backup import BackupError, restore


class Command(BaseCommand):
    help = ("Restore an archive written by `tamasuk backup`: every checksum is checked first, then the database "
            "and the stored files are replaced, and the audit chains of the restored copy are verified against "
            "the archive's manifest. Stop the server first.")

    def add_arguments(self, parser):
        parser.add_argument("archive")
        parser.add_argument("--force", action="store_true",
                            help="replace a database that already holds cities")

    def handle(self, *args, archive, force=False, **options):
        try:
            result = restore(Path(archive), force=force)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Restored the {result.manifest['engine']} database of {result.manifest['created_at']} "
                          f"and {result.files} stored files.")
        for check in result.chains:
            if check.ok:
                self.stdout.write(self.style.SUCCESS(check.message))
            else:
                self.stderr.write(self.style.ERROR(check.message))
        if not result.ok:
            sys.exit(1)
