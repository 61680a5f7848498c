"""Settings, all from environment variables with working defaults.

The defaults give the embedded single-machine set-up: an SQLite file and a
filesystem Celery broker under ``var/``, media on disk. At scale set
``DATABASE_URL`` (PostgreSQL), ``CELERY_BROKER_URL`` (Redis) and, optionally,
the ``S3_*`` variables for S3-compatible media storage.
"""
from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

from imaging.probe import DEFAULT_MAX_PIXELS

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
#: True inside a pytest run (pytest sets PYTEST_VERSION; the test worker inherits it).
TESTING = "PYTEST_VERSION" in os.environ
if TESTING:
    # One id per test run, inherited by the worker processes the tests start, so that two test
    # runs on one machine never share a test database, a broker folder or media.
    os.environ.setdefault("FILMLAB_TEST_RUN", str(os.getpid()))
    TEST_RUN_DIR = VAR_DIR / "test-runs" / os.environ["FILMLAB_TEST_RUN"]


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


#: Off unless asked for (``DEBUG=1``): errors are the site's own 403/404/500 pages, never Django's debug pages.
DEBUG = env_bool("DEBUG", False)
#: ``SECRET_KEY``, else the local key that the one-command start writes (``SECRET_KEY_FILE``, default
#: ``var/secret-key``, made by ``make run``); in production set ``SECRET_KEY``, the same on every server.
SECRET_KEY_FILE = Path(os.environ.get("SECRET_KEY_FILE", VAR_DIR / "secret-key"))
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY and SECRET_KEY_FILE.is_file():
    SECRET_KEY = SECRET_KEY_FILE.read_text().strip()
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        raise RuntimeError(f"SECRET_KEY must be set when DEBUG is off (or a local key written to {SECRET_KEY_FILE} "
                           "by `make run`; in production set SECRET_KEY, the same on every server).")
    SECRET_KEY = "dev-only-insecure-key-set-SECRET_KEY-in-production"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
CSRF_FAILURE_VIEW = "webapp.errors.csrf_failure"  # the site's 403 page, with a sentence

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "webapp",
    "jobs",
    "annotation",
    "synthesis",
    "restoration",
    "evaluation",
    "surveys",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "webapp.urls"
WSGI_APPLICATION = "webapp.wsgi.application"
ASGI_APPLICATION = "webapp.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "webapp" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "webapp.context_processors.navigation",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The web server and the Celery worker are separate processes: wait for
    # the write lock instead of failing, and give the test database a file so
    # that a real worker process can open it too.
    DATABASES["default"]["OPTIONS"] = {"timeout": 30, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["TEST"] = {"NAME": str(TEST_RUN_DIR / "db.sqlite3") if TESTING else ""}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication -----------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files and media ----------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "staticfiles"))
#: The built browser code (frontend/build.mjs). Inside pytest, its test build: the same bundles with the
#: window.__* hooks the browser tests drive, which the production build leaves out.
FRONTEND_DIST = BASE_DIR / "frontend" / ("dist-test" if TESTING else "dist")
STATICFILES_DIRS = [FRONTEND_DIST]
try:  # Plotly's browser bundle ships inside the Python package: serve it as static/plotly/.
    import plotly as _plotly

    STATICFILES_DIRS.append(("plotly", Path(_plotly.__file__).parent / "package_data"))
except ImportError:  # pragma: no cover
    pass
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", TEST_RUN_DIR / "media" if TESTING else VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "webapp.staticfiles.GzipStaticFilesStorage"},
}
#: Where a worker keeps local copies of stored files it must open by path (network weights for torch), by name:
#: ``webapp.storage.local_copy``. With media on disk the stored file itself is opened and nothing is copied.
STORAGE_CACHE_DIR = Path(os.environ.get("STORAGE_CACHE_DIR",
                                        TEST_RUN_DIR / "storage-cache" if TESTING else VAR_DIR / "storage-cache"))
#: How long a signed S3 URL (a download of a private file, given after its view checked who asks) stays valid.
S3_URL_SECONDS = int(os.environ.get("S3_URL_SECONDS", 600))


def s3_storage(environ) -> dict:
    """The S3 storage (django-storages) that the ``S3_*`` variables in ``environ`` describe."""
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": environ["S3_BUCKET"],
            "endpoint_url": environ.get("S3_ENDPOINT_URL") or None,
            "region_name": environ.get("S3_REGION") or None,
            "access_key": environ.get("S3_ACCESS_KEY_ID") or None,
            "secret_key": environ.get("S3_SECRET_ACCESS_KEY") or None,
            # every URL the storage gives is signed and expires; the bucket itself stays private
            "querystring_auth": True,
            "querystring_expire": int(environ.get("S3_URL_SECONDS", 600)),
            "signature_version": "s3v4",
            "file_overwrite": True,
            "default_acl": None,
        },
    }


if os.environ.get("S3_BUCKET"):
    STORAGES["default"] = s3_storage(os.environ)
# With DEBUG off WhiteNoise serves what collectstatic wrote to STATIC_ROOT (``make run`` and ``make serve`` run it);
# the tests' live server serves the test build through the finders.
WHITENOISE_USE_FINDERS = DEBUG or TESTING
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024

