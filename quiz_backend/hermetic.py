"""The test suite's environment: nothing on the developer's machine changes a result.

``quiz_backend/test_settings.py`` calls :func:`apply` before the production settings
read anything. It

* empties ``ENV_FILE``, so no ``.env`` is read (``scripts/run`` writes one);
* removes from ``os.environ`` every variable the project reads
  (``quiz_backend.env.VARIABLES``), the proxy variables ``requests`` obeys, and
  ``TEST_SETTINGS_OVERRIDES`` once it is applied, and pytest-django's
  ``DJANGO_LIVE_TEST_SERVER_ADDRESS``;
* sets :data:`TEST_VALUES`; every other setting takes its default from settings.py.

Only the variables in :data:`INPUTS` may change how the suite runs (pytest itself is
always given ``--ds=quiz_backend.test_settings`` in pytest.ini, so an exported
``DJANGO_SETTINGS_MODULE`` does not count either). Processes the tests start (Celery
workers and beat, manage.py) get their environment from :func:`subprocess_environ`
or :func:`production_environ`, built from the same scrubbed environment.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from urllib.parse import quote

from django.core.exceptions import ImproperlyConfigured

from quiz_backend.env import VARIABLES

REPO = Path(__file__).resolve().parent.parent
VAR_DIR = REPO / "var"
OVERRIDES = "TEST_SETTINGS_OVERRIDES"

#: What the test command may pass, and what each one does. Nothing else is read.
INPUTS = {
    "TEST_DATABASE_URL": "the test database (default: SQLite in memory); scripts/test "
    "passes PostgreSQL",
    "TEST_REDIS_URL": "a Redis the tests may use (default redis://127.0.0.1:6379/15); the "
    "worker tests start private redis-servers and use it only when none is installed",
    OVERRIDES: "JSON object of settings variables; only for the processes the tests start",
    "CHROMIUM_PATH": "the browser for tests/browser (default /usr/bin/chromium)",
    "UPDATE_SCREENSHOTS": "1 rewrites docs/screenshots from the browser tests",
    "CI": "set: a missing browser fails the browser tests instead of skipping them",
}

#: requests sends traffic through these; the tests only talk to 127.0.0.1 and mocks.
PROXY_VARIABLES = frozenset(
    name
    for base in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")
    for name in (base, base.lower())
)
#: pytest-django binds its live server there (``localhost:8000`` would collide with the site
#: ``scripts/run`` serves); without it every live server takes a free port.
LIVE_SERVER_VARIABLE = "DJANGO_LIVE_TEST_SERVER_ADDRESS"

TEST_SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105
# Two fixed test keys: the first encrypts, both decrypt.
TEST_FIELD_ENCRYPTION_KEYS = (
    "Xq0u3kR8F5wq9rKj1V2d2gk2YkM0nN8o9pQrStUvWxY=,p1T3Hq7eR9u5i0O2a4S6d8F0g2H4j6K8l0Z2x4C6v8B="
)
TEST_VALUES = {
    "ENV_FILE": "",
    "DEBUG": "false",
    "SECRET_KEY": TEST_SECRET_KEY,
    "FIELD_ENCRYPTION_KEYS": TEST_FIELD_ENCRYPTION_KEYS,
    # The test client speaks plain http; production redirects it to https.
    "SECURE_SSL_REDIRECT": "false",
    "SITE_URL": "https://quiz.example.com",
    "LOG_DIR": str(VAR_DIR / "test-logs"),
    # Not var/celery-broker: a local `scripts/run` worker must never see a test's message.
    "CELERY_BROKER_DIR": str(VAR_DIR / "test-celery-broker"),
    # Not media/, which the local site serves: a worker or manage.py a test starts without
    # its own MEDIA_ROOT renders here (in-process tests use a tmp_path, conftest.py).
    "MEDIA_ROOT": str(VAR_DIR / "test-media"),
    "CELERY_TASK_ALWAYS_EAGER": "true",
    # A save hands its posts to the broker itself, so a test sees them at once
    # (social_media/tests/test_background_enqueue.py covers the sender thread).
    "SOCIAL_MEDIA_ENQUEUE_IN_BACKGROUND": "false",
}
# In memory under pytest; the file is only touched by manage.py with the test settings.
DEFAULT_DATABASE_URL = f"sqlite:///{VAR_DIR / 'test.sqlite3'}"

#: Names :func:`apply` ignored in this process (for pytest's report header).
ignored: list[str] = []


def _scrub(environ: MutableMapping[str, str]) -> list[str]:
    names = sorted(
        name
        for name in environ
        if name in VARIABLES or name in PROXY_VARIABLES or name in (OVERRIDES, LIVE_SERVER_VARIABLE)
    )
    for name in names:
        del environ[name]
    return names


def _overrides(raw: str | None) -> dict[str, str]:
    if not raw:
        return {}
    try:
        values = json.loads(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{OVERRIDES} must be a JSON object, got {raw!r}.") from None
    if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
        raise ImproperlyConfigured(f"{OVERRIDES} must map variable names to strings.")
    unknown = sorted(set(values) - VARIABLES)
    if unknown:
        raise ImproperlyConfigured(f"{OVERRIDES} names variables nothing reads: {unknown}.")
    return values


def apply(environ: MutableMapping[str, str] = os.environ) -> list[str]:
    """Make ``environ`` the test environment (see the module docstring); return the names
    of the variables it ignored."""
    overrides = _overrides(environ.get(OVERRIDES))
    removed = _scrub(environ)
    environ.update(TEST_VALUES)
    environ["DATABASE_URL"] = environ.get("TEST_DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL
    environ.update(overrides)
    return [name for name in removed if name != OVERRIDES and name not in overrides]


def subprocess_environ(settings: Mapping[str, str] | None = None, **process: str) -> dict[str, str]:
    """The environment of a process the tests start with the test settings.

    ``settings`` are settings variables (e.g. ``CELERY_BROKER_URL``) that win over the
    test values; ``process`` are other variables for the process (``PYTHONUNBUFFERED``).
    """
    environ = dict(os.environ)
    _scrub(environ)
    environ |= {
        "DJANGO_SETTINGS_MODULE": "quiz_backend.test_settings",
        "PYTHONPATH": str(REPO),
        OVERRIDES: json.dumps(dict(settings or {})),
    }
    _overrides(environ[OVERRIDES])  # an unknown name fails here, in the test
    environ |= process
    return environ


def database_url(database: Mapping[str, object]) -> str:
    """A PostgreSQL URL for a ``DATABASES`` entry: once pytest-django has created the test
    database, the URL a subprocess needs to share it."""
    user = quote(str(database.get("USER") or "postgres"), safe="")
    password = database.get("PASSWORD")
    credentials = f"{user}:{quote(str(password), safe='')}" if password else user
    host = database.get("HOST") or "127.0.0.1"
    port = database.get("PORT") or 5432
    return f"postgres://{credentials}@{host}:{port}/{database['NAME']}"


def production_environ(**variables: str) -> dict[str, str]:
    """The environment of a process the tests start with the production settings:
    exactly ``variables``, and no ``.env``."""
    environ = dict(os.environ)
    _scrub(environ)
    environ.pop("TEST_DATABASE_URL", None)
    environ |= {
        "DJANGO_SETTINGS_MODULE": "quiz_backend.settings",
        "PYTHONPATH": str(REPO),
        "ENV_FILE": "",
    }
    environ |= variables
    return environ


def report() -> list[str]:
    """Lines for pytest's header: where the tests run and what they ignored."""
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    source = "TEST_DATABASE_URL" if os.environ.get("TEST_DATABASE_URL") else "default"
    lines = [f"test database: {engine} ({source}); .env: not read"]
    if ignored:
        lines.append(f"ignored from the environment: {', '.join(ignored)}")
        if "DATABASE_URL" in ignored and source == "default":
            lines.append("(the tests read TEST_DATABASE_URL, not DATABASE_URL)")
    return lines
