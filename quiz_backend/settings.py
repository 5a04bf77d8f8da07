"""Django settings for quiz_backend.

Every value an operator may change comes from the environment (``.env`` is loaded
by python-dotenv; exported variables win over it); ``.env.example`` documents each
variable. The test settings read no ``.env`` at all (``ENV_FILE=""``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from dotenv import load_dotenv

from quiz_backend.env import env_bool, env_int, env_int_list, env_list, env_setting, env_str
from social_media.platforms.spec import platform_settings

BASE_DIR = Path(__file__).resolve().parent.parent
# ENV_FILE comes from the process environment only: the dotenv file to read (relative
# to BASE_DIR), default .env; empty reads none (the test suite and its subprocesses).
ENV_FILE = env_str("ENV_FILE", ".env")
if ENV_FILE:
    _env_path = BASE_DIR / ENV_FILE
    if _env_path.is_file():
        load_dotenv(_env_path)
    elif ENV_FILE != ".env":
        raise ImproperlyConfigured(f"ENV_FILE names {ENV_FILE!r}, which is not a file.")

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-local-development-only"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL", "http://localhost:8000").rstrip("/")

# --- HTTPS hardening: on by default when DEBUG is off, each one overridable ---------
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto (and strips it from clients).
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "tasks",
    "quiz_media",
    "webhooks",
    "social_media",
    "emulator",
]

MIDDLEWARE = [
    # First: /healthz answers load balancers whatever their Host header or scheme.
    "quiz_backend.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A secret no configured key opens: a clear page instead of a traceback.
    "quiz_backend.encryption.DecryptionErrorMiddleware",
]

ROOT_URLCONF = "quiz_backend.urls"
# Admin messages may carry a webhook secret shown once: keep them server-side,
# not in a (signed but readable) cookie.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

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
            ],
        },
    },
]

WSGI_APPLICATION = "quiz_backend.wsgi.application"

try:
    DATABASES = {
        "default": dj_database_url.parse(
            env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
            conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
            conn_health_checks=True,
        )
    }
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The local run's site, worker and beat write one SQLite file at once. WAL lets readers
    # go on while one process writes, and IMMEDIATE takes the write lock when a transaction
    # begins, so a writer waits (up to ``timeout`` s) instead of failing "database is locked"
    # when SQLite cannot upgrade a read lock mid-transaction.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        transaction_mode="IMMEDIATE",
        timeout=20,
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = env_str("LANGUAGE_CODE", "ru")
LANGUAGES = [("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or BASE_DIR / "media")
# Where uploaded and rendered media are stored: any Django storage class (e.g.
# "storages.backends.s3.S3Storage" from django-storages) with its OPTIONS as a JSON object.
MEDIA_STORAGE_BACKEND = env_str(
    "MEDIA_STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage"
)
try:
    MEDIA_STORAGE_OPTIONS = json.loads(env_str("MEDIA_STORAGE_OPTIONS") or "{}")
except ValueError as exc:
    raise ImproperlyConfigured(f"MEDIA_STORAGE_OPTIONS must be a JSON object: {exc}") from None
if not isinstance(MEDIA_STORAGE_OPTIONS, dict):
    raise ImproperlyConfigured("MEDIA_STORAGE_OPTIONS must be a JSON object, e.g. {}.")
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": MEDIA_STORAGE_BACKEND, "OPTIONS": MEDIA_STORAGE_OPTIONS},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    "EXCEPTION_HANDLER": "quiz_backend.api.json_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Reverse proxies in front of the site; DRF's throttles trust X-Forwarded-For only that far.
    "NUM_PROXIES": env_int("NUM_PROXIES", 0),
    "UNAUTHENTICATED_USER": None,
}

# --- Celery -----------------------------------------------------------------
# Unset CELERY_BROKER_URL means the embedded, file-backed Kombu transport: the
# one-command local run needs no broker server. Production sets a Redis URL.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or "filesystem://"
CELERY_BROKER_DIR = Path(env_str("CELERY_BROKER_DIR") or BASE_DIR / "var" / "celery-broker")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=60)

# --- Social media publishing -------------------------------------------------
SOCIAL_MEDIA_AUTO_PUBLISH = env_bool("SOCIAL_MEDIA_AUTO_PUBLISH", True)
# Each platform's own settings (base URLs, app ids, …), declared with their defaults in
# social_media/platforms/<key>/conf.py SETTINGS and read from the variable of that name.
for _setting in platform_settings():
    globals()[_setting.name] = env_setting(_setting)
# Seconds before each retry of a transient failure; the number of values is the
# number of retries. Default: 6 attempts spread over about 4 hours.
SOCIAL_MEDIA_RETRY_DELAYS = env_int_list("SOCIAL_MEDIA_RETRY_DELAYS", [30, 120, 600, 3600, 10800])
SOCIAL_MEDIA_HTTP_TIMEOUT = env_int("SOCIAL_MEDIA_HTTP_TIMEOUT", 20, minimum=1)
SOCIAL_MEDIA_LEASE_SECONDS = env_int("SOCIAL_MEDIA_LEASE_SECONDS", 300, minimum=5)
SOCIAL_MEDIA_CALLBACK_TIMEOUT = env_int("SOCIAL_MEDIA_CALLBACK_TIMEOUT", 1800, minimum=60)
SOCIAL_MEDIA_RELAY_INTERVAL = env_int("SOCIAL_MEDIA_RELAY_INTERVAL", 30, minimum=1)
# Engagement read back from the platforms (social_media/metrics_collect.py): seconds
# between collection passes (beat, queue "metrics"), and for how many days after
# publishing a post's numbers are read (often in the first day, then daily).
SOCIAL_MEDIA_METRICS_INTERVAL = env_int("SOCIAL_MEDIA_METRICS_INTERVAL", 300, minimum=10)
SOCIAL_MEDIA_METRICS_DAYS = env_int("SOCIAL_MEDIA_METRICS_DAYS", 30, minimum=1)
# Hand a save's posts to the broker from a sender thread, so the save does not wait
# for the broker (social_media/background.py); off: the save sends them itself.
SOCIAL_MEDIA_ENQUEUE_IN_BACKGROUND = env_bool("SOCIAL_MEDIA_ENQUEUE_IN_BACKGROUND", True)
# How long a post may wait on a multi-step platform (container processing, upload,
# publish status) in all before it fails; a platform may ask for its own limit.
SOCIAL_MEDIA_STEP_DEADLINE_SECONDS = env_int("SOCIAL_MEDIA_STEP_DEADLINE_SECONDS", 3600, minimum=60)

# --- Rendered media (quiz_media) -----------------------------------------------------
# Absolute base of every media URL sent to platforms (they fetch media by URL).
MEDIA_PUBLIC_URL = env_str("MEDIA_PUBLIC_URL") or f"{SITE_URL}/{MEDIA_URL}"
if not MEDIA_PUBLIC_URL.endswith("/"):
    MEDIA_PUBLIC_URL += "/"
_media_url = urlsplit(MEDIA_PUBLIC_URL)
if _media_url.username or _media_url.password or _media_url.query or _media_url.fragment:
    # Every URL built on it goes into payloads, admin pages and logs: no secrets in it.
    raise ImproperlyConfigured(
        "MEDIA_PUBLIC_URL must not carry credentials, a query or a fragment "
        "(its URLs are sent to platforms and shown in the admin)."
    )
if _media_url.scheme not in ("http", "https") or not _media_url.hostname:
    raise ImproperlyConfigured(
        "MEDIA_PUBLIC_URL must be an absolute http(s) URL (platforms fetch media by it), "
        f"got {MEDIA_PUBLIC_URL!r}."
    )
# Video length in seconds, clamped to each platform's minimum and maximum duration.
QUIZ_MEDIA_VIDEO_SECONDS = env_int("QUIZ_MEDIA_VIDEO_SECONDS", 15, minimum=1)
# Renders not used for this many days are deleted (file and row) by a daily beat job.
QUIZ_MEDIA_RENDER_RETENTION_DAYS = env_int("QUIZ_MEDIA_RENDER_RETENTION_DAYS", 30, minimum=1)
# Brand defaults; the admin's Brand settings override them.
QUIZ_MEDIA_SITE_NAME = env_str("QUIZ_MEDIA_SITE_NAME", "Quiz")
QUIZ_MEDIA_PRIMARY_COLOR = env_str("QUIZ_MEDIA_PRIMARY_COLOR", "#6366F1")
QUIZ_MEDIA_ACCENT_COLOR = env_str("QUIZ_MEDIA_ACCENT_COLOR", "#F59E0B")
QUIZ_MEDIA_BACKGROUND_COLOR = env_str("QUIZ_MEDIA_BACKGROUND_COLOR", "#0F172A")
for _name in ("QUIZ_MEDIA_PRIMARY_COLOR", "QUIZ_MEDIA_ACCENT_COLOR", "QUIZ_MEDIA_BACKGROUND_COLOR"):
    if not re.fullmatch(r"#[0-9A-Fa-f]{6}", globals()[_name]):
        raise ImproperlyConfigured(
            f"{_name} must be a colour as #RRGGBB, got {globals()[_name]!r}."
        )

# --- Logging ------------------------------------------------------------------
LOG_DIR = Path(env_str("LOG_DIR") or BASE_DIR / "quiz_backend_logs")
LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
LOG_DIR.mkdir(parents=True, exist_ok=True)
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_secrets": {"()": "quiz_backend.logging.RedactSecretsFilter"}},
    "formatters": {
        "verbose": {"format": "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "verbose",
            "filters": ["redact_secrets"],
        },
        "file": {
            # Safe when gunicorn workers, Celery workers and beat share the file:
            # rotation takes a lock instead of racing.
            "class": "concurrent_log_handler.ConcurrentRotatingFileHandler",
            "filename": str(LOG_DIR / "debug.log"),
            "maxBytes": 10 * 1024 * 1024,
            "backupCount": 5,
            "encoding": "utf-8",
            "formatter": "verbose",
            "filters": ["redact_secrets"],
        },
    },
    "root": {"handlers": ["console", "file"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "urllib3": {"level": "WARNING"},
    },
}

# --- Secrets at rest ------------------------------------------------------------
# Fernet keys, newest first; see quiz_backend/encryption.py. Required when DEBUG is off.
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS", [])
if not FIELD_ENCRYPTION_KEYS and not DEBUG:
    raise ImproperlyConfigured(
        "FIELD_ENCRYPTION_KEYS must be set when DEBUG is off "
        "(generate one with `python manage.py generate_encryption_key`)."
    )
# Lets webhooks call loopback/private addresses (development, the local emulator).
ALLOW_PRIVATE_WEBHOOK_URLS = env_bool("ALLOW_PRIVATE_WEBHOOK_URLS", False)
# Accept unauthenticated callbacks (development only; never in production).
SOCIAL_MEDIA_CALLBACK_ALLOW_UNSIGNED = env_bool("SOCIAL_MEDIA_CALLBACK_ALLOW_UNSIGNED", False)
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    "social_media_callback": env_str("SOCIAL_MEDIA_CALLBACK_RATE", "120/min"),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "quiz_backend social publishing API",
    "DESCRIPTION": "The result callback Make.com / Zapier scenarios call; see docs/security.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
REDIS_CACHE_URL = env_str("REDIS_CACHE_URL")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_CACHE_URL}
        if REDIS_CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
