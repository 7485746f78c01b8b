"""Shared fixtures: users of every role, fresh databases for multi-process tests, and the PostgreSQL gate."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "reference"
DATABASE_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRES = DATABASE_URL.startswith(("postgres://", "postgresql://"))
REQUIRE_POSTGRES = os.environ.get("TAMASUK_REQUIRE_POSTGRES") == "1"

# The roles every page and endpoint is checked for. Usernames double as role names in the tests.
ROLES = ["anonymous", "outsider", "admin", "coordinator", "member", "analyst", "auditor", "auditor_expired",
         "national", "national_other", "peer"]


def _postgres_reachable() -> str | None:
    url = urlparse(DATABASE_URL)
    try:
        with socket.create_connection((url.hostname or "127.0.0.1", url.port or 5432), timeout=3):
            return None
    except OSError as exc:
        return f"PostgreSQL at {url.hostname}:{url.port or 5432} is unreachable ({exc})"


def pytest_configure(config):
    from django.conf import settings

    _Template.run = _run_id(config)

    # In-process tests speak plain http to Django's test client and read static files from the source tree;
    # the browser tests run the real server (`serve --init`: collected, compressed static files).
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = settings.LANGUAGE_COOKIE_SECURE = False
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    if ON_POSTGRES and (problem := _postgres_reachable()):
        if REQUIRE_POSTGRES:
            pytest.exit(f"{problem}, and TAMASUK_REQUIRE_POSTGRES=1 says it must be there", returncode=1)
        config._tamasuk_skip_db = problem  # type: ignore[attr-defined]


def pytest_collection_modifyitems(config, items):
    problem = getattr(config, "_tamasuk_skip_db", None)
    if problem:
        for item in items:
            item.add_marker(pytest.mark.skip(reason=problem))
    # The scheduler below (pytest_xdist_make_scheduler) finds the browser tests by their file name.
    for item in items:
        if item.get_closest_marker("browser") and not item.path.name.startswith("test_browser"):
            raise pytest.UsageError(f"{item.nodeid}: browser tests live in tests/test_browser*.py")


def _shares_module_data(path: str) -> bool:
    """The module's tests share data made once for the module (`worker_site`, a demo database, directly or
    through `live`; or rows made in a `module_transaction`), so they are best run by one worker that makes it
    once."""
    import re

    try:
        text = (ROOT / path).read_text()
    except OSError:
        return False
    return re.search(r"\b(worker_site|live)\s*[,)]|\bmodule_transaction\(", text) is not None


@pytest.hookimpl(optionalhook=True)  # pytest-xdist may be absent (a plain `pytest` run)
def pytest_xdist_make_scheduler(config, log):
    """`make test` runs the suite on every core (pytest-xdist, `-n auto --dist loadgroup`): tests are handed out
    one by one, except that every browser test goes to one worker, so the served demo (`server`) and Chromium
    start once, not once per worker, and two browsers never compete for the two cores of a small machine (that was
    slower). The tests of a module sharing data made once for the module (`_shares_module_data`) stay together
    too. xdist hands out the largest groups first. (xdist's own `xdist_group` marks rename the test ids, which
    pytest 9.2 no longer lets a plugin do: they would be silently ignored, hence this scheduler.)"""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class Grouped(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            if Path(path).name.startswith("test_browser"):
                return "browser"
            return path if _shares_module_data(path) else nodeid

    return Grouped(config, log)


@pytest.fixture(scope="session")
def django_db_setup(django_test_environment, django_db_blocker, tmp_path_factory):
    """One demo city and users of every role; each test runs in a rolled-back transaction. The database is a copy
    of the demo made once for the run (_Template), not migrated and loaded again by every worker; its evidence
    files are its own copy too, so a test deleting one leaves the other workers' alone."""
    import dj_database_url
    from django.conf import settings
    from django.db import connections

    db = FreshDatabase(tmp_path_factory.mktemp("session-db"), demo=True)
    conn = connections["default"]
    saved = conn.settings_dict["NAME"]
    conn.close()
    conn.settings_dict["NAME"] = settings.DATABASES["default"]["NAME"] = dj_database_url.parse(db.url)["NAME"]
    settings.MEDIA_ROOT = str(db.media)
    with django_db_blocker.unblock():
        _load_roles()
    yield
    with django_db_blocker.unblock():
        conn.close()
    conn.settings_dict["NAME"] = settings.DATABASES["default"]["NAME"] = saved
    db.drop()


