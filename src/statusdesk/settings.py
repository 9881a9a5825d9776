"""statusdesk settings: one module, every value from the environment (see README)."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF

from statusdesk.core.files import private_directory, private_sqlite_file
from statusdesk.core.logs import log_format, logging_config
from statusdesk.core.metrics_access import check_token, parse_networks
from statusdesk.core.paths import var_dir
from statusdesk.core.timezones import parse_display_zone

BASE_DIR = Path(__file__).resolve().parent
# SQLite files and the generated secret key: STATUSDESK_VAR_DIR, else the checkout's var/ (found
# from this package, not from the current directory), else a per-user data directory. Readable by
# its owner only, as are the databases in it (statusdesk.core.files).
VAR_LOCATION = var_dir()
VAR_DIR = private_directory(VAR_LOCATION.path)


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    try:
        return int(value) if value else default
    except ValueError as exc:
        raise ValueError(f"{name} must be a whole number, got {value!r}") from exc


def _secret_key() -> str:
    key = os.environ.get("STATUSDESK_SECRET_KEY")
    if key:
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        # Created 0600 from the start, never readable by others even for a moment.
        with os.fdopen(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600), "w") as file:
            file.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _env_bool("STATUSDESK_DEBUG", False)
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("STATUSDESK_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("STATUSDESK_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "huey.contrib.djhuey",
    "axes",
    "csp",
    "statusdesk.core",
    "statusdesk.accounts",
    "statusdesk.incidents",
    "statusdesk.notifications",
    "statusdesk.statuspage",
    "statusdesk.postmortems",
    "statusdesk.analytics",
    "statusdesk.desk",
    "statusdesk.backups",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # Inside SecurityMiddleware, so that the answers it rewrites still get the security headers.
    "statusdesk.core.middleware.ApiRefusalsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language of a page: the switcher's cookie, else Accept-Language, else English.
    "statusdesk.core.middleware.PageLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # The route, user and incident of each request, for its log line and its latency figure
    # (statusdesk.core.request_record; the ASGI application in front times and logs it).
    "statusdesk.core.request_record.RouteRecordMiddleware",
    # Last: turns a sign-in refused for too many failures into the sign-in page saying so.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "statusdesk.urls"
ASGI_APPLICATION = "statusdesk.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "statusdesk.core.context_processors.statusdesk",
                "statusdesk.desk.context_processors.reminders",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'statusdesk.sqlite3'}"),
        conn_max_age=int(os.environ.get("STATUSDESK_DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes; a busy timeout instead of
    # "database is locked" under the occasional concurrent write.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    private_sqlite_file(DATABASES["default"]["NAME"])
else:
    # The test database gets a name of its own per run, so that two test runs on one server
    # (a developer's and a helper's, or two CI jobs) never drop each other's database.
    DATABASES["default"]["TEST"] = {
        "NAME": os.environ.get("STATUSDESK_TEST_DB_NAME") or f"test_statusdesk_{os.getpid()}"
    }
    # Under ASGI every request runs in a thread of its own, and a connection kept per thread
    # (CONN_MAX_AGE) outlives it: a server held dozens of idle connections until PostgreSQL refused
    # new clients. A pool per process instead: at most DB_POOL_MAX connections, lent to a request
    # and given back when it finishes; a request waits up to DB_POOL_TIMEOUT seconds for one.
    # STATUSDESK_DB_POOL_MAX=0 turns the pool off (e.g. behind PgBouncer) and CONN_MAX_AGE on.
    DB_POOL_MAX = _env_int("STATUSDESK_DB_POOL_MAX", 10)
    if DB_POOL_MAX > 0:
        DATABASES["default"]["CONN_MAX_AGE"] = 0  # Django requires it with a pool
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": min(_env_int("STATUSDESK_DB_POOL_MIN", 2), DB_POOL_MAX),
            "max_size": DB_POOL_MAX,
            "timeout": float(os.environ.get("STATUSDESK_DB_POOL_TIMEOUT", "30")),
        }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a sign-in while its account or address is cooling off (see below).
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Named routes: the console (and its sign-in) lives under /manage/.
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# Failed sign-ins (django-axes, statusdesk.accounts.throttling): counted per account and per client
# address; at the limit, that account or address waits out the cool-off period (never locked for
# good); a successful sign-in clears its failures.
AXES_FAILURE_LIMIT = int(os.environ.get("STATUSDESK_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("STATUSDESK_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_USERNAME_FORM_FIELD = "username"  # the e-mail field of the sign-in form
AXES_RESET_ON_SUCCESS = True
# Tries while cooling off neither count nor extend the wait, so the wait shown is the wait.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "statusdesk.accounts.views.signin_cooling_off"
AXES_CLIENT_IP_CALLABLE = "statusdesk.accounts.throttling.client_address"
# Quiet at start-up; refused sign-ins are still logged (as warnings).
AXES_VERBOSE = False
# The header in which a trusted reverse proxy reports the client's address (X-Forwarded-For,
# X-Real-IP); unset, the connection's address counts. Set it only behind such a proxy.
STATUSDESK_CLIENT_IP_HEADER = os.environ.get("STATUSDESK_CLIENT_IP_HEADER", "").strip()

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

# English and Spanish: the public pages (status page, Incidents Page, incident page) are fully
# translated; the console in part. The translations ship inside the package (locale/).
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Times are shown in this zone (the process document writes timelines in UTC-5).
STATUSDESK_DISPLAY_TZ = os.environ.get("STATUSDESK_DISPLAY_TZ", "UTC-5")
DISPLAY_ZONE = parse_display_zone(STATUSDESK_DISPLAY_TZ)

STATIC_URL = "/static/"
# Where `statusdesk collectstatic` (and `prepare`) put the static files for the web server in front
# to serve: the var directory is its owner's alone, so in production a directory nginx may read.
STATIC_ROOT = Path(os.environ.get("STATUSDESK_STATIC_ROOT", "").strip() or VAR_DIR / "static")
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Served over TLS (STATUSDESK_SECURE=1), normally by a reverse proxy that terminates it and says so
# in X-Forwarded-Proto: cookies only over HTTPS, and browsers told to use nothing else (HSTS).
STATUSDESK_SECURE = _env_bool("STATUSDESK_SECURE", False)
if STATUSDESK_SECURE:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 365 * 24 * 60 * 60

# Content-Security-Policy (django-csp): every script, style, font and request from this server
# only; no inline script or style anywhere (htmx's indicator style is switched off in base.html),
# images also as data: URIs (the icon, Swagger UI's), never inside a frame.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# The public status page's logo (an image address, shown instead of the page's name in its header;
# a logo on another host is added to the Content-Security-Policy's img-src, its origin only).
STATUSDESK_PAGE_LOGO_URL = os.environ.get("STATUSDESK_PAGE_LOGO_URL", "").strip()
_logo = urlsplit(STATUSDESK_PAGE_LOGO_URL)
if _logo.scheme in ("http", "https") and _logo.netloc:
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"].append(f"{_logo.scheme}://{_logo.netloc}")

REDIS_URL = os.environ.get("REDIS_URL", "")
# The queue's name: two statusdesk sites on one Redis keep their work apart with two names.
QUEUE_NAME = os.environ.get("STATUSDESK_QUEUE_NAME", "statusdesk")

# The consumer's polling of the queue: an idle Huey consumer backs off up to max_delay between
# looks (10 s by default), which would delay the status page's rebuild after a change by as much.
# At most half a second keeps a change visible within a second of its commit (docs/statuspage.md);
# each look is one indexed read of the queue's table. Redis blocks on the queue instead (BRPOP)
# and answers at once.
HUEY_CONSUMER = {"initial_delay": 0.1, "backoff": 1.15, "max_delay": 0.5}

# Huey: SQLite storage under var/ by default, Redis when REDIS_URL is set.
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": QUEUE_NAME,
        "url": REDIS_URL,
        "immediate": False,
        "consumer": HUEY_CONSUMER,
    }
else:
    HUEY_FILE = VAR_DIR / "huey.sqlite3"
    private_sqlite_file(HUEY_FILE)
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": QUEUE_NAME,
        "filename": str(HUEY_FILE),
        "immediate": False,
        "consumer": HUEY_CONSUMER,
    }

# The cache holds the public status page's snapshot and its rendered answers (statuspage app). It
# must be shared by every process of the site: the worker rebuilds the snapshot and the web
# processes serve it. Redis when REDIS_URL is set (several machines); otherwise files in the var
# directory, which every process of one machine shares (a local-memory cache would be private to
# each process, and the worker's rebuild would never reach the web server). KEY_PREFIX keeps two
# sites on one Redis apart, as the queue's name does.
CACHES: dict[str, dict[str, Any]]
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": QUEUE_NAME,
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "KEY_PREFIX": QUEUE_NAME,
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    }

# The public status page: its name and the address the public reaches it at (links in the
# Statuspage-compatible API, the feeds and the badge; set it to the real address in production).
# Where the worker also writes the public files (the /api/v2/ files, feeds, badge) for a web server
# in front to serve as static files (statusdesk.statuspage.export, docs/deploy.md); unset: nowhere.
STATUSDESK_PUBLIC_DIR = os.environ.get("STATUSDESK_PUBLIC_DIR", "").strip()
STATUSDESK_PAGE_NAME = os.environ.get("STATUSDESK_PAGE_NAME", "statusdesk").strip() or "statusdesk"
STATUSDESK_PUBLIC_URL = (
    os.environ.get("STATUSDESK_PUBLIC_URL", "").strip().rstrip("/")
    or f"http://{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
)

# The log (statusdesk.core.logs): readable text lines by default, one JSON object a line with
# STATUSDESK_LOG_FORMAT=json; a line per request and per background job either way.
STATUSDESK_LOG_FORMAT = log_format(os.environ.get("STATUSDESK_LOG_FORMAT"))
# A line per HTTP request (on by default). A line costs about 0.1 ms of a process's time: where
# nginx's access log (with $request_id) is enough, STATUSDESK_LOG_REQUESTS=0 leaves them out;
# /metrics still counts every request, and X-Request-ID is still answered.
STATUSDESK_LOG_REQUESTS = _env_bool("STATUSDESK_LOG_REQUESTS", True)
LOGGING = logging_config(STATUSDESK_LOG_FORMAT, os.environ.get("STATUSDESK_LOG_LEVEL", "INFO"))

# /metrics (statusdesk.core.metrics): off unless a bearer token or allowed networks are set (with
# both, a scrape needs both). The client's address is the one STATUSDESK_CLIENT_IP_HEADER says.
STATUSDESK_METRICS_TOKEN = check_token(os.environ.get("STATUSDESK_METRICS_TOKEN", ""))
STATUSDESK_METRICS_ALLOW = parse_networks(os.environ.get("STATUSDESK_METRICS_ALLOW", ""))

# --- the Incident Desk's live threads (Django Channels) ------------------------------------------

# In memory by default (one process); Redis when REDIS_URL is set, so every web process and the
# worker reach every open browser. A lost nudge costs latency only (desk/live.py). The queue's name
# starts the keys, so that two sites on one Redis never share a desk's groups.
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": f"{QUEUE_NAME}:channels:"},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- notifications (statusdesk.notifications) ---------------------------------------------------

# Links in e-mails and webhooks (incident pages, confirm, preferences, unsubscribe) start with
# STATUSDESK_PUBLIC_URL; subjects end with STATUSDESK_PAGE_NAME (both above).
STATUSDESK_FROM_EMAIL = os.environ.get("STATUSDESK_FROM_EMAIL", "status@localhost")
DEFAULT_FROM_EMAIL = STATUSDESK_FROM_EMAIL
# SMTP from STATUSDESK_SMTP_URL (smtp://[user:password@]host:port[?starttls=1|ssl=1]); unset, each
# e-mail is written as an .eml file under var/mail/, so the demo works offline.
STATUSDESK_SMTP_URL = os.environ.get("STATUSDESK_SMTP_URL", "").strip()
EMAIL_TIMEOUT = _env_int("STATUSDESK_SMTP_TIMEOUT_SECONDS", 10)
if STATUSDESK_SMTP_URL:
    from statusdesk.notifications.smtp_url import parse_smtp_url

    _smtp = parse_smtp_url(STATUSDESK_SMTP_URL)
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _smtp.host
    EMAIL_PORT = _smtp.port
    EMAIL_HOST_USER = _smtp.user
    EMAIL_HOST_PASSWORD = _smtp.password
    EMAIL_USE_TLS = _smtp.starttls
    EMAIL_USE_SSL = _smtp.ssl
else:
    EMAIL_BACKEND = "statusdesk.notifications.mailfiles.EmlFileBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")
# Webhook addresses on private, loopback, link-local or reserved networks are refused (server-side
# request forgery) unless this is 1 (a webhook receiver on the same network, the tests).
STATUSDESK_WEBHOOK_ALLOW_PRIVATE = _env_bool("STATUSDESK_WEBHOOK_ALLOW_PRIVATE", False)
STATUSDESK_WEBHOOK_TIMEOUT_SECONDS = float(
    os.environ.get("STATUSDESK_WEBHOOK_TIMEOUT_SECONDS", "10")
)
# Deliveries: attempts before a delivery is dead-lettered (failed), the first retry's delay
# (doubling each time, with jitter, up to the longest), how long a worker holds the deliveries it
# claimed before the sweep hands them to another (a worker that died), how many a task sends.
STATUSDESK_DELIVERY_ATTEMPTS = _env_int("STATUSDESK_DELIVERY_ATTEMPTS", 8)
STATUSDESK_DELIVERY_FIRST_RETRY_SECONDS = float(
    os.environ.get("STATUSDESK_DELIVERY_FIRST_RETRY_SECONDS", "30")
)
STATUSDESK_DELIVERY_LONGEST_RETRY_SECONDS = float(
    os.environ.get("STATUSDESK_DELIVERY_LONGEST_RETRY_SECONDS", "3600")
)
STATUSDESK_DELIVERY_LEASE_SECONDS = float(
    os.environ.get("STATUSDESK_DELIVERY_LEASE_SECONDS", "120")
)
STATUSDESK_DELIVERY_BATCH = _env_int("STATUSDESK_DELIVERY_BATCH", 100)
# Subscriptions from the public form: at most this many per client address per hour.
STATUSDESK_SUBSCRIBE_LIMIT = _env_int("STATUSDESK_SUBSCRIBE_LIMIT", 10)