# --- HTTPS (``manage.py check --deploy`` passes with DEBUG=0, HTTPS=1, SECRET_KEY and ALLOWED_HOSTS set) -----------
#: ``HTTPS=1``: the site is served over HTTPS (itself or behind a proxy): secure cookies, HSTS and a redirect of
#: plain HTTP. ``PROXY_SSL_HEADER`` (e.g. ``X-Forwarded-Proto``) names the header a proxy sets to ``https``.
HTTPS = env_bool("HTTPS", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HTTPS)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # health checks from inside the network speak plain HTTP
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", HTTPS)
if os.environ.get("PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + os.environ["PROXY_SSL_HEADER"].strip().upper().replace("-", "_"), "https")

# --- REST API ------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: its challenge (``WWW-Authenticate: Token``) makes an unauthenticated call a 401, not a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "EXCEPTION_HANDLER": "webapp.api.exception_handler",  # one error shape: {"detail": ..., "code": ...}
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 100,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Film artefact lab API",
    "DESCRIPTION": "Annotate, model, synthesise, restore and evaluate analogue film damage.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the sidecar package: the docs page works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Choice sets used by fields of the same name in several components, named once (else a hash suffix).
    "ENUM_NAME_OVERRIDES": {
        "DamageClassEnum": "annotation.core.types.CLASSES",
        "FilmFormatEnum": "annotation.models.FILM_FORMAT_CHOICES",
        "ScanPolarityEnum": "annotation.models.Scan.Polarity",
    },
}

# --- Celery ----------------------------------------------------------------------
BROKER_DIR = Path(os.environ.get("CELERY_BROKER_DIR", TEST_RUN_DIR / "broker" if TESTING else VAR_DIR / "broker"))
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://localhost//")
#: Redis hands a message that a worker took but did not acknowledge to another worker after this many seconds.
#: Jobs do not depend on it (a job's lease makes a second delivery of a running job do nothing, and a dead
#: worker's job is taken over when its lease expires); it is set above the longest job all the same (24 h).
CELERY_VISIBILITY_TIMEOUT = int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", 24 * 3600))
CELERY_BROKER_TRANSPORT_OPTIONS = {}
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "control_folder": str(BROKER_DIR / "control"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "store_processed": False,
    }
    for _sub in ("queue", "control", "processed"):
        (BROKER_DIR / _sub).mkdir(parents=True, exist_ok=True)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = "cpu"
CELERY_TASK_ALWAYS_EAGER = False
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TRACK_STARTED = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
#: Jobs run once (jobs/leases.py): the worker running a job holds a lease on its row for JOBS_LEASE_SECONDS,
#: renewed every JOBS_HEARTBEAT_SECONDS; every JOBS_STOP_CHECK_SECONDS the job looks for a cancel or stop
#: request; a stopping worker gives its jobs JOBS_SHUTDOWN_GRACE_SECONDS to stop at their next step, then hands
#: them back and ends (well within 10 s). Every worker looks for expired leases at start and every
#: JOBS_SWEEP_SECONDS.
JOBS_LEASE_SECONDS = float(os.environ.get("JOBS_LEASE_SECONDS", 180))
JOBS_HEARTBEAT_SECONDS = float(os.environ.get("JOBS_HEARTBEAT_SECONDS", 30))
JOBS_STOP_CHECK_SECONDS = float(os.environ.get("JOBS_STOP_CHECK_SECONDS", 1))
JOBS_SHUTDOWN_GRACE_SECONDS = float(os.environ.get("JOBS_SHUTDOWN_GRACE_SECONDS", 3))
JOBS_SWEEP_SECONDS = float(os.environ.get("JOBS_SWEEP_SECONDS", 60))
if JOBS_HEARTBEAT_SECONDS * 2 > JOBS_LEASE_SECONDS:
    raise RuntimeError("JOBS_LEASE_SECONDS must be at least twice JOBS_HEARTBEAT_SECONDS, so that one late "
                       f"heartbeat does not lose a lease (now {JOBS_LEASE_SECONDS} and {JOBS_HEARTBEAT_SECONDS}).")

# --- Product settings --------------------------------------------------------------
#: Largest image accepted anywhere, in pixels (decompression-bomb guard): the shells pass it to the
#: pure readers as ``max_pixels``, whose default it is.
MAX_IMAGE_PIXELS = int(os.environ.get("MAX_IMAGE_PIXELS", DEFAULT_MAX_PIXELS))
#: Where the public FilmDamageSimulator data lives (used by demo content).
FILM_DAMAGE_DATA = Path(
    os.environ.get("FILM_DAMAGE_DATA", BASE_DIR.parent / "shared" / "data" / "film-damage-simulator")
)
#: One authentic damaged frame with its expert restoration (demo content: the authentic benchmark), used by path.
AUTHENTIC_DEV_DATA = Path(
    os.environ.get("AUTHENTIC_DEV_DATA", BASE_DIR.parent / "shared" / "data" / "authentic-dev")
)
#: Server folders that web pages and the API may name (clean images, training datasets, survey
#: sources), separated by the OS path separator; management commands are not limited. Tests add
#: the system's temporary folder, where they make their folders.
SERVER_FOLDER_ROOTS = [Path(p) for p in os.environ.get(
    "SERVER_FOLDER_ROOTS", os.pathsep.join(map(str, (VAR_DIR, MEDIA_ROOT, FILM_DAMAGE_DATA)))).split(os.pathsep) if p]
if TESTING and "SERVER_FOLDER_ROOTS" not in os.environ:
    import tempfile

    SERVER_FOLDER_ROOTS.append(Path(tempfile.gettempdir()))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

VAR_DIR.mkdir(parents=True, exist_ok=True)
if TESTING:
    TEST_RUN_DIR.mkdir(parents=True, exist_ok=True)
