"""Shuzhi settings, read from the environment.

Every variable is documented in the README's configuration table.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

DEV_SECRET_KEY = "dev-insecure-shuzhi-key-change-me"


def envbool(name: str, default: str) -> bool:
    return os.getenv(name, default).strip().lower() in ("1", "true", "yes", "on")


def envint(name: str, default: str) -> int:
    return int(os.getenv(name, default))


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.getenv(name, default).split(",") if item.strip()]


def database_from_url(url: str) -> dict:
    """Turn DATABASE_URL (sqlite:///path or postgres://user:pw@host:port/name) into Django's dict."""
    parts = urlsplit(url)
    options = dict(parse_qsl(parts.query))
    if parts.scheme == "sqlite":
        path = unquote(parts.path)
        # sqlite:///relative.db and sqlite:////abs/path.db
        name = path[1:] if path.startswith("/") else path
        if name and not name.startswith("/"):
            name = str(BASE_DIR / name)
        name = name or str(BASE_DIR / "db.sqlite3")
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": name,
            # Tests use a file too (not shared-cache memory), so concurrent threads lock as in production.
            "TEST": {"NAME": None if name == ":memory:" else f"{name}-test"},
            # WAL + IMMEDIATE avoid "database is locked" under concurrent ballot submits.
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                # secure_delete: a deleted row's content is overwritten (held ballots, docs/secrecy.md).
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA secure_delete=ON;"
                ),
            },
        }
    if parts.scheme in ("postgres", "postgresql", "pgsql"):
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": options.pop("host", None) or parts.hostname or "",
            "PORT": str(parts.port or ""),
            # Persistent connections: a write view is ~2.7x slower without them.
            "CONN_MAX_AGE": envint("DB_CONN_MAX_AGE", "600"),
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": {
                # PostgreSQL's default 4 MB makes a province dashboard's sorts and hashes of 150,000
                # organisations spill to disk (0.3 s against 0.18 s); per sort or hash, per connection.
                "options": "-c work_mem=" + os.getenv("DB_WORK_MEM", "32MB"),
                **options,
            },
        }
    raise ImproperlyConfigured(f"Unsupported DATABASE_URL scheme: {parts.scheme!r}")


DEBUG = envbool("DEBUG", "true")
SECRET_KEY = os.getenv("SECRET_KEY", DEV_SECRET_KEY)
if not DEBUG and SECRET_KEY == DEV_SECRET_KEY:
    raise ImproperlyConfigured("Set SECRET_KEY: the development key is refused when DEBUG is off.")

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")
SITE_URL = os.getenv("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "axes",
    "shuzhi.apps.ShuzhiConfig",
    "reviews",
    "scoring",
    # After `reviews`, whose db_worker (reviews/management/commands) adds heartbeats and recovery.
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "shuzhi.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "shuzhi.middleware.AuditorReadOnlyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "shuzhi.idle.IdleLogoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "shuzhi.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "shuzhi.middleware.ChineseNotFoundMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the refusal page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "shuzhi.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "shuzhi.csp.nonce",
            ],
        },
    },
]

WSGI_APPLICATION = "shuzhi.wsgi.application"