def _load_roles():
    from django.contrib.auth import get_user_model

    from tamasuk.cities import services
    from tamasuk.cities.models import City, Role

    mombasa = City.objects.get(slug="mombasa")  # the demo's
    User = get_user_model()
    saida = services.create_city(actor="test", name="Saida", slug="saida", country="LBN", languages=["ar", "en"])
    kisumu = services.create_city(actor="test", name="Kisumu", slug="kisumu", country="KEN", languages=["en"])
    for username, city, role, ends_on in [
        ("peer", saida, Role.ADMIN, None),
        ("national_other", saida, Role.NATIONAL, None),
        ("auditor_expired", mombasa, Role.AUDITOR, dt.date.today() - dt.timedelta(days=1)),
    ]:
        user, _ = services.create_user(actor="test", username=username, password="test-pass-123", city=city)
        services.grant_membership(actor="test", city=city, user=user, role=role, ends_on=ends_on)
    services.create_user(actor="test", username="outsider", password="test-pass-123")
    assert kisumu.pk and User.objects.filter(username="admin").exists()


@contextlib.contextmanager
def module_transaction(django_db_blocker):
    """For a module-scoped fixture: rows made once for the module's tests, rolled back after its last test. Each
    test still runs in its own transaction inside this one (a savepoint), rolled back after it."""
    from django.db import transaction

    with django_db_blocker.unblock(), transaction.atomic():
        yield
        transaction.set_rollback(True)


@pytest.fixture
def city(db):
    from tamasuk.cities.models import City

    return City.objects.get(slug="mombasa")


@pytest.fixture
def users(db):
    from django.contrib.auth import get_user_model

    return {u.username: u for u in get_user_model().objects.all()}


