"""Tamasuk settings: one module, configured from the environment.

Defaults are safe for production (DEBUG off, secure cookies, HSTS); `make run` turns HTTPS off because it
serves plain http on 127.0.0.1.
"""

import os
import secrets
import tempfile
from datetime import timedelta
from pathlib import Path

import dj_database_url
from whitenoise.compress import Compressor

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


VAR_DIR = Path(env_str("TAMASUK_VAR_DIR", str(PROJECT_DIR / "var")))


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one random key per installation kept in var/.

    Never a constant in the code: a leaked default key would let anyone forge sessions.
    """
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

HTTPS = env_bool("HTTPS", True)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
# Opt-in: a domain on the browsers' preload list stays https-only, subdomains included, for months after it asks
# to leave. The deploy check's reminder about it (security.W021) is silenced below.
SECURE_HSTS_PRELOAD = HTTPS and env_bool("SECURE_HSTS_PRELOAD", False)
# Behind a reverse proxy that terminates TLS (README, "Production: behind a reverse proxy"): `tamasuk serve`
# (waitress) takes X-Forwarded-For and X-Forwarded-Proto from this one peer address only ("*": any peer, for a
# port only the proxy can reach) and drops them from every other peer. From the trusted proxy it sets REMOTE_ADDR
# to the client's address (the X-Forwarded-For entry TRUSTED_PROXY_COUNT from the right, the one the outermost of
# that many proxies in a row appended: what a client wrote before it is ignored) and wsgi.url_scheme, which Django
# reads. Unset, every client shares the proxy's address (one lockout for all) and every page redirects to https.
TRUSTED_PROXY = env_str("TAMASUK_TRUSTED_PROXY", "").strip() or None
TRUSTED_PROXY_COUNT = env_int("TAMASUK_TRUSTED_PROXY_COUNT", 1)
TRUSTED_PROXY_HEADERS = env_list("TAMASUK_TRUSTED_PROXY_HEADERS", "x-forwarded-for,x-forwarded-proto")
# The scheme comes from waitress (wsgi.url_scheme), which checked the peer; Django reading X-Forwarded-Proto
# itself would believe it from anyone under a server that does not drop it (runserver, another WSGI server).
SECURE_PROXY_SSL_HEADER = None
# The old switch: it trusted the header in Django while waitress dropped it (every page redirected to https
# again). `tamasuk serve` refuses it without TAMASUK_TRUSTED_PROXY rather than loop.
BEHIND_PROXY = env_bool("BEHIND_PROXY", False)
SILENCED_SYSTEM_CHECKS = ["security.W021"]  # HSTS preload is opt-in (SECURE_HSTS_PRELOAD above)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 12)
X_FRAME_OPTIONS = "DENY"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "csp",
    "axes",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "tamasuk.audit",
    "tamasuk.cities",
    "tamasuk.imports",
    "tamasuk.mapping",
    "tamasuk.network",
    "tamasuk.plans",
    "tamasuk.web",
    "tamasuk.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "tamasuk.web.nul.RefuseNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    # Last, so it sees each page as rendered (before gzip): Arabic digits and separators by the city's choice.
    "tamasuk.web.digits.ArabicDigitsMiddleware",
]

ROOT_URLCONF = "tamasuk.urls"
WSGI_APPLICATION = "tamasuk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tamasuk.web.context_processors.tamasuk",
            ],
        },
    },
]

# SQLite by default, in ./var/, with WAL and a busy timeout so the web server and the task worker can share it.
# IMMEDIATE transactions take the write lock up front: concurrent writers queue instead of failing mid-way,
# which also serialises audit-chain appends on SQLite.
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'tamasuk.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("CONN_MAX_AGE", 0))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # Tests use a file too: threads in the audit-chain test need real locking, not a shared in-memory cache.
    # One file per test process, so two suites running at once never share (and break) a database.
    DATABASES["default"]["TEST"] = {"NAME": str(Path(tempfile.gettempdir()) / f"tamasuk-test-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Background jobs (imports) live in the same database; `tamasuk serve` starts a `db_worker` beside waitress,
# and any number of workers on other machines may share the queue.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Messages can carry a new account's temporary password: keep them server-side, never in a cookie.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
# A refused form (expired or cookie blocked) gets a page in the reader's language with a way back.
CSRF_FAILURE_VIEW = "tamasuk.web.errors.csrf_failure"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

# Login throttling: 5 failures for one username from one address lock that pair for 15 minutes.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/locked_out.html"
AXES_VERBOSE = False
# The client's address is REMOTE_ADDR, which waitress replaces by the forwarded one only for the trusted proxy
# (TAMASUK_TRUSTED_PROXY); never a header read here, which any client could set. Pinned, so that installing
# django-ipware (which axes would otherwise use) changes nothing.
AXES_CLIENT_IP_CALLABLE = "tamasuk.settings.client_address"


def client_address(request) -> str | None:
    return request.META.get("REMOTE_ADDR")


LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("ar", "العربية"),
    ("fr", "Français"),
    ("sw", "Kiswahili"),
]
LANGUAGES_BIDI = ["ar"]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["tamasuk.formats"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_MAX_AGE = 60 * 60 * 24
# Source maps (the API docs' bundles, 10 MB) are for developers' tools, not residents' phones: compressing them
# took two thirds of `collectstatic`, which `serve --init` runs at every start.
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = [*Compressor.SKIP_COMPRESS_EXTENSIONS, "map"]
# Uploaded evidence: never served as static files, only through views that check who may read it.
MEDIA_ROOT = Path(env_str("TAMASUK_MEDIA_ROOT", str(VAR_DIR / "media")))
EVIDENCE_MAX_BYTES = env_int("TAMASUK_EVIDENCE_MAX_BYTES", 10 * 1024 * 1024)
# Imported files (tamasuk.imports) live in the same storage, under imports/, until the job is imported or discarded.
# A job held by a worker with no sign of life for this long had its worker die: it is marked failed, and may be
# retried. On SQLite the sign of life pauses while an import writes, so it must exceed the longest import.
IMPORT_JOB_TIMEOUT = env_int("TAMASUK_IMPORT_JOB_TIMEOUT", 30 * 60)
# Files of imports left unfinished are deleted after this many days (`tamasuk purge_imports`, run by serve).
IMPORT_FILE_DAYS = env_int("TAMASUK_IMPORT_FILE_DAYS", 14)

# No inline scripts or styles anywhere: htmx and our few enhancements are static files.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}

TAMASUK_DEMO_BANNER = True
