"""The one settings module: every knob is an environment variable with a safe default.

With nothing set, the app runs for a newcomer on SQLite with Celery tasks executed
in-process (eager). With DATABASE_URL and CELERY_BROKER_URL it uses PostgreSQL and Redis.
With DEBUG off it refuses to start without a real SECRET_KEY and a real database.
"""

import os
from datetime import date, timedelta
from pathlib import Path

import environ
import plotly
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# An optional .env beside manage.py, for people who prefer a file to exported variables.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)

_DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY)
if not DEBUG and SECRET_KEY == _DEV_SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
# A weak key signs sessions anyone could forge: refused in production, by Django's own measure
# (check --deploy's W009: at least 50 characters, 5 different ones, not a generated insecure key).
if not DEBUG and (len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure-")):
    raise ImproperlyConfigured(
        "SECRET_KEY is too weak for production: use at least 50 random characters, e.g. "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))'."
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Before staticfiles so that runserver serves static files the way production does.
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    # Swagger UI's files from our own static files: no CDN.
    "drf_spectacular_sidecar",
    "simple_history",
    # Imports every app's rules.py; the object permissions live in scoreboard/rules.py.
    "rules.apps.AutodiscoverRulesConfig",
    "axes",
    "django_celery_beat",
    # E-mail through a provider's API when EMAIL_BACKEND names one of its backends (README, "E-mail").
    "anymail",
    "scoreboard",
    # Single sign-on's identities (scoreboard/sso/): an app of its own, for its own migrations.
    "scoreboard.sso",
    "initiatives",
    "metrics",
    "governance",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A body over DATA_UPLOAD_MAX_MEMORY_SIZE is refused before anything reads it (413, JSON under /api/).
    "scoreboard.middleware.body_size_limit",
    # A query string holding a NUL or a control character is refused (400 naming the parameter).
    "scoreboard.middleware.query_guard",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every page needs a signed-in user unless its view says otherwise (login, health).
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A page's empty 405 (require_POST) becomes a page that says which methods it takes.
    "scoreboard.middleware.method_not_allowed_page",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a lockout into a response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "scoreboard.urls"

# The largest request body read into memory: sized so that the API's documented batch, 10,000
# measurements with 500-character notes, fits even with every note character escaped as \uXXXX
# (about 31 MB); anything larger is refused with 413. Uploaded CSV files are streamed apart.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("MAX_REQUEST_BODY_BYTES", default=32 * 1024 * 1024)
WSGI_APPLICATION = "scoreboard.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "scoreboard.context_processors.roles",
                "scoreboard.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # `make run` writes from three processes (web, worker, beat): readers never wait for a
    # writer (WAL), a transaction takes the write lock when it begins rather than failing half-way
    # when it tries to upgrade (IMMEDIATE), and a writer waits up to 20 s for another's lock.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
# A pooled connection is checked before reuse, so a restarted PostgreSQL costs no failed request.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if (
    not DEBUG
    and DATABASES["default"]["ENGINE"].endswith("sqlite3")
    and not env.bool("ALLOW_SQLITE_IN_PRODUCTION", default=False)
):
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL when DEBUG is off.")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "scoreboard.User"

