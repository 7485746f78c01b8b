from django.core.management.base import BaseCommand, CommandError

from tamasuk import demo as whole_demo
from tamasuk.cities import demo


class Command(BaseCommand):
    help = "Load the demo city (synthetic data), or replace it with --reset."

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true", help="remove the demo city and load it afresh")
        parser.add_argument("--if-empty", action="store_true", help="load only when the database has no city")
        parser.add_argument("--force", action="store_true",
                            help="load even beside real cities (demo users get printed passwords!)")

    def handle(self, *args, reset=False, if_empty=False, force=False, **options):
        from tamasuk.cities.models import City

        if if_empty and City.objects.exists():
            self.stdout.write("The database already holds data; the demo city was not loaded.")
            return
        if demo.is_loaded() and not reset:
            self.stdout.write("The demo city is already loaded (use --reset to replace it).")
            return
        try:
            whole_demo.load(reset=reset, force=force, progress=lambda msg: self.stdout.write(f"  {msg}"))
        except demo.DemoRefused as exc:
            raise CommandError(f"Demo not loaded: {exc}. Use --force to load it anyway.") from exc
        self.stdout.write(self.style.SUCCESS("Demo city loaded: Mombasa (synthetic demo data)."))
        print_logins(self.stdout)


def print_logins(out) -> None:
    out.write("Demo logins (synthetic data only — never reuse these passwords):")
    for username, role, password in demo.logins():
        out.write(f"  {role:<20} {username:<12} {password}")
