import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tamasuk.cities.backup import BackupError, backup


class Command(BaseCommand):
    help = ("Write one archive with the database (SQLite's online backup, or pg_dump) and every stored file "
            "(evidence, imports), with a manifest of checksums and of the audit chains. Safe while the server runs.")

    def add_arguments(self, parser):
        parser.add_argument("--output", help="the archive to write (default: tamasuk-backup-DATE-TIME.tar.gz here)")

    def handle(self, *args, output=None, **options):
        path = Path(output or dt.datetime.now().strftime("tamasuk-backup-%Y%m%d-%H%M%S.tar.gz")).resolve()
        try:
            manifest = backup(path)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        files = sum(1 for m in manifest["members"] if m.startswith("media/"))
        events = sum(c["length"] for c in manifest["audit"])
        self.stdout.write(self.style.SUCCESS(
            f"Backup written to {path}: the {manifest['engine']} database, {files} stored files, "
            f"{len(manifest['audit'])} audit chains ({events} events)."))
        broken = [c["name"] for c in manifest["audit"] if not c["ok"]]
        if broken:
            self.stderr.write(self.style.WARNING(
                f"Audit chains already broken at backup time: {', '.join(broken)} (run `tamasuk audit verify`)."))