AUTHENTICATION_BACKENDS = [
    # First, so a locked-out username or address is refused before any password check.
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "scoreboard.auth_backends.AdminRoleModuleBackend",
    # Refuses password sign-in but the break-glass admin's when PASSWORD_LOGIN is off.
    "scoreboard.sso.backends.PasswordSignInGate",
    "scoreboard.auth_backends.PasswordBackend",
    # OpenID Connect sign-in; it does nothing unless OIDC_ISSUER is set.
    "scoreboard.sso.backends.OIDCBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Single sign-on (OpenID Connect) and password sign-in -----------------------------------
# Off unless OIDC_ISSUER is set; the provider's endpoints come from <issuer>/.well-known/openid-configuration.
# README, "Single sign-on", says how to configure Entra ID, Okta, Google and Keycloak.
OIDC_ISSUER = env.str("OIDC_ISSUER", default="")
OIDC_PROVIDER_NAME = env.str("OIDC_PROVIDER_NAME", default="single sign-on")  # the button's words
OIDC_RP_CLIENT_ID = env.str("OIDC_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env.str("OIDC_CLIENT_SECRET", default="")
OIDC_RP_SCOPES = env.str("OIDC_SCOPES", default="openid email profile")
OIDC_RP_SIGN_ALGO = env.str("OIDC_SIGN_ALGO", default="RS256")
# The claim whose values say a person's groups, and which of them give which role here:
# value=role entries, an executive with their seat (scoreboard/sso/config.py).
OIDC_ROLES_CLAIM = env.str("OIDC_ROLES_CLAIM", default="groups")
OIDC_ROLE_MAP = env.str("OIDC_ROLE_MAP", default="")
OIDC_TOKEN_USE_BASIC_AUTH = env.bool("OIDC_TOKEN_USE_BASIC_AUTH", default=True)  # client_secret_basic, else _post
OIDC_TIMEOUT = env.float("OIDC_TIMEOUT_SECONDS", default=10.0)  # every call to the provider
OIDC_CLOCK_SKEW_SECONDS = env.int("OIDC_CLOCK_SKEW_SECONDS", default=60)
OIDC_DISCOVERY_CACHE_SECONDS = env.int("OIDC_DISCOVERY_CACHE_SECONDS", default=3600)
OIDC_USE_PKCE = True
OIDC_USE_NONCE = True
OIDC_STORE_ID_TOKEN = True  # the id_token_hint of the provider's sign-out
OIDC_AUTHENTICATION_CALLBACK_URL = "sso-callback"
# PASSWORD_LOGIN=false: only the break-glass admin (BREAK_GLASS_ADMIN, a username) signs in with a password.
PASSWORD_LOGIN = env.bool("PASSWORD_LOGIN", default=True)
BREAK_GLASS_ADMIN = env.str("BREAK_GLASS_ADMIN", default="")
if OIDC_ISSUER:
    from scoreboard.sso.config import parse_role_map

    if not OIDC_RP_CLIENT_ID:
        raise ImproperlyConfigured("OIDC_CLIENT_ID must be set when OIDC_ISSUER is.")
    if not DEBUG and not OIDC_ISSUER.startswith("https://"):
        raise ImproperlyConfigured("OIDC_ISSUER must be an https:// address when DEBUG is off.")
    try:
        if not parse_role_map(OIDC_ROLE_MAP):
            raise ValueError("OIDC_ROLE_MAP must map at least one group to a role, or nobody could sign in.")
    except ValueError as error:
        raise ImproperlyConfigured(str(error)) from None
if not PASSWORD_LOGIN and not OIDC_ISSUER:
    raise ImproperlyConfigured("PASSWORD_LOGIN=false needs single sign-on: set OIDC_ISSUER too.")

# --- Failed logins: rate-limited and logged by django-axes ------------------------------
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
# Lock a username *from one address* after repeated failures there: a stranger who guesses at
# the CEO's account locks only their own address out of it, never the CEO signing in from
# elsewhere. (Locking a username from anywhere let anyone lock out a named executive.) Guessing
# spread over many addresses or many accounts is for the TLS proxy's rate limit; every failure
# is logged with the username and the address, and admins see them in the admin.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_RESET_ON_SUCCESS = True
# Security logs name the username and address tried (axes masks both by default); the
# password is never logged.
AXES_SENSITIVE_PARAMETERS = env.list("AXES_SENSITIVE_PARAMETERS", default=[])
# Keep each failure as a row too, for the admin's "access failures" page.
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"
# Whose address a failure is: behind the TLS proxy docker-compose documents, every REMOTE_ADDR
# is the proxy's, so the client is the address the nearest trusted proxy appended to
# X-Forwarded-For (scoreboard/proxies.py). PROXY_COUNT: how many proxies of ours are in front.
TRUSTED_PROXY_COUNT = env.int("PROXY_COUNT", default=1) if env.bool("BEHIND_TLS_PROXY", default=False) else 0
AXES_CLIENT_IP_CALLABLE = "scoreboard.proxies.client_ip"

# --- Internationalisation and time --------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True
# One form for dates, numbers and money wherever a person reads them (scoreboard/formatting.py):
# Django's en-GB formats, with our own date and time forms on top (scoreboard/formats/).
# Not USE_THOUSAND_SEPARATOR: it would group every number a template prints, ids in links too;
# the formatting functions group the figures themselves.
FORMAT_MODULE_PATH = ["scoreboard.formats"]

# --- Static files: served by whitenoise, never from a CDN ---------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
# plotly.js comes from the pinned plotly package itself (static/vendor/plotly/plotly.min.js):
# served by us, never a CDN, and always the version the lock file names.
STATICFILES_DIRS = [BASE_DIR / "static", ("vendor/plotly", Path(plotly.__file__).parent / "package_data")]
# Serve from the apps' and project's static folders too, so tests and runserver need no collectstatic.
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=DEBUG)
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

# --- Security ------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
# The CSRF token is read from the form field, never by JavaScript, so the cookie can be HttpOnly.
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Health probes come over plain HTTP from the orchestrator, inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

# --- Cache ---------------------------------------------------------------------------------
# The ExCo page's data per month (scoreboard/exco/cache.py). Redis in production, shared by every
# web worker (a database of its own, apart from the broker's: redis://redis:6379/1); without
# REDIS_URL, each process keeps its own in local memory, as under `make run`. Either is correct:
# an entry's key carries the data's versions, so the cache never decides what is current.
REDIS_URL = env.str("REDIS_URL", default="")
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # An unreachable Redis costs a request a second at most: the page is then computed.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": {"MAX_ENTRIES": 100}}
    )
}

