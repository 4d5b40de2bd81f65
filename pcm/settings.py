"""OpenPCM settings, read from the environment.

Embedded default (nothing set): SQLite under var/, Celery tasks run in-process, mail to the console.
Full mode: DATABASE_URL (PostgreSQL) and REDIS_URL (broker and cache) set.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("OPENPCM_VAR_DIR", BASE_DIR / "var"))

TRUTHY = {"1", "true", "yes", "on"}


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in TRUTHY


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
TESTING = "pytest" in sys.modules or env_bool("OPENPCM_TESTING", False)

# --- Secret key: a development key only while DEBUG is on --------------------------------------
INSECURE_DEV_KEY = "django-insecure-openpcm-development-key-never-use-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY", "")


def secret_key_is_strong(key: str) -> bool:
    """Django's own deploy-check criteria: long, varied, not the insecure prefix."""
    return len(key) >= 50 and len(set(key)) >= 5 and not key.startswith("django-insecure-")


if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is false.")
    SECRET_KEY = INSECURE_DEV_KEY
elif not DEBUG and not secret_key_is_strong(SECRET_KEY):
    raise ImproperlyConfigured(
        "SECRET_KEY is too weak for DEBUG=false: use at least 50 characters with at least 5 "
        "different ones, not starting with 'django-insecure-'."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# --- Applications -------------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "guardian",
    "ninja",
    # Domain apps, lowest layer last (see DESIGN.md).
    "core",
    "partners",
    "customers",
    "catalog",
    "leads",
    "orders",
    "showroom",
    "service",
    "mdf",
    "analytics",
    "portals",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "pcm.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "pcm.urls"
WSGI_APPLICATION = "pcm.wsgi.application"

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
                "portals.context_processors.navigation",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "openpcm.sqlite3"),
            "OPTIONS": {"timeout": 20},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: broker and cache ---------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "openpcm-test" if TESTING else "openpcm"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: without a broker, tasks run in-process (the embedded default).
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_DEFAULT_QUEUE = "openpcm"
CELERY_TIMEZONE = "UTC"
# Periodic work; `expires` drops a run still queued when the next one is due.
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "route-new-leads": {
        "task": "leads.tasks.route_new_leads_task",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Automatic routing decisions e-mailed in digests (one message per partner, not per lead).
    "send-routing-digests": {
        "task": "leads.tasks.send_routing_digests_task",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Scheduled catalogue exports: hourly, each schedule gets one export a day and catches up after downtime.
    "start-scheduled-exports": {
        "task": "showroom.tasks.start_scheduled_exports_task",
        "schedule": 3600.0,
        "options": {"expires": 3500},
    },
    "expire-overdue-leads": {
        "task": "leads.tasks.expire_overdue_leads_task",
        "schedule": 300.0,
        "options": {"expires": 290},
    },
    "remind-lead-deadlines": {
        "task": "leads.tasks.remind_lead_deadlines_task",
        "schedule": 900.0,
        "options": {"expires": 890},
    },
    # MDF: programmes past their claim deadline close (reservations released, the rest expires);
    # partners are reminded 30 and 7 days before. Hourly, so a deadline is honoured the same day.
    "expire-fund-programs": {
        "task": "mdf.tasks.expire_programs_task",
        "schedule": 3600.0,
        "options": {"expires": 3500},
    },
    "send-fund-reminders": {
        "task": "mdf.tasks.send_fund_reminders_task",
        "schedule": 3600.0,
        "options": {"expires": 3500},
    },
    # Service requests resolved two weeks ago (the customer did not come back) are closed.
    "autoclose-resolved-service-requests": {
        "task": "service.tasks.autoclose_resolved_requests_task",
        "schedule": 3600.0,
        "options": {"expires": 3500},
    },
    # Analytics roll-ups: the days changed since the last run every two minutes, everything nightly.
    "refresh-analytics-rollups": {
        "task": "analytics.tasks.refresh_rollups_task",
        "schedule": 120.0,
        "options": {"expires": 115},
    },
    "rebuild-analytics-rollups": {
        "task": "analytics.tasks.rebuild_rollups_task",
        "schedule": 86400.0,
        "options": {"expires": 3600},
    },
    "requeue-stale-jobs": {
        "task": "core.tasks.requeue_stale_jobs_task",
        "schedule": 300.0,
        "options": {"expires": 290},
    },
}

# --- Auth: e-mail login through django-allauth ---------------------------------------------------
AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
    "guardian.backends.ObjectPermissionBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_ADAPTER = "portals.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[OpenPCM] "
# allauth's own rate limits stay on (its defaults: login failures, password reset, ...).
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
GUARDIAN_RAISE_403 = False
ANONYMOUS_USER_NAME = None

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- E-mail: EMAIL_URL (smtp://user:pass@host:port?tls=1, console://, locmem://) or EMAIL_HOST ----
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "OpenPCM <no-reply@openpcm.example>")
EMAIL_URL = os.environ.get("EMAIL_URL", "")
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
if EMAIL_URL:
    _mail = urlparse(EMAIL_URL)
    _query = parse_qs(_mail.query)
    if _mail.scheme in {"smtp", "smtps", "submission"}:
        EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        EMAIL_HOST = _mail.hostname or "localhost"
        EMAIL_PORT = _mail.port or (465 if _mail.scheme == "smtps" else 587)
        EMAIL_HOST_USER = unquote(_mail.username or "")
        EMAIL_HOST_PASSWORD = unquote(_mail.password or "")
        EMAIL_USE_SSL = _mail.scheme == "smtps"
        EMAIL_USE_TLS = not EMAIL_USE_SSL and _query.get("tls", ["1"])[0] in TRUTHY
    elif _mail.scheme == "locmem":
        EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    elif _mail.scheme == "console":
        EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    elif _mail.scheme == "file":
        EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
        EMAIL_FILE_PATH = unquote(_mail.path)
    else:
        raise ImproperlyConfigured(
            "EMAIL_URL must start with smtp://, smtps://, console://, file:// or locmem://"
        )
elif os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["EMAIL_HOST"]
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)

# --- Internationalisation ------------------------------------------------------------------------
LANGUAGE_CODE = "en"
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Berlin")
USE_I18N = True
USE_TZ = True

# --- Static files ------------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# --- Security ----------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- OpenPCM -----------------------------------------------------------------------------------
# Demo data may be loaded only where this is on (default: in DEBUG). Production refuses to seed.
DEMO_DATA_ALLOWED = env_bool("DEMO_DATA_ALLOWED", DEBUG)
DEMO_PASSWORD = "demo-pass-2026"
# Public partner applications: at most this many per client address per hour.
APPLY_RATE_LIMIT_PER_HOUR = int(os.environ.get("APPLY_RATE_LIMIT_PER_HOUR", "5"))
SHOWROOM_QUOTE_RATE_LIMIT_PER_HOUR = int(os.environ.get("SHOWROOM_QUOTE_RATE_LIMIT_PER_HOUR", "5"))
API_TOKEN_RATE_LIMIT_PER_MINUTE = int(os.environ.get("API_TOKEN_RATE_LIMIT_PER_MINUTE", "10"))
# Unknown order status links per client address per hour before /orders/status/ answers 429.
ORDER_STATUS_MISSES_PER_HOUR = int(os.environ.get("ORDER_STATUS_MISSES_PER_HOUR", "30"))
PAGE_SIZE = 25
SITE_NAME = "OpenPCM"
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

if TESTING:
    # Hashing passwords is deliberately slow; tests create many users.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
