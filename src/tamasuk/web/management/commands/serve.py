from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve Tamasuk with waitress (a production WSGI server). --init prepares a fresh installation first."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument("--init", action="store_true",
                            help="migrate, collect static files, load the demo city when the database is empty")

    def handle(self, *args, host, port, threads, init, **options):
        if init:
            self.stdout.write("Preparing the database…")
            call_command("migrate", interactive=False, verbosity=0)
            self.stdout.write("Collecting static files…")
            call_command("collectstatic", interactive=False, verbosity=0)
            from tamasuk.cities.models import City

            if not City.objects.exists():
                self.stdout.write("Loading the demo city (empty database)…")
                call_command("demo", stdout=self.stdout)
            else:
                from tamasuk.cities import demo
                from tamasuk.cities.management.commands.demo import print_logins

                if demo.is_loaded():
                    print_logins(self.stdout)
        from waitress import serve

        from tamasuk.wsgi import application

        scheme = "https" if settings.HTTPS else "http"
        self.stdout.write(self.style.SUCCESS(f"Tamasuk is running at {scheme}://{host}:{port}/  (Ctrl+C stops it)"))
        self.stdout.flush()
        serve(application, host=host, port=port, threads=threads, ident="tamasuk", _quiet=True)