# --- Celery --------------------------------------------------------------------------------
# No broker configured: tasks run in-process (eager) so a laptop needs no Redis; the
# in-memory transport only catches a message sent while eager mode is switched off.
# `make run` (manage.py run_local) sets CELERY_BROKER_URL=filesystem:// for its web server,
# worker and beat: messages are files under CELERY_FILESYSTEM_DIR, no server needed, not eager.
IN_PROCESS_BROKER = "memory://"
FILESYSTEM_BROKER = "filesystem://"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or IN_PROCESS_BROKER
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=CELERY_BROKER_URL == IN_PROCESS_BROKER)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
# An unacknowledged task is redelivered after this; it must outlast the longest task.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
}
if CELERY_BROKER_URL == FILESYSTEM_BROKER:
    # One folder both sends to and reads from: every process here is producer and consumer.
    # The exchange tables ("control") would otherwise land in the working directory.
    _BROKER_DIR = Path(env.str("CELERY_FILESYSTEM_DIR", default=str(BASE_DIR / ".run" / "broker")))
    CELERY_BROKER_TRANSPORT_OPTIONS |= {
        "data_folder_in": str(_BROKER_DIR / "queue"),
        "data_folder_out": str(_BROKER_DIR / "queue"),
        "control_folder": str(_BROKER_DIR / "control"),
    }
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Each source's schedule is a row in the database, editable in the admin.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Web requests must not hang when the broker is down: the outbox catches up later.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=2.0)
CELERY_TASK_PUBLISH_RETRY = False

# --- Metric sources -----------------------------------------------------------------------
# Hosts that pulled sources may reach: names (exact or *.example.com) and IP networks.
# Loopback, private and link-local addresses are refused unless a network entry covers them.
METRIC_SOURCE_ALLOWED_HOSTS = env.list("METRIC_SOURCE_ALLOWED_HOSTS", default=[])
# The environment variables a metric source may read (a credential header, a SQL source's
# database URL): those whose names start with this prefix, and those the operator lists. Never
# the app's own secrets (SECRET_KEY, DATABASE_URL...), which no source may name.
METRIC_SOURCE_ENV_PREFIX = env.str("METRIC_SOURCE_ENV_PREFIX", default="SCOREBOARD_SOURCE_")
METRIC_SOURCE_ENV_ALLOWED = env.list("METRIC_SOURCE_ENV_ALLOWED", default=[])
# A pull that started longer ago than this and never finished lost its worker.
METRIC_PULL_STALE_AFTER_SECONDS = env.int("METRIC_PULL_STALE_AFTER_SECONDS", default=CELERY_TASK_TIME_LIMIT + 60)
# Transient pull failures retry with exponential backoff from this base, up to the cap.
METRIC_PULL_RETRY_BASE_SECONDS = env.float("METRIC_PULL_RETRY_BASE_SECONDS", default=30.0)
METRIC_PULL_RETRY_MAX_SECONDS = env.float("METRIC_PULL_RETRY_MAX_SECONDS", default=900.0)
# A scheduled pull not started this long after its time is re-sent by the sweeper.
METRIC_PULL_GRACE_SECONDS = env.int("METRIC_PULL_GRACE_SECONDS", default=300)
# Owed roll-ups older than this are re-enqueued by the sweeper.
METRIC_ROLLUP_GRACE_SECONDS = env.int("METRIC_ROLLUP_GRACE_SECONDS", default=60)
CELERY_TIMEZONE = TIME_ZONE
# The earliest day a measurement may be observed on, on every path (the form, CSV, the API,
# pulls): a company that starts its scoreboard in 2024 sets 2024-01-01, and a value typed as
# 1990 or 2014 is refused rather than stretching every chart back to it. Never before 2000.
try:
    METRIC_EARLIEST_DATE = date.fromisoformat(env.str("METRIC_EARLIEST_DATE", default="2000-01-01"))
