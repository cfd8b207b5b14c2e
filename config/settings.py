"""Settings, read from environment variables with safe development defaults.

Production mode is ``DEBUG=false``: it refuses to start without a real SECRET_KEY, and turns on the
transport and cookie protections that ``manage.py check --deploy`` expects.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_secret, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", True)

# A development key is only acceptable while DEBUG is on; it is recognisable by its prefix.
DEVELOPMENT_SECRET_KEY_PREFIX = "development-only-"  # noqa: S105 - a marker, not a secret
SECRET_KEY = env_secret("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Production (DEBUG=false) needs a long random SECRET_KEY "
            "or SECRET_KEY_FILE; see README.md, Configuration."
        )
    SECRET_KEY = DEVELOPMENT_SECRET_KEY_PREFIX + "q7w1v9x3k5m2n8b4c6z0l1p3o5i7u9y2t4r6e8w0"
elif not DEBUG and SECRET_KEY.startswith(DEVELOPMENT_SECRET_KEY_PREFIX):
    raise ImproperlyConfigured(
        "SECRET_KEY is the development key. Production (DEBUG=false) needs its own long random key."
    )

# Encryption at rest (encryption/keyring.py). The keyring of key-encryption keys and the blind-index key
# are secrets, separate from each other and from SECRET_KEY; in development they are generated under
# VAR_DIR on first use, production refuses to start without them.
ENCRYPTION_KEYRING = env_secret("ENCRYPTION_KEYRING", "")
BLIND_INDEX_KEY = env_secret("BLIND_INDEX_KEY", "")
if not DEBUG and not (ENCRYPTION_KEYRING and BLIND_INDEX_KEY):
    raise ImproperlyConfigured(
        "ENCRYPTION_KEYRING and BLIND_INDEX_KEY must be set (or their *_FILE variants). Production "
        "(DEBUG=false) never generates keys; see README.md, Encryption."
    )
ENCRYPTION_DEV_KEYRING_FILE = VAR_DIR / "keyring.json"
ENCRYPTION_DEV_BLIND_INDEX_KEY_FILE = VAR_DIR / "blind_index.key"
# Unwrapped data keys are cached per process this long and this many, so that lists cost one key query.
ENCRYPTION_KEY_CACHE_SECONDS = env_int("ENCRYPTION_KEY_CACHE_SECONDS", 30)
ENCRYPTION_KEY_CACHE_SIZE = env_int("ENCRYPTION_KEY_CACHE_SIZE", 1024)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "guardian",
    "simple_history",
    "axes",
    "csp",
    # Two-factor authentication: authenticator apps (TOTP) and single-use recovery codes.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "agencies",
    "encryption",
    "audit",
    "referrals",
    "risk",
    "dataprotection",
    "partnership",
    "drafts",
    "operations",
    "django_prometheus",
    # Django's task framework (the django-tasks backport) and its database backend: notification emails.
    "django_tasks",
    "django_tasks_db",
    # Case work after the decision: strategy discussions, MACE, plans and actions, outcomes.
    "casework",
    # The in-app inbox: low in the layers, so risk and referrals can tell people.
    "notifications",
    # The API for agencies' own systems: REST framework, its OpenAPI schema, OAuth 2.0 clients.
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "oauth2_provider",
    "api",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Early, so every later middleware and view (and the services they call) can audit this request.
    "audit.middleware.RequestContextMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Marks the user verified when the session holds a second factor (django-otp's session key).
    "django_otp.middleware.OTPMiddleware",
    # After CSRF (a post with a bad token never reaches it) and before LoginRequiredMiddleware: a form
    # posted after the session ended is kept as its author's encrypted draft (drafts/web.py).
    "drafts.web.DraftCaptureMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After messages, so a session that reached its absolute lifetime can be told why it ended.
    "agencies.sessions.AbsoluteSessionLifetimeMiddleware",
    "agencies.middleware.MembershipMiddleware",
    # After memberships: whether a second factor is required depends on the member's roles.
    "agencies.two_factor.TwoFactorMiddleware",
    # After the membership is known: marks reads of a record opened under emergency (break-glass) access.
    "dataprotection.middleware.BreakGlassMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Inside the CSP middleware, so the page it puts in place of Django's technical 404 gets the nonce.
    "config.middleware.ServiceNotFoundMiddleware",
    "config.middleware.NoStoreMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # Axes must come last: it turns a locked-out login into the cool-off page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "agencies.context_processors.membership",
                "dataprotection.context_processors.break_glass",
                "agencies.context_processors.session_timeout",
                "notifications.context_processors.unread_notifications",
            ],
        },
    },
]

VAR_DIR.mkdir(parents=True, exist_ok=True)


def _same_database(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return (a.get("ENGINE"), a.get("NAME"), a.get("HOST") or "", str(a.get("PORT") or "")) == (
        b.get("ENGINE"), b.get("NAME"), b.get("HOST") or "", str(b.get("PORT") or ""))


DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'safeguarding.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0), conn_health_checks=True,
    )
}
# With DATABASE_CONN_MAX_AGE above 0 a connection outlives its request; the health check (one trivial query
# when a request first uses a kept connection) replaces one the database has closed, e.g. after a restart,
# instead of failing that request.
# The key store (encryption app): wrapped data keys, blind indexes and the erasure ledger, in a database
# of their own, so that no backup of the main database holds key material and the key store can have a
# short backup retention of its own (README.md, Backups and erasure). Django's database router
# (config/routers.py) sends the encryption app there and everything else to "default".
KEYS_DATABASE_ALIAS = "keys"
DATABASES[KEYS_DATABASE_ALIAS] = dj_database_url.parse(
    env_str("KEYS_DATABASE_URL", f"sqlite:///{VAR_DIR / 'keys.sqlite3'}"),
    conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0), conn_health_checks=True,
)
if _same_database(DATABASES["default"], DATABASES[KEYS_DATABASE_ALIAS]):
    raise ImproperlyConfigured(
        "KEYS_DATABASE_URL names the main database. The key store must be a database of its own (a "
        "separate PostgreSQL database or server); see README.md, Backups and erasure."
    )
# A streaming replica of the main database (optional): the auditors' pages, the statistics and the exports
# read from it (config.routers.reads_from_replica); writes, and reads inside a transaction, stay on the
# primary. In tests it mirrors the primary's test database (the replica receives it by streaming).
if env_str("DATABASE_REPLICA_URL", ""):
    DATABASES["replica"] = dj_database_url.parse(env_str("DATABASE_REPLICA_URL", ""),
                                                 conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
                                                 conn_health_checks=True)
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["config.routers.KeyStoreRouter"]
# The newest erasure ledger exported with export_erasures (kept beside the audit anchors, outside both
# databases). Start-up refuses while the key store holds a live key that this file marks erased.
ERASURE_LEDGER_FILE = env_str("ERASURE_LEDGER_FILE", "")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # Axes first, so a throttled account or address is refused before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "agencies.backends.RoleBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# Guardian's anonymous user is not wanted: anonymous visitors can reach nothing but login and health.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling: too many failures for one account, or from one address, pause sign-in for a
# cool-off period. Never a permanent lock, which would let anyone lock a colleague out.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15))
# By account, and by account and address together: never by address alone. Behind the load balancer
# every user can share one address, and an address-only lock would let anyone, with made-up usernames,
# pause sign-in for the whole service. (The pair adds nothing today, the limits being equal, but keeps
# the rule explicit if the two limits ever differ.)
AXES_LOCKOUT_PARAMETERS = ["username", ["username", "ip_address"]]
# The address axes records and throttles on comes from the trusted proxy chain (config/client.py), the
# same helper the access trail uses; django-ipware is not used.
AXES_CLIENT_IP_CALLABLE = "config.client.client_address"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "agencies.views.locked_out"
AXES_VERBOSE = False
AXES_SENSITIVE_PARAMETERS = ["password"]
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# Sessions end after 30 minutes without a request (the idle timeout); every request renews them.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_MINUTES", 30) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# However active, a session ends this long after signing in (ASVS 7.3.2); checked on every request.
SESSION_ABSOLUTE_HOURS = env_int("SESSION_ABSOLUTE_HOURS", 10)
# The timeout warning (GOV.UK Design System pattern) opens this long before the idle limit.
SESSION_WARNING_SECONDS = env_int("SESSION_WARNING_SECONDS", 120)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # __Host- cookies are bound to this exact host over HTTPS, with no Domain attribute.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    if env_bool("BEHIND_TLS_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "object-src": [NONE],
        "base-uri": [NONE],
    }
}

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
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

EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "safeguarding@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Links in notifications are built from this, never from the request's Host header.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

SERVICE_NAME = "Safeguarding risk register"

# Two-factor authentication (agencies/two_factor.py). Members holding any of these roles must give a
# second factor after their password; everyone else may choose to. Codes from an authenticator app
# (TOTP), or a single-use recovery code.
OTP_REQUIRED_ROLES = env_list(
    "OTP_REQUIRED_ROLES", ["dsl", "mash_lead", "auditor", "administrator", "data_protection_officer",
                           "partnership_analyst"]
)
OTP_TOTP_ISSUER = SERVICE_NAME
# Wrong codes double the wait before the next try (1, 2, 4, 8... seconds times this factor).
OTP_TOTP_THROTTLE_FACTOR = env_int("OTP_THROTTLE_FACTOR", 1)
OTP_STATIC_THROTTLE_FACTOR = OTP_TOTP_THROTTLE_FACTOR
OTP_RECOVERY_CODE_COUNT = 10
# Exports, merges and erasure ask again for the second factor (or the password, for members without an
# authenticator) unless it was given within this many minutes.
STEP_UP_MINUTES = env_int("STEP_UP_MINUTES", 5)
# Separation of duties (agencies.services): a request to grant a case role or reset a second factor waits
# this many days for a second administrator; a set-password link works once, for this many hours.
APPROVAL_REQUEST_DAYS = env_int("APPROVAL_REQUEST_DAYS", 7)
INVITATION_HOURS = env_int("INVITATION_HOURS", 72)

# JSON lines with the request id in production (config/logs.py: exceptions as their class and stack, never
# their message); plain lines in the demo. LOG_FORMAT=json or plain chooses.
LOG_FORMAT = env_str("LOG_FORMAT", "plain" if DEBUG else "json")
if LOG_FORMAT not in ("json", "plain"):
    raise ImproperlyConfigured("LOG_FORMAT must be json or plain.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "audit.logs.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "config.logs.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT,
                             "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Request logs would carry query strings and POST data of case pages; keep them out.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "axes": {"level": "WARNING"},
    },
}
CSRF_FAILURE_VIEW = "config.errors.csrf_failure"

# --- Scheduled jobs (operations app; deploy/ schedules them) --------------------------------------------
# The health endpoint answers 503 when a scheduled job has not succeeded within its period: on in
# production, off in the demo (nothing is scheduled there).
HEALTH_REQUIRES_JOBS = env_bool("HEALTH_REQUIRES_JOBS", not DEBUG)
# seed_demo loads a year of fictional history (720 girls in three boroughs) so the statistics show something.
DEMO_STATISTICS_HISTORY = env_bool("DEMO_STATISTICS_HISTORY", True)
# Prometheus metrics at /metrics/ for a scraper that sends "Authorization: Bearer <METRICS_TOKEN>"; with no
# token set the URL answers 404. Request counts and latencies by view (never a path with a reference in it),
# and each scheduled job's last success and lateness.
METRICS_TOKEN = env_secret("METRICS_TOKEN", "")

# Background tasks (operations/tasks.py): notification emails go through a queue. "database": rows in the
# main database, sent by `python manage.py db_worker` (deploy/systemd/safeguarding-worker.service), with
# retries and backoff; "immediate": sent in this process when the transaction commits (the demo and the
# tests, which run no worker).
TASKS_BACKEND = env_str("TASKS_BACKEND", "immediate" if DEBUG else "database")
_TASK_BACKENDS = {"database": "django_tasks_db.DatabaseBackend",
                  "immediate": "django_tasks.backends.immediate.ImmediateBackend"}
if TASKS_BACKEND not in _TASK_BACKENDS:
    raise ImproperlyConfigured("TASKS_BACKEND must be database or immediate.")
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[TASKS_BACKEND], "QUEUES": ["default", "email"]}}
# /ready/ answers 503 when a queued task has waited longer than this to be picked up (the worker is down).
TASK_QUEUE_MAX_LAG_SECONDS = env_int("TASK_QUEUE_MAX_LAG_SECONDS", 300)
# Records of tasks that succeeded are deleted after this many days (prune_task_results, daily).
TASK_RESULTS_KEEP_DAYS = env_int("TASK_RESULTS_KEEP_DAYS", 7)

# --- The access trail (audit app) ---------------------------------------------------------------------
# Key that signs exported chain heads (anchor_audit); keep the anchors, and this key, off the database host.
DEVELOPMENT_AUDIT_ANCHOR_KEY = "development-only-audit-anchor-key-3f9c1d7e5b"  # noqa: S105 - a marker
AUDIT_ANCHOR_KEY = env_secret("AUDIT_ANCHOR_KEY", "")
if not AUDIT_ANCHOR_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "AUDIT_ANCHOR_KEY is not set. Production (DEBUG=false) needs a long random AUDIT_ANCHOR_KEY "
            "or AUDIT_ANCHOR_KEY_FILE to sign audit anchors; see README.md, Configuration."
        )
    AUDIT_ANCHOR_KEY = DEVELOPMENT_AUDIT_ANCHOR_KEY
elif not DEBUG and AUDIT_ANCHOR_KEY.startswith(DEVELOPMENT_SECRET_KEY_PREFIX):
    raise ImproperlyConfigured("AUDIT_ANCHOR_KEY is the development key; production needs its own.")

# Apps whose every URL must record an audit event (checked by audit.E001 and a test).
AUDIT_REQUIRED_APPS = ["audit", "referrals", "risk", "encryption", "dataprotection", "drafts", "api"]

# Anomaly rules for the auditors' page. Times are in TIME_ZONE (London).
AUDIT_ANOMALY_RULES: dict[str, Any] = {
    "lookback_days": env_int("AUDIT_ANOMALY_LOOKBACK_DAYS", 7),
    # A user who views more than this many distinct subjects in one clock hour.
    "subjects_per_hour": env_int("AUDIT_ANOMALY_SUBJECTS_PER_HOUR", 20),
    "subject_object_types": ["subject"],
    # A user (or, for failed sign-ins, an address) refused at least this many times in one clock hour.
    "denials_per_hour": env_int("AUDIT_ANOMALY_DENIALS_PER_HOUR", 5),
    # Working hours: from start_hour to end_hour (exclusive) on these ISO weekdays (1 = Monday).
    "working_hours": (env_int("AUDIT_WORKING_HOURS_START", 7), env_int("AUDIT_WORKING_HOURS_END", 19)),
    "working_days": [1, 2, 3, 4, 5],
    "max_rows": 200,
}
AUDIT_PAGE_SIZE = 50

# The access trail's retention (PostgreSQL, where it is partitioned by month): months wholly older than
# this many months are exported as signed files to AUDIT_ARCHIVE_DIR, then detached. 0 keeps everything.
AUDIT_TRAIL_RETENTION_MONTHS = env_int("AUDIT_TRAIL_RETENTION_MONTHS", 0)
AUDIT_ARCHIVE_DIR = env_str("AUDIT_ARCHIVE_DIR", str(BASE_DIR / "var" / "audit-archive"))

# Subjects: the service is for children and young people up to this age; records are kept until
# date of birth plus the retention period, unless on legal hold.
SUBJECT_MAX_AGE = env_int("SUBJECT_MAX_AGE", 25)
SUBJECT_RETENTION_YEARS = env_int("SUBJECT_RETENTION_YEARS", 25)

# The association map.
# A place, person or group linked (actively) to at least this many young people is a context of concern.
MAP_CONTEXT_THRESHOLD = env_int("MAP_CONTEXT_THRESHOLD", 2)

# Partnership statistics: counts from 1 to one less than the threshold are suppressed, the others
# rounded to a multiple of the base (ONS / NHS Digital practice; README.md "Partnership statistics").
STATISTICS_SUPPRESSION_THRESHOLD = env_int("STATISTICS_SUPPRESSION_THRESHOLD", 10)
STATISTICS_ROUNDING_BASE = env_int("STATISTICS_ROUNDING_BASE", 5)
# At most this many links are followed from any one node when drawing a neighbourhood (hubs are capped).
MAP_FANOUT_CAP = env_int("MAP_FANOUT_CAP", 25)
# A link stops counting this many days after it was last seen, unless an earlier expiry is set.
MAP_LINK_EXPIRY_DAYS = env_int("MAP_LINK_EXPIRY_DAYS", 365)
# An associate's identity is crypto-shredded this many days after their last link ended.
MAP_ASSOCIATE_RETENTION_DAYS = env_int("MAP_ASSOCIATE_RETENTION_DAYS", 365)
# Referrals: how long routing shares a subject with the receiving agency, and how long that
# share lasts after the referral is closed (0 ends it at once).
REFERRAL_SHARE_DAYS = env_int("REFERRAL_SHARE_DAYS", 90)
REFERRAL_SHARE_GRACE_DAYS = env_int("REFERRAL_SHARE_GRACE_DAYS", 14)

# Emergency (break-glass) access: how long a MASH lead's opening of a record outside their normal
# access lasts. It is never extended; opening again needs a new reason.
BREAK_GLASS_HOURS = env_int("BREAK_GLASS_HOURS", 4)

# Drafts (drafts/): a form posted after the session ended is kept, encrypted under a key of its own, for
# this many hours; the binding token its page carries is good for this long after the page was shown.
DRAFT_HOURS = env_int("DRAFT_HOURS", 24)
# The inbox: notifications are deleted this many days after they were made, read or not
# (`manage.py purge_notifications`, daily); the case itself keeps its own record of what happened.
NOTIFICATION_RETENTION_DAYS = env_int("NOTIFICATION_RETENTION_DAYS", 180)
DRAFT_BINDING_HOURS = env_int("DRAFT_BINDING_HOURS", 12)

# --- The API for agencies' own systems (api app) ---------------------------------------------
# Clients are agency systems holding OAuth 2.0 client credentials (django-oauth-toolkit): secrets stored
# hashed, short-lived bearer tokens, scopes limited per client (api.auth.ClientScopes).
OAUTH2_PROVIDER = {
    "SCOPES": {"concerns:write": "Submit concerns", "outcomes:read": "Read what happened to the agency's concerns"},
    "DEFAULT_SCOPES": ["concerns:write", "outcomes:read"],
    "SCOPES_BACKEND_CLASS": "api.auth.ClientScopes",
    "OAUTH2_VALIDATOR_CLASS": "api.auth.ClientValidator",
    "ACCESS_TOKEN_EXPIRE_SECONDS": env_int("API_TOKEN_SECONDS", 900),
    # RFC 9700 (OAuth 2.0 Security BCP): the compliant behaviour everywhere (no implicit or password grant,
    # S256 PKCE only, bearer tokens only in the Authorization header, iss in authorisation responses). Only
    # client credentials are used here anyway.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    # Tokens hashed at rest: a copy of the database gives nobody a working token.
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    "ALLOW_URI_WILDCARDS": False,
    "PKCE_REQUIRED": True,
}
# Named here because ApiClient points at the application model (a swappable model's migrations need it).
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "api.problems.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_THROTTLE_RATES": {"api_client": env_str("API_RATE", "120/min")},
}
# Where the API's rate counts live: Django's database cache, in a table of the main database made by a
# migration (api 0003), so every gunicorn worker and every server counts against one rate, in every
# deployment and with nothing more to run (a per-process cache would give N workers N times the rate).
API_RATE_CACHE = "api_rate"
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    API_RATE_CACHE: {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "api_rate_counts",
        # One row per client (a minute of call times): never culled while counting, which would reset rates.
        "OPTIONS": {"MAX_ENTRIES": 100_000},
        "TIMEOUT": 3600,
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Safeguarding risk register: API for agency systems",
    "DESCRIPTION": "Concerns in, outcomes back. OAuth 2.0 client credentials; errors as RFC 9457 problem details.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}
# The largest request body the API reads (bytes): a concern with its longest narrative fits many times over.
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 64 * 1024)
# A client is registered for at most this many days; it is registered again (a new secret) after that.
API_CLIENT_MAX_DAYS = env_int("API_CLIENT_MAX_DAYS", 730)
