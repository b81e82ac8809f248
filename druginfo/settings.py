"""Django settings for druginfo, read from environment variables.

Every setting that differs between a laptop and production comes from the
environment through the small typed helpers below, which refuse values they
cannot parse instead of guessing. With nothing set, a fresh checkout runs with
DEBUG on, SQLite under ``var/`` and a generated development secret key. With
``DJANGO_DEBUG=false``, a missing ``DJANGO_SECRET_KEY`` or
``DJANGO_ALLOWED_HOSTS`` stops start-up. README.md lists every variable.
"""

import importlib.util
import json
import logging
import os
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE_WORDS = frozenset({"true", "1", "yes", "on"})
_FALSE_WORDS = frozenset({"false", "0", "no", "off"})


def env_str(name: str, default: str = "") -> str:
    """Return the variable ``name`` stripped of surrounding spaces, or ``default`` if unset."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip()


def env_bool(name: str, default: bool) -> bool:
    """Return the variable ``name`` as a bool; unset or empty gives ``default``.

    Accepts true/false, 1/0, yes/no, on/off (any case). Anything else is an
    error: a typo in DJANGO_DEBUG must never quietly turn debug on or off.
    """
    raw = env_str(name)
    if not raw:
        return default
    word = raw.lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a yes/no value. Use one of: true, false, 1, 0, yes, no, on, off."
    )


def env_int(name: str, default: int) -> int:
    """Return the variable ``name`` as a whole number; unset or empty gives ``default``."""
    raw = env_str(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    """Return the variable ``name`` split on commas, items stripped, empty items dropped."""
    raw = env_str(name)
    if not raw:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_path(name: str, default: Path) -> Path:
    """Return the variable ``name`` as an absolute path; relative paths start at BASE_DIR."""
    raw = env_str(name)
    path = Path(raw).expanduser() if raw else Path(default)
    if not path.is_absolute():
        path = BASE_DIR / path
    return path


def _read_or_create_dev_secret_key(path: Path) -> str:
    """Return the development secret key stored at ``path``, creating it on first use."""
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    try:
        # O_EXCL: if two processes start at once, the second reads the first's key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as file:
        file.write(key + "\n")
    return key


def _parse_site_url(name: str, default: str) -> str:
    raw = env_str(name) or default
    parts = urlsplit(raw)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not an absolute http(s) address, e.g. https://druginfo.example.org"
        )
    return raw.rstrip("/")


def _parse_cache_url(name: str) -> dict:
    raw = env_str(name)
    if not raw:
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    parts = urlsplit(raw)
    if parts.scheme == "locmem":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    if parts.scheme == "dummy":
        return {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    if parts.scheme == "file" and parts.path:
        return {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": parts.path,
        }
    if parts.scheme in {"redis", "rediss"}:
        if importlib.util.find_spec("redis") is None:
            raise ImproperlyConfigured(
                f"{name} asks for Redis, but the 'redis' Python package is not installed."
            )
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": raw}
    raise ImproperlyConfigured(
        f"{name} must start with locmem://, dummy://, file:///path, redis:// or rediss://."
    )


def _parse_search_backend(name: str, database_engine: str) -> str:
    """``whoosh`` or ``postgres``; unset chooses ``postgres`` on a PostgreSQL database."""
    on_postgres = database_engine == "django.db.backends.postgresql"
    raw = env_str(name).lower()
    if not raw:
        return "postgres" if on_postgres else "whoosh"
    if raw not in {"whoosh", "postgres"}:
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not a search backend; use whoosh or postgres."
        )
    if raw == "postgres" and not on_postgres:
        raise ImproperlyConfigured(
            f"{name}=postgres needs a PostgreSQL database: set DATABASE_URL=postgres://..."
        )
    return raw


def _parse_storage(name: str, options_name: str) -> dict:
    """The default file storage: a dotted class path and its options as a JSON object."""
    backend = env_str(name) or "django.core.files.storage.FileSystemStorage"
    module, _, class_name = backend.rpartition(".")
    if not module or not class_name.isidentifier():
        raise ImproperlyConfigured(
            f"{name}={backend!r} is not a dotted class path, e.g. "
            "django.core.files.storage.FileSystemStorage"
        )
    raw_options = env_str(options_name)
    try:
        options = json.loads(raw_options) if raw_options else {}
    except ValueError:
        options = None
    if not isinstance(options, dict):
        raise ImproperlyConfigured(
            f'{options_name} is not a JSON object, e.g. {{"location": "/srv/druginfo-media"}}'
        )
    return {"BACKEND": backend, "OPTIONS": options}


def _parse_log_level(name: str, default: str) -> str:
    level = (env_str(name) or default).upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise ImproperlyConfigured(
            f"{name}={level!r} is not a log level; use DEBUG, INFO, WARNING, ERROR or CRITICAL."
        )
    return level


# Countries whose emergency numbers monographs/emergency.py knows.
SITE_COUNTRIES = ("GB", "US", "EU")


def _parse_site_country(name: str, default: str) -> str:
    country = (env_str(name) or default).upper()
    if country not in SITE_COUNTRIES:
        raise ImproperlyConfigured(
            f"{name}={country!r} is not a country the site has emergency numbers for;"
            f" use one of: {', '.join(SITE_COUNTRIES)}."
        )
    return country


class _LogfmtFormatter(logging.Formatter):
    """Formats a record as one logfmt line: time=... level=... logger=... message=...

    Values with spaces, quotes or newlines are JSON-quoted, so a traceback stays
    on one line. Only these fields are written: never the request (its body,
    cookies or headers) that django.request attaches to its records.
    """

    def format(self, record: logging.LogRecord) -> str:
        fields = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        status_code = getattr(record, "status_code", None)
        if status_code is not None:
            fields["status"] = status_code
        if record.exc_info:
            fields["exc"] = self.formatException(record.exc_info)
        return " ".join(f"{key}={_format_logfmt_value(value)}" for key, value in fields.items())


def _format_logfmt_value(value: object) -> str:
    text = str(value)
    if text and not any(char in text for char in ' ="\\') and text.isprintable():
        return text
    return json.dumps(text, ensure_ascii=False)


# --- Core -------------------------------------------------------------------

DEBUG = env_bool("DJANGO_DEBUG", True)

VAR_DIR = env_path("DJANGO_VAR_DIR", BASE_DIR / "var")

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off "
            "(a random string of 50 or more characters)."
        )
    SECRET_KEY = _read_or_create_dev_secret_key(VAR_DIR / "secret_key")

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_ALLOWED_HOSTS must be set when DJANGO_DEBUG is off "
            "(comma-separated host names, e.g. druginfo.example.org)."
        )
    ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

SITE_URL = _parse_site_url("SITE_URL", "http://127.0.0.1:8000")

# Whose emergency numbers the pages give, as tap-to-call links: GB (999, NHS 111),
# US (911, Poison Control) or EU (112). See monographs/emergency.py.
SITE_COUNTRY = _parse_site_country("SITE_COUNTRY", "GB")

INSTALLED_APPS = [
    # Django's admin with druginfo's own site: name, dashboard (editorial/sites.py).
    "editorial.apps.DruginfoAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "markdownx",
    "monographs",
    "editorial",
    "collaboration",
    "csp",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Completes, now and then, what a killed publish left undone (followups.py);
    # before the page cache, so that cached pages count as requests too.
    "monographs.followups.FollowUpMiddleware",
    # Serves stored monograph pages, with the headers the middleware below gave them.
    "monographs.pagecache.PageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as its documentation asks: turns an Axes lockout into a 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "druginfo.urls"
WSGI_APPLICATION = "druginfo.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database and cache -----------------------------------------------------

_DEFAULT_DATABASE_PATH = VAR_DIR / "druginfo.sqlite3"
if not env_str("DATABASE_URL"):
    # SQLite cannot create its file in a folder that does not exist yet.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
try:
    DATABASES = {
        "default": dj_database_url.parse(
            env_str("DATABASE_URL") or f"sqlite:///{_DEFAULT_DATABASE_PATH}",
            conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
            conn_health_checks=True,
        )
    }
except ValueError as error:
    # The message names the variable but never echoes it: the URL holds the password.
    raise ImproperlyConfigured(
        f"DATABASE_URL is not a database address ({type(error).__name__}); "
        "use e.g. postgres://user:password@host:5432/druginfo or sqlite:////path/db.sqlite3."
    ) from None

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": _parse_cache_url("CACHE_URL")}

# Full-text search: "whoosh" keeps an index in files under SEARCH_INDEX_DIR (one
# server); "postgres" keeps it in the database, shared by every app server.
SEARCH_BACKEND = _parse_search_backend("SEARCH_BACKEND", DATABASES["default"]["ENGINE"])

# --- Passwords and logins ---------------------------------------------------

# django-axes checks every login first and refuses a locked-out user name or
# address before the password is even looked at. It needs the request: log in
# tests with client.force_login(), or pass request= to authenticate().
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
# Failures are counted per address (one address trying many user names) and per
# user name (one user name tried from many addresses), each against the limit.
# A pair of both would add nothing: it never counts more than either alone.
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_LOCKOUT_TEMPLATE = "lockout.html"
AXES_RESET_ON_SUCCESS = True
# No start-up banner: commands that print to standard output stay clean.
AXES_VERBOSE = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Language and time ------------------------------------------------------

LANGUAGE_CODE = "en-gb"
# Only languages we have text for: otherwise a browser asking for German would
# get English pages labelled lang="de", which screen readers would mispronounce.
LANGUAGES = [("en-gb", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

# --- Static files, media and content ----------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
if DEBUG:
    # WhiteNoise warns at every start when STATIC_ROOT is missing; in development
    # collectstatic is not needed, so an empty folder is right.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]

MEDIA_URL = "media/"
MEDIA_ROOT = env_path("MEDIA_ROOT", VAR_DIR / "media")

CONTENT_DIR = env_path("CONTENT_DIR", BASE_DIR / "content")
# "New medicine from a label" in the admin: the largest label file accepted (below
# nginx's client_max_body_size of 3 MB); import larger ones with import_label.
LABEL_UPLOAD_MAX_BYTES = env_int("LABEL_UPLOAD_MAX_BYTES", 2_500_000)
SEARCH_INDEX_DIR = env_path("SEARCH_INDEX_DIR", VAR_DIR / "search-index")
# Writer processes of a full whoosh rebuild_index (1: the command's own process only).
SEARCH_WRITER_PROCESSES = env_int("SEARCH_WRITER_PROCESSES", min(os.cpu_count() or 1, 4))
if SEARCH_WRITER_PROCESSES < 1:
    raise ImproperlyConfigured(
        f"SEARCH_WRITER_PROCESSES={SEARCH_WRITER_PROCESSES} must be 1 or more."
    )
# Render a version's PDF leaflets as soon as it is published (after the commit).
# Off, each leaflet is rendered by the first request for it.
LEAFLETS_RENDER_ON_PUBLISH = env_bool("LEAFLETS_RENDER_ON_PUBLISH", True)
# What follows a publish (search index, leaflets) is recorded with it and done
# after the commit; work a killed process left is done by a later request (at
# most every PUBLISH_FOLLOWUP_CHECK_SECONDS per process, for rows older than
# PUBLISH_FOLLOWUP_GRACE_SECONDS, which belong to a publish still running) or by
# `manage.py complete_publishes`. /healthz fails on a row older than
# PUBLISH_FOLLOWUP_STUCK_SECONDS or failed PUBLISH_FOLLOWUP_MAX_ATTEMPTS times.
PUBLISH_FOLLOWUP_GRACE_SECONDS = env_int("PUBLISH_FOLLOWUP_GRACE_SECONDS", 30)
PUBLISH_FOLLOWUP_CHECK_SECONDS = env_int("PUBLISH_FOLLOWUP_CHECK_SECONDS", 10)
PUBLISH_FOLLOWUP_STUCK_SECONDS = env_int("PUBLISH_FOLLOWUP_STUCK_SECONDS", 900)
PUBLISH_FOLLOWUP_MAX_ATTEMPTS = env_int("PUBLISH_FOLLOWUP_MAX_ATTEMPTS", 3)

# Hashed file names (and so WhiteNoise's far-future caching) in production. The
# manifest exists only after collectstatic, so STATIC_MANIFEST=false lets a server
# with DEBUG off run from the source tree (browser tests against live_server).
_STATIC_MANIFEST = not DEBUG and env_bool("STATIC_MANIFEST", True)
STORAGES = {
    # Leaflets and uploads: MEDIA_ROOT by default; several app servers need one
    # shared store (a shared folder, or an object store such as django-storages' S3).
    "default": _parse_storage("MEDIA_STORAGE", "MEDIA_STORAGE_OPTIONS"),
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if _STATIC_MANIFEST
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

MARKDOWNX_MARKDOWNIFY_FUNCTION = "monographs.rendering.render_markdown"

# --- Security ---------------------------------------------------------------

SECURE_SSL_REDIRECT = not DEBUG
# Load balancers probe over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if env_bool("DJANGO_SECURE_PROXY_SSL_HEADER", False):
    # Only behind a proxy that always sets this header itself: otherwise a
    # client could claim HTTPS.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 0 if DEBUG else 60 * 60 * 24 * 365
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True

# No 'unsafe-inline' anywhere: templates carry no inline script or style.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

# --- Logging ----------------------------------------------------------------

LOG_LEVEL = _parse_log_level("LOG_LEVEL", "INFO")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"logfmt": {"()": _LogfmtFormatter}},
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "logfmt",
        },
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        # Django's own handlers (mail_admins, console) stay out: one stream, one format.
        "django": {"handlers": ["stdout"], "level": LOG_LEVEL, "propagate": False},
        # WeasyPrint logs every step of every page at INFO.
        "weasyprint": {"handlers": ["stdout"], "level": "WARNING", "propagate": False},
        # SQL with its parameters may hold personal data or password hashes.
        "django.db.backends": {
            "handlers": ["stdout"],
            "level": "INFO" if LOG_LEVEL == "DEBUG" else LOG_LEVEL,
            "propagate": False,
        },
    },
}
