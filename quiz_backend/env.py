"""Typed readers for settings that come from the environment.

Each reader raises ``ImproperlyConfigured`` naming the variable and the value it
expected, so a typo in ``.env`` stops start-up with a clear message instead of a
traceback deep inside Django or Celery.

``VARIABLES`` is the one list of every variable the project reads; the readers refuse
any other name, so the list cannot fall behind the code. The test settings remove
exactly these from the environment (see ``quiz_backend/hermetic.py``).
"""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

from social_media.platforms.spec import Setting, platform_settings

#: Read by quiz_backend/settings.py (.env.example documents each one).
SETTINGS_VARIABLES = frozenset(
    {
        "ALLOWED_HOSTS",
        "ALLOW_PRIVATE_WEBHOOK_URLS",
        "CELERY_BROKER_DIR",
        "CELERY_BROKER_URL",
        "CELERY_TASK_ALWAYS_EAGER",
        "CELERY_VISIBILITY_TIMEOUT",
        "CSRF_COOKIE_SECURE",
        "CSRF_TRUSTED_ORIGINS",
        "DATABASE_CONN_MAX_AGE",
        "DATABASE_URL",
        "DEBUG",
        "ENV_FILE",
        "FIELD_ENCRYPTION_KEYS",
        "LANGUAGE_CODE",
        "LOG_DIR",
        "LOG_LEVEL",
        "MEDIA_PUBLIC_URL",
        "MEDIA_ROOT",
        "MEDIA_STORAGE_BACKEND",
        "MEDIA_STORAGE_OPTIONS",
        "NUM_PROXIES",
        "QUIZ_MEDIA_ACCENT_COLOR",
        "QUIZ_MEDIA_BACKGROUND_COLOR",
        "QUIZ_MEDIA_PRIMARY_COLOR",
        "QUIZ_MEDIA_RENDER_RETENTION_DAYS",
        "QUIZ_MEDIA_SITE_NAME",
        "QUIZ_MEDIA_VIDEO_SECONDS",
        "REDIS_CACHE_URL",
        "SECRET_KEY",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_HSTS_PRELOAD",
        "SECURE_HSTS_SECONDS",
        "SECURE_PROXY_SSL_HEADER",
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
        "SITE_URL",
        "SOCIAL_MEDIA_AUTO_PUBLISH",
        "SOCIAL_MEDIA_CALLBACK_ALLOW_UNSIGNED",
        "SOCIAL_MEDIA_CALLBACK_RATE",
        "SOCIAL_MEDIA_CALLBACK_TIMEOUT",
        "SOCIAL_MEDIA_ENQUEUE_IN_BACKGROUND",
        "SOCIAL_MEDIA_HTTP_TIMEOUT",
        "SOCIAL_MEDIA_LEASE_SECONDS",
        "SOCIAL_MEDIA_RELAY_INTERVAL",
        "SOCIAL_MEDIA_METRICS_INTERVAL",
        "SOCIAL_MEDIA_METRICS_DAYS",
        "SOCIAL_MEDIA_RETRY_DELAYS",
        "SOCIAL_MEDIA_STEP_DEADLINE_SECONDS",
        "TIME_ZONE",
    }
)
#: Read by management commands (load_demo_data, run_platform_emulator) for the local run.
COMMAND_VARIABLES = frozenset(
    {"DEMO_ADMIN_PASSWORD", "DEMO_WEBHOOK_SECRET", "EMULATOR_URL", "EMULATOR_HOOK_SECRETS"}
)
#: Read by quiz_backend/settings.py for the platforms (each platform's conf.py SETTINGS).
PLATFORM_VARIABLES = frozenset(setting.name for setting in platform_settings())
VARIABLES = SETTINGS_VARIABLES | COMMAND_VARIABLES | PLATFORM_VARIABLES


def _raw(name: str) -> str | None:
    if name not in VARIABLES:
        # A programming error, not a configuration one: the list above must name it.
        raise LookupError(f"{name} is not listed in quiz_backend.env.VARIABLES; add it there.")
    return os.environ.get(name)


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    raw = _raw(name)
    return default.strip() if raw is None else raw.strip()


def env_bool(name: str, default: bool) -> bool:
    raw = _raw(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, got {raw!r}.")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = _raw(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {raw!r}.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = _raw(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_int_list(name: str, default: list[int]) -> list[int]:
    """A comma-separated list of non-negative whole numbers, e.g. ``60,300,1800``."""
    raw = _raw(name)
    if raw is None:
        return default
    values = []
    for item in raw.split(","):
        item = item.strip()
        if not item:
            continue
        try:
            value = int(item)
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} must be comma-separated whole seconds, got {raw!r}."
            ) from None
        if value < 0:
            raise ImproperlyConfigured(f"{name} must not contain negative values, got {raw!r}.")
        values.append(value)
    return values


def env_setting(setting: Setting) -> str | int | bool:
    """A platform's declared setting, read with the reader of its type."""
    if setting.type == "int":
        return env_int(setting.name, int(setting.default), minimum=setting.minimum)
    if setting.type == "bool":
        return env_bool(setting.name, bool(setting.default))
    return env_str(setting.name, str(setting.default))