@pytest.fixture
def client_for(db, client):
    """client_for(role) → a test client signed in as that role (anonymous: not signed in)."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    def make(role: str) -> Client:
        c = Client()
        if role != "anonymous":
            c.force_login(get_user_model().objects.get(username=role))
        return c

    return make


# ---- fresh databases for tests that need several real processes (servers, concurrent writers) ----

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run_id(config) -> str:
    """One id for the whole run, the same in every xdist worker: it names the templates they share."""
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        return workerinput["testrunuid"]
    if getattr(config.option, "testrunuid", None) is None:
        config.option.testrunuid = uuid.uuid4().hex  # xdist's controller hands this one to its workers
    return config.option.testrunuid


class _Template:
    """A database made once per run by `tamasuk` commands in a subprocess, shared by every xdist worker (the
    first to need it builds it under a file lock; the others wait and copy it). Each FreshDatabase made from it
    is a copy (a file copy on SQLite, CREATE DATABASE … TEMPLATE on PostgreSQL, and the files the commands
    stored): the very database those commands leave. `migrate` and `tamasuk demo` take 15-50 s together; the
    session database of every worker, each module's `worker_site` and the browser tests' server start from
    one demo made once."""

    run = ""  # set by pytest_configure

    def __init__(self, key: str, *commands: tuple[str, ...], base: _Template | None = None):
        self.key, self.commands, self.base = key, commands, base
        self.ready = False

    @property
    def name(self) -> str:
        return f"tamasuk_tpl_{self.run[:10]}_{self.key}"

    @property
    def folder(self) -> Path:
        return Path(tempfile.gettempdir()) / f"tamasuk-run-{self.run[:12]}" / self.key

    @staticmethod
    def url(name: str, folder: Path) -> str:
        if ON_POSTGRES:
            return urlparse(DATABASE_URL)._replace(path=f"/{name}").geturl()
        return f"sqlite:///{folder / 'db.sqlite3'}"

    @staticmethod
    def _admin(sql: str) -> None:
        import psycopg

        with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
            conn.execute(sql)

    def _build(self) -> None:
        import fcntl

        self.folder.parent.mkdir(exist_ok=True)
        with open(self.folder.parent / f"{self.key}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, even if a command fails
            if (self.folder / "ready").exists():
                return
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder.mkdir()
            if ON_POSTGRES:
                self._admin(f"DROP DATABASE IF EXISTS {self.name}")  # a build that failed half-way
            if self.base is not None:
                self.base.copy_to(self.name, self.folder, self.folder / "media")
            elif ON_POSTGRES:
                self._admin("CREATE DATABASE " + self.name)
            env = {**os.environ, "DATABASE_URL": self.url(self.name, self.folder), "HTTPS": "false",
                   "TAMASUK_VAR_DIR": str(self.folder), "TAMASUK_MEDIA_ROOT": str(self.folder / "media")}
            for command in self.commands:
                subprocess.run([sys.executable, "-m", "tamasuk", *command], env=env, cwd=ROOT,
                               capture_output=True, text=True, timeout=900, check=True)
            (self.folder / "ready").touch()

    def copy_to(self, name: str, folder: Path, media: Path) -> None:
        if not self.ready:
            self._build()
            self.ready = True
        if ON_POSTGRES:
            self._admin(f"CREATE DATABASE {name} TEMPLATE {self.name}")
        else:
            # The commands have exited: their last connection folded the write-ahead log into the file.
            for suffix in ("", "-wal"):
                if (self.folder / f"db.sqlite3{suffix}").exists():
                    shutil.copyfile(self.folder / f"db.sqlite3{suffix}", folder / f"db.sqlite3{suffix}")
        if (self.folder / "media").is_dir():
            shutil.copytree(self.folder / "media", media, dirs_exist_ok=True)

    def drop(self) -> None:
        if ON_POSTGRES:
            self._admin(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")
        shutil.rmtree(self.folder.parent, ignore_errors=True)


_MIGRATED = _Template("migrated", ("migrate", "--noinput", "-v", "0"))
_DEMO = _Template("demo", ("demo",), base=_MIGRATED)


def pytest_sessionfinish(session, exitstatus):
    if not hasattr(session.config, "workerinput"):  # the controller, after every worker has finished
        _DEMO.drop()  # before the database it was copied from (PostgreSQL)
        _MIGRATED.drop()


class FreshDatabase:
    """A new, migrated database of the engine under test, outside the test transaction, dropped afterwards."""

    def __init__(self, tmp: Path, *, demo: bool = False):
        """demo: with the demo city, as `tamasuk demo` leaves it (its stored files in its own storage)."""
        self.tmp = tmp
        self.name = f"tamasuk_t_{uuid.uuid4().hex[:10]}"
        self.url = _Template.url(self.name, tmp)
        # Its own storage: the demo's evidence files are named by their content, so a command deleting them here
        # (`demo --reset`, an erasure, a purge) must not delete the session database's files, which tests on
        # another xdist worker, or later, still read. worker_site points this process's storage here too.
        self.media = tmp / "media"
        (_DEMO if demo else _MIGRATED).copy_to(self.name, tmp, self.media)
        self._forks: _WorkerForks | None = None

        # The same storage as this process: a file uploaded through the test client is read by the worker there.
        self.env = {**os.environ, "DATABASE_URL": self.url, "HTTPS": "false", "TAMASUK_VAR_DIR": str(tmp),
                    "TAMASUK_MEDIA_ROOT": str(self.media), "PYTHONUNBUFFERED": "1"}

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
            conn.execute(sql)

    def tamasuk(self, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "tamasuk", *args], env=self.env, cwd=ROOT,
                              capture_output=True, text=True, timeout=timeout, check=True)

    def run_worker(self) -> str:
        """The real task worker (django-tasks-db's `db_worker --batch`, as `tamasuk serve` starts it, in a process
        of its own): runs every queued task, exits, and returns what it printed.

        Starting Python, Django and the analysis libraries takes 1.5-3 s, and the import tests run the worker
        about 80 times; so a process that has done that once (`_WorkerForks`) forks a new worker for each call.
        Nothing runs between calls, as before. A test that changed this database's environment gets a worker
        started from scratch, which reads it."""
        if self._forks is None or self._forks.env != self.env:
            if self._forks is not None:
                self._forks.close()
            self._forks = _WorkerForks(dict(self.env), self.tmp)
        return self._forks.run()

    def drop(self) -> None:
        if self._forks is not None:
            self._forks.close()
            self._forks = None
        if ON_POSTGRES:
            self._admin(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")


class _WorkerForks:
    """A Python process with Django set up and the worker's code imported, and no database connection open; for
    each `run()` it forks a child that runs `db_worker --batch` to the end, as a new process would."""

    ARGS = ("--batch", "--no-startup-delay", "--no-reload", "--verbosity", "1")
    CODE = r"""
import os, sys, traceback
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tamasuk.settings")
import django
django.setup()
from importlib import import_module
from django.apps import apps
from django.core import checks
from django.core.management import call_command
from django.db import connections
for app in apps.get_app_configs():
    try:
        import_module(app.name + ".tasks")
    except ModuleNotFoundError:
        pass
