import signal
import subprocess
import sys
import threading

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError


def _die_with_parent():  # pragma: no cover - runs in the child between fork and exec
    """On Linux, the worker gets SIGTERM if `serve` dies without cleaning up (SIGKILL, OOM killer)."""
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Worker:
    """The background-task worker (`tamasuk db_worker`) as a child process, restarted if it dies."""

    def __init__(self, out):
        self.out = out
        self.proc: subprocess.Popen | None = None
        self.stopping = threading.Event()
        self.watcher = threading.Thread(target=self._watch, name="db-worker-watch", daemon=True)

    def _start(self):
        # Its own session: Ctrl+C in the terminal reaches `serve` only, which then stops the worker once,
        # gracefully (a second signal would make the worker abandon the task it is running).
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tamasuk", "db_worker", "--no-reload", "--interval", "1", "--verbosity", "1"],
            start_new_session=True, preexec_fn=_die_with_parent)  # noqa: PLW1509 - no threads yet in the child

    def start(self):
        self._start()
        self.watcher.start()

    def _watch(self):
        while not self.stopping.is_set():
            code = self.proc.wait()
            if self.stopping.is_set():
                return
            self.out.write(f"The task worker exited ({code}); starting it again…\n")
            self.out.flush()
            if self.stopping.wait(2):
                return
            self._start()

    def stop(self, timeout: float = 30):
        self.stopping.set()
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()  # graceful: the worker finishes the task it is running, then exits
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def proxy_options() -> dict:
    """waitress's reverse-proxy options from the settings (settings.TRUSTED_PROXY says why). X-Forwarded-* headers
    from any other peer are dropped, also when no proxy is trusted: Django never sees one it should not believe."""
    if not settings.TRUSTED_PROXY:
        return {"clear_untrusted_proxy_headers": True}
    return {"trusted_proxy": settings.TRUSTED_PROXY, "trusted_proxy_count": settings.TRUSTED_PROXY_COUNT,
            "trusted_proxy_headers": set(settings.TRUSTED_PROXY_HEADERS), "clear_untrusted_proxy_headers": True}


class Command(BaseCommand):
    help = ("Serve Tamasuk with waitress (a production WSGI server) and the background-task worker. "
            "--init prepares a fresh installation first.")

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--threads", type=int, default=8)
        parser.add_argument("--init", action="store_true",
                            help="migrate, collect static files, load the demo city when the database is empty")
        parser.add_argument("--no-worker", action="store_true",
                            help="do not start the task worker (run `tamasuk db_worker` elsewhere)")

    def handle(self, *args, host, port, threads, init, no_worker, **options):
        if settings.BEHIND_PROXY and not settings.TRUSTED_PROXY:
            raise CommandError("BEHIND_PROXY is replaced by TAMASUK_TRUSTED_PROXY=<the proxy's address, as this "
                               "server sees it> (README, \"Production: behind a reverse proxy\"); without it "
                               "every page would redirect to https again.")
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
        # Imports whose worker died with the last server, and files of imports left unfinished too long.
        call_command("purge_imports", verbosity=0, stdout=self.stdout)
        from waitress import serve

        from tamasuk.wsgi import application

        worker = None
        if not no_worker:
            self.stdout.write("Starting the task worker…")
            self.stdout.flush()
            worker = Worker(self.stdout)
            worker.start()
        # SIGTERM (systemd, docker, a test harness) stops the server like Ctrl+C does, so the worker stops too.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        scheme = "https" if settings.HTTPS else "http"
        self.stdout.write(self.style.SUCCESS(f"Tamasuk is running at {scheme}://{host}:{port}/  (Ctrl+C stops it)"))
        self.stdout.flush()
        try:
            serve(application, host=host, port=port, threads=threads, ident="tamasuk", _quiet=True,
                  **proxy_options())
        except KeyboardInterrupt:
            pass
        finally:
            if worker is not None:
                self.stdout.write("Stopping the task worker…")
                self.stdout.flush()
                worker.stop()
