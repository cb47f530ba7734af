"""Youtility settings: the one module that reads the environment.

Profiles (``YOUTILITY_ENV``):
- ``local`` (default): DEBUG off unless ``DEBUG=1``, local services on their standard
  ports, signing keys generated once under the var directory (``youtility.settings.keys``).
- ``production``: DEBUG off, refuses to start without ``SECRET_KEY`` and
  ``JWT_SIGNING_KEY``, HTTPS-only cookies, HSTS; passes ``manage.py check --deploy``
  without warnings.
- ``test``: random signing keys for each run; the default when the settings module is
  ``youtility.settings.test``, which only overrides what tests need.
Every profile refuses known, weak or shared signing keys.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from .env import (
    database_from_url,
    env_bool,
    env_delay_map,
    env_float,
    env_int,
    env_int_map,
    env_list,
    env_str,
    parse_alias_urls,
)
from .keys import check_pair, generate_key, key_from_file

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("YOUTILITY_VAR_DIR", str(BASE_DIR / "var")))

# The test settings module runs this module first: it must already know it is the test
# profile, or it would read (and create) the local install's key files.
_TEST_SETTINGS = env_str("DJANGO_SETTINGS_MODULE", "youtility.settings") == "youtility.settings.test"
PROFILE = env_str("YOUTILITY_ENV", "test" if _TEST_SETTINGS else "local")
if PROFILE not in {"local", "production", "test"}:
    raise ImproperlyConfigured(f"YOUTILITY_ENV must be local, production or test, got {PROFILE!r}.")
PRODUCTION = PROFILE == "production"

# Signing keys. SECRET_KEY is Django's (the console's session hashes, signed cookies);
# JWT_SIGNING_KEY signs the API's access tokens and keys the hashes of refresh tokens.
# Production takes both from the environment; a local install from the environment or
# from files generated once under the var directory; a test run makes its own.
if PRODUCTION:
    SECRET_KEY = env_str("SECRET_KEY")  # no default: production refuses to start without it
    JWT_SIGNING_KEY = env_str("JWT_SIGNING_KEY")
elif PROFILE == "test":
    SECRET_KEY, JWT_SIGNING_KEY = generate_key(), generate_key()
else:
    SECRET_KEY = env_str("SECRET_KEY", "") or key_from_file(VAR_DIR / "secret_key")
    JWT_SIGNING_KEY = env_str("JWT_SIGNING_KEY", "") or key_from_file(VAR_DIR / "jwt_signing_key")
check_pair(SECRET_KEY, JWT_SIGNING_KEY)

DEBUG = env_bool("DEBUG", False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG cannot be on in the production profile.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS is required in the production profile.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "graphene_django",
    "channels",
    "django_celery_beat",
    "django_celery_results",
    "apps.core",
    "apps.tenants",
    "apps.people",
    "apps.sites",
    "apps.assets",
    "apps.checklists",
    "apps.noc",
    "apps.helpdesk",
    "apps.notifications",
    "apps.scheduling",
    "apps.console",
    # Last: its ready() connects the change log to every other app's models and admins.
    "apps.audit",
]

MIDDLEWARE = [
    "apps.core.middleware.RequestIdMiddleware",
    "apps.core.middleware.MetricsMiddleware",
    "apps.core.security.ContentSecurityPolicyMiddleware",
    "apps.core.middleware.BodySizeLimitMiddleware",
    "apps.core.middleware.CleanInputMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "apps.people.middleware.SessionTenantMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "apps.audit.middleware.DoorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "apps.core.middleware.ApiErrorMiddleware",
]

ROOT_URLCONF = "youtility.urls"
WSGI_APPLICATION = "youtility.wsgi.application"
ASGI_APPLICATION = "youtility.asgi.application"

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
            ],
        },
    },
]

# --- Database --------------------------------------------------------------------------
# DATABASE_URL is the runtime role (no superuser, subject to row-level security).
# Migrations run with MIGRATE_DATABASE_URL (the schema owner) when it is set.
DATABASE_URL = env_str("DATABASE_URL", "postgres://youtility_app@127.0.0.1:5432/youtility")
_default_db = database_from_url(DATABASE_URL)
_default_db["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 60)
_default_db["CONN_HEALTH_CHECKS"] = True
_default_db["TEST"] = {"TEMPLATE": env_str("DB_TEST_TEMPLATE", "youtility_template")}
DATABASES: dict[str, dict[str, object]] = {"default": _default_db}

# Dedicated databases a tenant can be placed in: TENANT_DATABASE_URLS="eu1=postgres://...,eu2=...".
TENANT_DATABASE_URLS = parse_alias_urls(env_str("TENANT_DATABASE_URLS", ""))
for _alias, _url in TENANT_DATABASE_URLS.items():
    _db = database_from_url(_url)
    _db["CONN_MAX_AGE"] = _default_db["CONN_MAX_AGE"]
    _db["CONN_HEALTH_CHECKS"] = True
    _db["TEST"] = {"TEMPLATE": _default_db["TEST"]["TEMPLATE"]}  # type: ignore[index]
    DATABASES[_alias] = _db
DATABASE_ROUTERS = ["apps.core.routers.TenantDatabaseRouter"]
# PostgreSQL statement_timeout in milliseconds (0: none) by kind of process (apps.core.dbbackend):
# a request must give its worker back, a task may run long set-based statements, and
# migrations and other management commands run unbounded.
DB_STATEMENT_TIMEOUT_MS = {
    "web": env_int("DB_STATEMENT_TIMEOUT_WEB_MS", 10_000),
    "worker": env_int("DB_STATEMENT_TIMEOUT_WORKER_MS", 300_000),
    "command": env_int("DB_STATEMENT_TIMEOUT_COMMAND_MS", 0),
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache, Celery, channels, MQTT -------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
MQTT_URL = env_str("MQTT_URL", "mqtt://127.0.0.1:1883")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "yt"),
        "TIMEOUT": 300,
    }
}
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        # redis-py 8 defaults socket_timeout to 5 s, the same as channels_redis's blocking
        # BZPOPMIN wait, so every idle socket was torn down (close 1011) after ~5 s.
        "CONFIG": {
            "hosts": [{"address": REDIS_URL, "socket_timeout": 30}],
            "prefix": env_str("CHANNEL_PREFIX", "yt-ch"),
        },
    }
}

# --- Auth ---------------------------------------------------------------------------------
AUTH_USER_MODEL = "people.Person"
AUTHENTICATION_BACKENDS = ["apps.people.backends.TenantLoginBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "console:login"
LOGIN_REDIRECT_URL = "console:home"
LOGOUT_REDIRECT_URL = "console:login"
# Logins are unique per tenant, not globally: the tenant-aware backend resolves them,
# so Django's "USERNAME_FIELD must be unique" warning does not apply.
# GDAL older than 3.9 (Debian 12 ships 3.6) cannot block file/network access from
# spatial reference strings; geometries reach us only as GeoJSON with a fixed SRID 4326,
# never as user-supplied SRS definitions or GDAL data sources.
SILENCED_SYSTEM_CHECKS = ["auth.W004", "gis.W001"]

JWT_ACCESS_TTL_SECONDS = env_int("JWT_ACCESS_TTL_SECONDS", 600)
JWT_REFRESH_TTL_SECONDS = env_int("JWT_REFRESH_TTL_SECONDS", 30 * 24 * 3600)
JWT_ISSUER = "youtility"
WS_TICKET_TTL_SECONDS = 30
# How often an open WebSocket re-checks its sign-in (also closed when its token expires).
WS_RECHECK_SECONDS = env_int("WS_RECHECK_SECONDS", 60)

# Sign-in throttling (apps/people/throttling.py): after the free failures, each further
# attempt waits 1, 2, 4 ... seconds up to the maximum; nothing ever locks. Per login, per
# client address (far above an office behind one address) and per trusted device.
LOGIN_SLOWDOWN_AFTER = env_int("LOGIN_SLOWDOWN_AFTER", 5)
LOGIN_IP_SLOWDOWN_AFTER = env_int("LOGIN_IP_SLOWDOWN_AFTER", 300)
LOGIN_MAX_DELAY_SECONDS = env_int("LOGIN_MAX_DELAY_SECONDS", 60)
LOGIN_FAILURE_WINDOW_SECONDS = env_int("LOGIN_FAILURE_WINDOW_SECONDS", 900)
LOGIN_TRUSTED_DEVICE_SECONDS = env_int("LOGIN_TRUSTED_DEVICE_SECONDS", 90 * 24 * 3600)

# The tenant that holds the platform operators (manage.py create_operator) and nothing
# else: its people with is_superuser govern tenants, beat schedules and task results in
# the admin. Change it only if a customer already signs in with this slug.
PLATFORM_TENANT_SLUG = env_str("PLATFORM_TENANT_SLUG", "platform")

# --- E-mail and notifications ---------------------------------------------------------------
# Locally e-mails are printed by the worker; production sends through SMTP.
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if PRODUCTION else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# Seconds an SMTP connection may wait for the server (every e-mail sent is a notification).
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Youtility <noreply@youtility.local>")
# Sender of notification e-mails.
NOTIFICATIONS_FROM_EMAIL = env_str("NOTIFICATIONS_FROM_EMAIL", DEFAULT_FROM_EMAIL)
# Links in e-mails point here.
CONSOLE_BASE_URL = env_str("CONSOLE_BASE_URL", "http://127.0.0.1:8000")
# Webhooks reach public addresses only, unless the operator lists internal receivers'
# networks here ("10.20.0.0/16,127.0.0.1:9000"; a port limits an entry to that port).
# Empty in every profile: a tenant admin must not be able to probe the internal network.
# Checked by apps.notifications.netguard at start-up.
WEBHOOK_ALLOWED_PRIVATE_NETWORKS = env_list("WEBHOOK_ALLOWED_PRIVATE_NETWORKS", [])
# Where this installation listens (proxy, gunicorn, daphne; scripts/run.sh exports the
# ones it starts). Webhooks never reach these, nor the stores and CONSOLE_BASE_URL's host,
# even inside an allowed network, unless an entry above names that address and port.
INSTALLATION_ENDPOINTS = env_list("INSTALLATION_ENDPOINTS", ["127.0.0.1:8000", "127.0.0.1:8001", "127.0.0.1:8002"])
# Keep (and show) the first KiB of a receiver's answer on each delivery; never for a
# receiver reached through the allow-list above.
WEBHOOK_STORE_RESPONSE_BODY = env_bool("WEBHOOK_STORE_RESPONSE_BODY", False)
# Attempts per e-mail and per webhook delivery, and the first retry's delay in seconds
# (doubled after each failure, at most an hour; apps.notifications.delivery).
NOTIFICATIONS_EMAIL_MAX_ATTEMPTS = env_int("NOTIFICATIONS_EMAIL_MAX_ATTEMPTS", 5)
NOTIFICATIONS_EMAIL_RETRY_BASE_SECONDS = env_int("NOTIFICATIONS_EMAIL_RETRY_BASE_SECONDS", 60)
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 8)
WEBHOOK_RETRY_BASE_SECONDS = env_int("WEBHOOK_RETRY_BASE_SECONDS", 30)
# Seconds one webhook attempt may take to connect, to wait for each read, and in all.
WEBHOOK_CONNECT_TIMEOUT_SECONDS = env_float("WEBHOOK_CONNECT_TIMEOUT_SECONDS", 5.0)
WEBHOOK_READ_TIMEOUT_SECONDS = env_float("WEBHOOK_READ_TIMEOUT_SECONDS", 10.0)
WEBHOOK_TOTAL_TIMEOUT_SECONDS = env_float("WEBHOOK_TOTAL_TIMEOUT_SECONDS", 30.0)
# A CA bundle for receivers whose certificates a private CA signs (empty: the system's store).
WEBHOOK_CA_FILE = env_str("WEBHOOK_CA_FILE", "")
# Webhooks one company may register.
WEBHOOKS_PER_TENANT_MAX = env_int("WEBHOOKS_PER_TENANT_MAX", 50)
# How overdue an e-mail or delivery must be before notifications.redispatch_due queues it
# again (its publish was lost with Redis, or its message with a worker).
NOTIFICATIONS_REDISPATCH_AFTER_SECONDS = env_int("NOTIFICATIONS_REDISPATCH_AFTER_SECONDS", 120)
# Days finished e-mail logs and webhook deliveries are kept (notifications.purge_old).
NOTIFICATIONS_RETENTION_DAYS = env_int("NOTIFICATIONS_RETENTION_DAYS", 90)
# Not an operator setting: a queue that overrides the routes below for notification tasks,
# so that a test's own worker receives them (empty: the routes decide).
NOTIFICATIONS_TASK_QUEUE = ""

# --- Tickets and alerts ---------------------------------------------------------------------
# Limits of one ticket (apps.helpdesk.services): photos sent with a new ticket, then files
# and comments in all.
TICKET_MAX_PHOTOS_PER_REQUEST = env_int("TICKET_MAX_PHOTOS_PER_REQUEST", 5)
TICKET_MAX_ATTACHMENTS = env_int("TICKET_MAX_ATTACHMENTS", 30)
TICKET_MAX_COMMENTS = env_int("TICKET_MAX_COMMENTS", 500)
# Minutes an alert may stay unacknowledged before it escalates, per severity, at most a
# week ("CRITICAL=3,LOW=never"); a company's Tenant.settings win (apps.noc.escalation).
NOC_ESCALATION_MINUTES = env_delay_map(
    "NOC_ESCALATION_MINUTES", {"CRITICAL": 5, "HIGH": 15, "MEDIUM": 60, "LOW": None}, longest=7 * 24 * 60
)

# --- Requests -----------------------------------------------------------------------------
# Bodies above this are refused with 413 before anything parses them; uploads get their
# own, larger limits in the endpoints that accept files.
MAX_REQUEST_BODY_BYTES = env_int("MAX_REQUEST_BODY_BYTES", 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BODY_BYTES
# A person's reference photo (JPEG, PNG or WebP), checked by apps.people.services.
PERSON_PHOTO_MAX_BYTES = env_int("PERSON_PHOTO_MAX_BYTES", 5 * 1024 * 1024)
# Size limit of a stored attachment (apps.core.attachments) per kind, in bytes: "PHOTO=5242880"
# changes that kind only; a kind that does not exist is refused.
ATTACHMENT_MAX_BYTES = env_int_map(
    "ATTACHMENT_MAX_BYTES",
    {
        "PHOTO": 10 * 1024 * 1024,
        "SIGNATURE": 1024 * 1024,
        "AUDIO": 10 * 1024 * 1024,
        "VIDEO": 20 * 1024 * 1024,
        "DOCUMENT": 20 * 1024 * 1024,
    },
    known_keys_only=True,
)
# Endpoints that take files get their own limit (the file's limit plus multipart
# overhead), by a regular expression matched at the start of the path.
UPLOAD_BODY_LIMITS = {
    r"/api/v1/imports/": 10 * 1024 * 1024 + 64 * 1024,
    r"/api/v1/people/[^/]+/photo/$": PERSON_PHOTO_MAX_BYTES + 64 * 1024,
    r"/admin/people/person/(add|[^/]+/change)/$": PERSON_PHOTO_MAX_BYTES + 64 * 1024,
    # A new ticket with up to 5 photos, and one file added to a ticket (under nginx's 25 MB).
    r"/api/v1/tickets/$": 24 * 1024 * 1024,
    r"/api/v1/tickets/[0-9]+/attachments/$": 20 * 1024 * 1024 + 64 * 1024,
}
# Number of trusted reverse proxies in front of the app (nginx locally): the client
# address is taken from X-Forwarded-For only that many hops back.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.people.api.authentication.JWTAuthentication",
        "apps.people.api.authentication.TenantSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "apps.core.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["apps.core.api.parsers.CleanJSONParser"],
    "EXCEPTION_HANDLER": "apps.core.api.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append("rest_framework.renderers.BrowsableAPIRenderer")  # type: ignore[attr-defined]

SPECTACULAR_SETTINGS = {
    "TITLE": "Youtility API",
    "DESCRIPTION": "Operations platform for security-guard and facility-services companies.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a "kind" choice field; name each enum after its model.
    "ENUM_NAME_OVERRIDES": {
        "LookupKindEnum": "apps.tenants.models.Lookup.Kind",
        "AssetKindEnum": "apps.assets.models.Asset.Kind",
        "ChecklistKindEnum": "apps.checklists.models.Checklist.Kind",
        "AssetStatusEnum": "apps.assets.models.Asset.Status",
        "WebhookDeliveryStatusEnum": "apps.notifications.models.WebhookDelivery.Status",
        "NotificationStatusEnum": "apps.notifications.models.NotificationLog.Status",
        "AlertStatusEnum": "apps.noc.models.Alert.Status",
        "AlertTypeEnum": "apps.noc.models.Alert.Type",
        "AlertSeverityEnum": "apps.noc.models.Alert.Severity",
        "TicketStatusEnum": "apps.helpdesk.models.Status",
        "TicketPriorityEnum": "apps.helpdesk.models.Priority",
        "TicketSourceEnum": "apps.helpdesk.models.Ticket.Source",
        "TicketEventKindEnum": "apps.helpdesk.models.TicketEvent.Kind",
        "AttachmentKindEnum": "apps.core.models.Attachment.Kind",
        "ScheduleKindEnum": "apps.scheduling.models.Kind",
        "JobKindEnum": "apps.scheduling.models.Job.Kind",
        "JobStatusEnum": "apps.scheduling.models.Job.Status",
        "JobOriginEnum": "apps.scheduling.models.Job.Origin",
        "JobPriorityEnum": "apps.scheduling.models.Priority",
        "ScanTypeEnum": "apps.scheduling.models.ScanType",
        "ChangeActionEnum": "apps.audit.models.Action",
        "ChangeDoorEnum": "apps.core.context.Door",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "apps.core.api.schema.add_error_responses",
    ],
}

GRAPHENE = {
    "SCHEMA": "youtility.schema.schema",
    "ATOMIC_MUTATIONS": True,
    # Dates and date-times in arguments within the range REST accepts (apps.core.bounds).
    "MIDDLEWARE": ["apps.core.graphql.ArgumentBounds"],
}
GRAPHQL_MAX_DEPTH = env_int("GRAPHQL_MAX_DEPTH", 8)
GRAPHQL_MAX_FIELDS = env_int("GRAPHQL_MAX_FIELDS", 300)
GRAPHQL_MAX_QUERY_BYTES = env_int("GRAPHQL_MAX_QUERY_BYTES", 20_000)
# GraphiQL (the in-browser editor at /graphql/) and introspection, which it needs, are a
# developer's tools: on in the local profile, off in production unless the operator opts in.
GRAPHIQL = env_bool("GRAPHIQL", PROFILE == "local")
GRAPHQL_INTROSPECTION = env_bool("GRAPHQL_INTROSPECTION", PROFILE == "local")
# Query cost budget of one request (apps.core.graphql_limits.cost_limit_validator): a
# person gets the largest budget of their roles, or GRAPHQL_MAX_COST when none is listed.
GRAPHQL_MAX_COST_BY_ROLE = env_int_map(
    "GRAPHQL_MAX_COST_BY_ROLE", {"admin": 15_000, "supervisor": 15_000, "guard": 10_000, "client_viewer": 10_000}
)
GRAPHQL_MAX_COST = env_int("GRAPHQL_MAX_COST", 10_000)
GRAPHQL_MAX_COST_ANONYMOUS = env_int("GRAPHQL_MAX_COST_ANONYMOUS", 200)
# Seconds a GraphQL request may execute before it is stopped (query_timeout); well under
# gunicorn's --timeout, so the application answers before the worker is killed.
GRAPHQL_MAX_SECONDS = env_int("GRAPHQL_MAX_SECONDS", 15)

# --- Celery -------------------------------------------------------------------------------
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = False

# --- I18n, static, media -------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Security -----------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# A refused CSRF token gets the console's 403 page (or the API's error shape), not Django's.
CSRF_FAILURE_VIEW = "apps.core.views.csrf_failure"
# Violation reports browsers send to /csp-report (apps.core.security): the largest body
# read, and how many reports one client address may send a minute.
CSP_REPORT_MAX_BYTES = env_int("CSP_REPORT_MAX_BYTES", 16 * 1024)
CSP_REPORTS_PER_MINUTE = env_int("CSP_REPORTS_PER_MINUTE", 60)
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # The TLS-terminating proxy redirects; health probes arrive over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]

# --- Logging: structured JSON, one line per event, with the correlation id -----------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOG_FORMAT = env_str("LOG_FORMAT", "json")
LOGGING_CONFIG = None  # configured by apps.core.logging.configure_logging at start-up
# /metrics answers loopback clients (the client address as TRUSTED_PROXY_COUNT reads it)
# and requests with "Authorization: Bearer <METRICS_TOKEN>"; anyone else gets a 404.
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
if METRICS_TOKEN and len(METRICS_TOKEN) < 32:
    raise ImproperlyConfigured("METRICS_TOKEN must be at least 32 characters (or unset for loopback-only metrics).")

from apps.core.logging import configure_logging  # noqa: E402

configure_logging(level=LOG_LEVEL, fmt=LOG_FORMAT)

# --- Celery queues, routes and the one schedule (synced into django-celery-beat) ---------
# Tasks are named "<app>.<task>"; a route sends every task of a prefix to its queue, so a
# slow report never waits behind a burst of notifications. The worker line of the Procfile
# consumes every queue listed here (a test checks it), and a worker started without
# --queues consumes them all.
from celery.schedules import crontab  # noqa: E402
from kombu import Exchange, Queue  # noqa: E402

# Each queue has its own exchange and routing key: queues declared by name alone all get
# Celery's default binding (exchange "default", key "default"), and a task routed to one
# of them is then delivered to every one of them.
CELERY_TASK_QUEUES = tuple(
    Queue(name, Exchange(name, type="direct"), routing_key=name)
    for name in ("default", "notifications", "reports", "scheduling")
)
CELERY_TASK_ROUTES = {
    "notifications.*": {"queue": "notifications"},
    "reports.*": {"queue": "reports"},
    "scheduling.*": {"queue": "scheduling"},
    "*": {"queue": "default"},
}
CELERY_BEAT_SCHEDULE = {
    "purge-expired-refresh-tokens": {
        "task": "people.purge_expired_refresh_tokens",
        "schedule": crontab(hour="3", minute="17"),
    },
    # Unacknowledged alerts past their severity's delay move up a level.
    "escalate-alerts": {"task": "noc.escalate_alerts", "schedule": crontab()},
    # Tickets waiting at their level past the next rule's wait escalate; overdue ones breach.
    "helpdesk-escalate-tickets": {"task": "helpdesk.escalate_tickets", "schedule": crontab()},
    "helpdesk-check-sla": {"task": "helpdesk.check_sla", "schedule": crontab()},
    # Notifications and webhook deliveries whose task was lost are queued again.
    "notifications-redispatch-due": {"task": "notifications.redispatch_due", "schedule": crontab(minute="*")},
    "notifications-purge-old": {"task": "notifications.purge_old", "schedule": crontab(hour="3", minute="41")},
    # Schedules become jobs for the rolling window; expired jobs close; PPM reminders go out.
    "scheduling-generate-jobs": {"task": "scheduling.generate_jobs", "schedule": crontab(minute="*/10")},
    "scheduling-autoclose-jobs": {"task": "scheduling.autoclose_jobs", "schedule": crontab(minute="*")},
    "scheduling-report-missed": {"task": "scheduling.report_missed", "schedule": crontab(minute="*")},
    "scheduling-send-reminders": {"task": "scheduling.send_reminders", "schedule": crontab(minute="*")},
    # Change log entries past each tenant's retention (bounded per run; the rest the next day).
    "audit-purge-changelog": {"task": "audit.purge_changelog", "schedule": crontab(hour="4", minute="7")},
}
