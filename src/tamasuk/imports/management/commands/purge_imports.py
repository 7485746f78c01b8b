from django.core.management.base import BaseCommand

from tamasuk.imports.services import expire_stale, purge_files


class Command(BaseCommand):
    help = ("Mark failed the imports whose worker died (no sign of life for IMPORT_JOB_TIMEOUT seconds), and delete "
            "the files of imports left unfinished for IMPORT_FILE_DAYS days. `tamasuk serve` runs it at start; run "
            "it daily (cron, a systemd timer) on a server that stays up for weeks.")

    def handle(self, *args, **options):
        failed, purged = expire_stale(), purge_files()
        self.stdout.write(f"{failed} stopped import(s) marked failed, {purged} old import file(s) deleted.")