DATABASES = {"default": database_from_url(os.getenv("DATABASE_URL", "sqlite:///db.sqlite3"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Checked whenever a password is set through a form (admin, password change); existing passwords,
# such as the demo accounts' from seed_demo, are not re-checked. Django's messages are translated.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "shuzhi.passwords.MinimumLengthValidator",
        "OPTIONS": {"min_length": envint("PASSWORD_MIN_LENGTH", "10")},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login throttling (django-axes, shuzhi/logins.py): LOGIN_FAILURES_PER_ACCOUNT failed logins for one
# account, or LOGIN_FAILURES_PER_ADDRESS from one client address, refuse further attempts until
# LOGIN_LOCKOUT_MINUTES pass without a counted failure.
AUTHENTICATION_BACKENDS = [
    "shuzhi.logins.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_FAILURES_PER_ACCOUNT = envint("LOGIN_FAILURES_PER_ACCOUNT", "5")
LOGIN_FAILURES_PER_ADDRESS = envint("LOGIN_FAILURES_PER_ADDRESS", "20")
LOGIN_LOCKOUT_MINUTES = envint("LOGIN_LOCKOUT_MINUTES", "15")
AXES_HANDLER = "shuzhi.logins.TwoLimitHandler"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # two counters; TwoLimitHandler gives each its limit
AXES_FAILURE_LIMIT = 1  # TwoLimitHandler counts the limits reached, not the failures
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # refused attempts do not prolong the lock
AXES_CLIENT_IP_CALLABLE = "shuzhi.client.client_address"  # TRUSTED_PROXY_COUNT, as the ballot throttle
AXES_LOCKOUT_CALLABLE = "shuzhi.logins.lockout_response"
AXES_ENABLE_ADMIN = False  # unlock with manage.py axes_reset_username / axes_reset_ip
AXES_VERBOSE = False

# Idle logout (shuzhi/idle.py): a logged-in session ends after this many minutes without a request.
# The host console polls every 2 s, so it stays logged in while it is open.
SESSION_IDLE_MINUTES = envint("SESSION_IDLE_MINUTES", "30")
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = os.getenv("LANGUAGE_CODE", "zh-hans")
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.getenv("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.getenv("STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_ROOT = Path(os.getenv("MEDIA_ROOT", BASE_DIR / "media"))
# Report drafts and evidence files: outside any web root, served only through permission-checked views.
PRIVATE_MEDIA_ROOT = Path(os.getenv("PRIVATE_MEDIA_ROOT", BASE_DIR / "var" / "private"))
UPLOAD_MAX_BYTES = envint("UPLOAD_MAX_BYTES", str(20 * 1024 * 1024))
# Personal data: a topic proposer's phone number is kept this many days after the suggestion came in, and
# no longer than its session's meeting (then `manage.py purge_personal_data`, run daily, clears it).
TOPIC_PHONE_RETENTION_DAYS = envint("TOPIC_PHONE_RETENTION_DAYS", "60")
# Default time allowed to rectify a handed-over problem (整改时限), in months from the notice.
RECTIFICATION_MONTHS = envint("RECTIFICATION_MONTHS", "3")
# The administrative level of the tree's root and of each depth below it (reviews/orgs/levels.py):
# a county "county,township,village", a province without cities "province,county,township,village".
TREE_LEVELS = envlist("TREE_LEVELS", "county,township,village")
# Seconds the cycle dashboard's rectification figures are kept in the cache (0: computed on every view).
DASHBOARD_CACHE_SECONDS = envint("DASHBOARD_CACHE_SECONDS", "0")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Shared by every worker and every app server when DEBUG is off (the meeting console, the clerk's page and
# the screen keep short-lived keys here): Django's database cache, in the table that migration
# shuzhi/0001 creates (`manage.py createcachetable` makes it too). The throttles do not use it: they
# count in the database with one atomic statement (shuzhi/throttle.py). With DEBUG on (make run, tests):
# one process's memory.
CACHE_TABLE = "shuzhi_cache"
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
        if DEBUG
        else {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": CACHE_TABLE,
            # A few keys per session in use (screen, ranking, clerk): room for a province's meeting days.
            "OPTIONS": {"MAX_ENTRIES": 20000},
        }
    )
}
CSRF_FAILURE_VIEW = "shuzhi.views.csrf_failure"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Largest Excel import accepted (bytes).
IMPORT_MAX_BYTES = envint("IMPORT_MAX_BYTES", str(10 * 1024 * 1024))
DATA_UPLOAD_MAX_NUMBER_FIELDS = 20000

SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if envbool("BEHIND_HTTPS_PROXY", "false") else None
)
# Reverse proxies of our own in front of the app (nginx: 1). Their X-Forwarded-For entries name the
# client; anything before them is the client's own claim and is ignored (shuzhi/client.py).
TRUSTED_PROXY_COUNT = envint("TRUSTED_PROXY_COUNT", "1" if envbool("BEHIND_HTTPS_PROXY", "false") else "0")
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "false")
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", "false" if DEBUG else "true")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", "0")
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", "false")
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", "false")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# No log line names a delegate's code, a receipt or a screen/topic token: the paths that carry them
# are rewritten to /vote/…, /screen/…, /topics/p/… where the records are made (shuzhi/logfilters.py).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"secret_paths": {"()": "shuzhi.logfilters.RedactSecretPaths"}},
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["secret_paths"]},
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["secret_paths"],
        },
    },
    "loggers": {
        "django.request": {"filters": ["secret_paths"]},
        "django.security.csrf": {"filters": ["secret_paths"]},
        "django.server": {
            "handlers": ["django.server"],
            "level": "INFO",
            "propagate": False,
            "filters": ["secret_paths"],
        },
    },
    "root": {"handlers": ["console"], "level": os.getenv("LOG_LEVEL", "WARNING")},
}

# Background jobs (reviews/jobs/): django-tasks with its database backend; the worker is
# `manage.py db_worker` (several may run, on any server: they claim tasks with row locks).
TASKS = {
    "default": {
        "BACKEND": os.getenv("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}
# Progress of a running job is written here (small JSON files), so a page sees it while the job's own
# transaction is still open, on SQLite as on PostgreSQL. Several servers: put it on the shared volume.
JOBS_PROGRESS_DIR = Path(os.getenv("JOBS_PROGRESS_DIR", BASE_DIR / "var" / "jobs"))
# A running job whose worker has not been heard of for this long was interrupted (a restart, a crash):
# it is queued once more, then marked failed.
JOB_STALE_SECONDS = envint("JOB_STALE_SECONDS", "60")
# How often a worker (and a running job) says it is alive.
JOB_HEARTBEAT_SECONDS = envint("JOB_HEARTBEAT_SECONDS", "5")
# A job's result file (slips carry codes' secrets) is deleted this many hours after it is finished.
JOB_RESULT_HOURS = envint("JOB_RESULT_HOURS", "24")
# manage.py healthcheck: the newest worker heartbeat and the oldest queued job may be this old.
# Modules imported at start-up that register more job kinds (the tests' worker processes use it).
JOBS_EXTRA_MODULES = envlist("JOBS_EXTRA_MODULES", "")
HEALTH_WORKER_SECONDS = envint("HEALTH_WORKER_SECONDS", "60")
HEALTH_QUEUE_SECONDS = envint("HEALTH_QUEUE_SECONDS", "300")