checks.run_checks()  # imports every view, as the worker's own checks will
import_module("django_tasks_db.management.commands.db_worker")
connections.close_all()
args = sys.argv[1:]
for line in sys.stdin:
    log = line.strip()
    pid = os.fork()
    if pid == 0:
        code = 0
        with open(log, "w") as out:
            os.dup2(out.fileno(), 1)
            os.dup2(out.fileno(), 2)
            try:
                call_command("db_worker", *args)
            except BaseException:
                traceback.print_exc()
                code = 1
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    print(os.waitstatus_to_exitcode(status), flush=True)
"""

    def __init__(self, env: dict[str, str], folder: Path):
        self.env, self.log = env, folder / "worker.log"
        self.proc = subprocess.Popen([sys.executable, "-c", self.CODE, *self.ARGS], env=env, cwd=ROOT, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def run(self) -> str:
        self.proc.stdin.write(f"{self.log}\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline()
        output = self.log.read_text() if self.log.exists() else ""
        if answer.strip() != "0":
            raise subprocess.CalledProcessError(int(answer or -1), "db_worker", output)
        return output

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


@pytest.fixture
def fresh_database(tmp_path):
    db = FreshDatabase(tmp_path)
    yield db
    db.drop()


@pytest.fixture
def fresh_demo_database(tmp_path):
    """A fresh database with the demo city, as `tamasuk demo` leaves it (a copy of one made once: _Template)."""
    db = FreshDatabase(tmp_path, demo=True)
    yield db
    db.drop()


def client_of(username: str):
    """A test client signed in as one of the demo's users (for tests on the worker site, outside `client_for`)."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    c = Client()
    c.force_login(get_user_model().objects.get(username=username))
    return c


def job_of(response):
    """The import job an upload's redirect points to."""
    from tamasuk.imports.models import ImportJob

    assert response.status_code == 302, response.content.decode()[:2000]
    return ImportJob.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[1]))


def refreshed(obj):
    obj.refresh_from_db()
    return obj


# What a signed-in session may hold: the sign-in and the flash messages, never an uploaded file.
SESSION_KEYS = {"_auth_user_id", "_auth_user_backend", "_auth_user_hash", "_messages"}


@pytest.fixture(scope="module")
def worker_site(tmp_path_factory, django_db_blocker):
    """A fresh database with the demo city, used both by this process's Django (the test client) and by the real
    task worker in its own process (`worker_site.run_worker()`). A worker only sees committed rows, so these tests
    cannot live in pytest-django's rolled-back transaction; Django's connection points at this database for the
    module, and tests get it through `django_db_blocker.unblock()` (see the `live` fixtures that use it)."""
    import dj_database_url
    from django.test import override_settings

    db = FreshDatabase(tmp_path_factory.mktemp("worker-site"), demo=True)
    from django.db import connections

    conn = connections["default"]
    saved = conn.settings_dict["NAME"]
    with django_db_blocker.unblock(), pytest.MonkeyPatch.context() as mp:
        # Playwright's session-wide browser (other modules) leaves an event loop marked running in this
        # thread; nothing here is async, so Django's guard against sync database calls from async code
        # does not apply.
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        conn.close()
        conn.settings_dict["NAME"] = dj_database_url.parse(db.url)["NAME"]
        # A file uploaded through the test client here is read by the worker there: one storage, the site's.
        storage = override_settings(MEDIA_ROOT=str(db.media))
        storage.enable()
        try:
            yield db
        finally:
            storage.disable()
            conn.close()
            conn.settings_dict["NAME"] = saved
    db.drop()


@pytest.fixture
def live(worker_site, django_db_blocker):
    """The worker site, open to the database for one test."""
    with django_db_blocker.unblock():
        yield worker_site


@contextlib.contextmanager
def served(db: FreshDatabase, *options: str):
    """The real `tamasuk serve` on this database, once it accepts connections → (its address, its process)."""
    port = _free_port()
    log_path = db.tmp / "server.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "tamasuk", "serve", *options, "--port", str(port)],
                                env=db.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            # Migrating, loading the demo and collecting static files take ~30 s idle, minutes on a busy machine.
            deadline = time.time() + 600
            while time.time() < deadline:
                if proc.poll() is not None:
                    raise RuntimeError("server exited:\n" + log_path.read_text())
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=1):
                        break
                except OSError:
                    time.sleep(0.3)
            else:
                raise RuntimeError("server did not start:\n" + log_path.read_text())
            yield f"http://127.0.0.1:{port}", proc
        finally:
            proc.terminate()
            proc.wait(timeout=20)


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """The real `tamasuk serve --init` on the demo city, as `make run` starts it the second time (the first time,
    on an empty database, is test_web's `test_make_run_on_an_empty_database_loads_the_demo_and_serves_it`)."""
    db = FreshDatabase(tmp_path_factory.mktemp("server"), demo=True)
    with served(db, "--init") as (url, _proc):
        yield {"url": url, "log": db.tmp / "server.log", "env": db.env}  # env: to read the served database
    db.drop()


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