except ValueError as error:
    raise ImproperlyConfigured(f"METRIC_EARLIEST_DATE must be a date written YYYY-MM-DD: {error}") from None
if not date(2000, 1, 1) <= METRIC_EARLIEST_DATE <= date(2099, 12, 31):
    raise ImproperlyConfigured("METRIC_EARLIEST_DATE must be between 2000-01-01 and 2099-12-31.")

# --- Chat notifications (scoreboard/chat.py) -------------------------------------------------
# A destination's webhook URL is a secret: it stays in an environment variable whose name starts
# with this prefix (or is listed), never in the database, and never one of the server's own.
# Its host must be on METRIC_SOURCE_ALLOWED_HOSTS, the same allow-list and guard as the sources'.
CHAT_WEBHOOK_ENV_PREFIX = env.str("CHAT_WEBHOOK_ENV_PREFIX", default="SCOREBOARD_CHAT_")
CHAT_WEBHOOK_ENV_ALLOWED = env.list("CHAT_WEBHOOK_ENV_ALLOWED", default=[])
CHAT_WEBHOOK_TIMEOUT_SECONDS = env.float("CHAT_WEBHOOK_TIMEOUT_SECONDS", default=10.0)
# A post that failed for a reason that may pass (5xx, 429, time-out, refused connection) is tried
# again after base × 2^(attempts-1) seconds, capped, up to CHAT_MAX_ATTEMPTS posts in all.
CHAT_RETRY_BASE_SECONDS = env.float("CHAT_RETRY_BASE_SECONDS", default=30.0)
CHAT_RETRY_MAX_SECONDS = env.float("CHAT_RETRY_MAX_SECONDS", default=1800.0)
CHAT_MAX_ATTEMPTS = env.int("CHAT_MAX_ATTEMPTS", default=8)

# PDF export: the Chromium binary (empty: looked up on PATH) and the time one render may take.
PDF_CHROMIUM_PATH = env.str("PDF_CHROMIUM_PATH", default="")
PDF_RENDER_TIMEOUT_SECONDS = env.float("PDF_RENDER_TIMEOUT_SECONDS", default=60.0)

# The executive seat (CEO, CIO, COO) whose holder approves a matrix version unless the admin names another.
MATRIX_APPROVER_TITLE = env.str("MATRIX_APPROVER_TITLE", default="COO")

# --- REST API ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # A machine sends its token; the browser its session (whose writes DRF holds to CSRF).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "scoreboard.api.IntegrationTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["scoreboard.api.RulesPermission"],
    # The services' refusals (400 per field, 403 who may, 409 who changed it), for every view.
    "EXCEPTION_HANDLER": "scoreboard.api_errors.exception_handler",
    # JSON as DRF reads it, refusing NUL characters, lone surrogates and absurd nesting (400).
    "DEFAULT_PARSER_CLASSES": [
        "scoreboard.api_parsers.StrictJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "scoreboard.api.Pages",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "COERCE_DECIMAL_TO_STRING": True,  # exact decimals, never floats
}
SPECTACULAR_SETTINGS = {
    "TITLE": "AI scoreboard API",
    "DESCRIPTION": "The shared scoreboard of the AI programme: initiatives, KPIs, measurements, snapshots, "
    "governance. Same permissions as the web pages.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # A decision request's stage is one of the late stages only: its own enum beside the initiative's.
    "ENUM_NAME_OVERRIDES": {"SponsorApprovedStageEnum": "governance.models.SPONSOR_STAGE_CHOICES"},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "scoreboard.api.document_errors",
    ],
}

# --- Email ---------------------------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
if env.str("EMAIL_URL", default=""):
    # e.g. smtp+tls://user:password@mail.example.com:587
    vars().update(env.email_url("EMAIL_URL"))
# Or a provider's API through django-anymail: EMAIL_BACKEND=anymail.backends.postmark.EmailBackend and
# its settings as ANYMAIL_<NAME> variables (ANYMAIL_POSTMARK_SERVER_TOKEN=...), gathered here.
ANYMAIL = {name.removeprefix("ANYMAIL_"): value for name, value in os.environ.items() if name.startswith("ANYMAIL_")}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="scoreboard@localhost")
# The site's address as people reach it, for links in emails (pages use the request's own).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# --- Logging: failed logins and refusals go to the console, where the platform collects them.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Failed logins and lockouts (warnings) reach the console through the root handler.
        "axes": {"level": "WARNING"},
    },
}