# One Chromium per module, not per session: a running Playwright marks this thread's event loop as running, and
# Django then refuses every database call. On the xdist worker that runs the browser tests, in-process database
# tests come after them; closing Playwright at the end of each browser module lets them run (~1 s per module).
@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is required in CI (make test installs it as root)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
            "--no-first-run", "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture
def page_in(browser):
    """page_in(locale) → a new page whose browser says it speaks that language."""
    contexts = []

    def make(locale: str = "en-GB"):
        ctx = browser.new_context(locale=locale, extra_http_headers={"Accept-Language": locale})
        contexts.append(ctx)
        return ctx.new_page()

    yield make
    for ctx in contexts:
        ctx.close()


@pytest.fixture(autouse=True)
def _english_by_default():
    """Each test starts in English: a request in another language must not leak into the next test."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


# ---- a small plan, for the plan tests ----

@pytest.fixture
def framework(db):
    from tamasuk.plans import services as plan_services

    return plan_services.create_framework(actor="test", country="KEN", name="NAP test", start_year=2024,
                                          end_year=2028, pillars=[("N1", "Prevention"), ("N2", "Policing"), ("N3", "Rehabilitation")])


@pytest.fixture
def draft(db, city, users, framework):
    """A small draft plan: one pillar, one objective, two activities (one led by the member's organisation, with
    partners, wards and titles in three languages), an indicator counting people by sex and age band, and an
    objective-level outcome indicator."""
    from decimal import Decimal

    from tamasuk.plans import services as plan_services

    coordinator = users["coordinator"]
    member_org = users["member"].organisations.get()
    other_org = city.organisations.exclude(pk=member_org.pk).first()
    plan = plan_services.create_plan(actor=coordinator, city=city, title="Test plan", start_year=2024, end_year=2026,
                                framework=framework, currency="KES",
                                titles={"sw": "Mpango wa majaribio", "ar": "خطة تجريبية"})
    pillar = plan_services.add_pillar(actor=coordinator, plan=plan, code="1", title="Youth")
    objective = plan_services.add_objective(actor=coordinator, pillar=pillar, code="1.1", title="Youth jobs",
                                       titles={"sw": "Ajira kwa vijana"})
    mine = plan_services.add_activity(actor=coordinator, objective=objective, code="1.1.1", title="Mentoring",
                                 lead=member_org, start=dt.date(2024, 1, 1), end=dt.date(2025, 12, 31),
                                 budget=Decimal("100000"), national_pillars=list(framework.pillars.filter(code="N1")),
                                 areas=list(city.areas.filter(level=2)[:2]), partners=[other_org],
                                 titles={"sw": "Ushauri", "ar": "الإرشاد"}, status="ongoing")
    theirs = plan_services.add_activity(actor=coordinator, objective=objective, code="1.1.2", title="Amnesty",
                                   lead=other_org, start=dt.date(2024, 1, 1), end=dt.date(2024, 6, 30))
    indicator = plan_services.add_indicator(actor=coordinator, plan=plan, activity=mine, code="I1",
                                       name="Young people mentored", unit="people", counts_people=True,
                                       baseline_value=Decimal(0), baseline_date=dt.date(2023, 12, 31),
                                       targets={2024: 50, 2025: 120}, disaggregation=["sex", "age_band"],
                                       names={"sw": "Vijana waliopewa ushauri"})
    trust = plan_services.add_indicator(actor=coordinator, plan=plan, objective=objective, code="O1",
                                   name="Residents who trust the police", unit="%", kind="outcome",
                                   baseline_value=Decimal("31.5"), baseline_date=dt.date(2023, 6, 30),
                                   targets={2024: Decimal("35.25"), 2026: 45})
    return {"plan": plan, "pillar": pillar, "objective": objective, "mine": mine, "theirs": theirs,
            "indicator": indicator, "trust": trust}
