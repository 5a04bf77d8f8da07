"""The test suite is hermetic: a developer's .env and exported variables change nothing.

The heavy tests copy the repository to a temporary folder, write a hostile ``.env`` there
(what ``scripts/run`` writes, and worse) and export hostile variables, then import the
test settings, and run real tests, in subprocesses. The real repository is not touched.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from quiz_backend import hermetic
from quiz_backend.env import VARIABLES, env_str

REPO = Path(__file__).resolve().parent.parent
COPY_IGNORED = shutil.ignore_patterns(
    ".git",
    ".venv",
    "var",
    "media",
    "staticfiles",
    "quiz_backend_logs",
    "test-artifacts",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".env",
    "*.sqlite3*",
)
HOSTILE_ENV_FILE = {
    # What scripts/run writes...
    "DEBUG": "true",
    "SECRET_KEY": "dotenv-secret-key",
    "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "ALLOW_PRIVATE_WEBHOOK_URLS": "true",
    "DEMO_ADMIN_PASSWORD": "dotenv-admin-password",
    "DEMO_WEBHOOK_SECRET": "whsec_ZG90ZW52LXNlY3JldC1kb3RlbnYtc2VjcmV0LWRvdGVudg==",
    # ...and what a developer might add by hand.
    "FACEBOOK_APP_SECRET": "dotenv-facebook-app-secret",
    "LANGUAGE_CODE": "en",
    "SOCIAL_MEDIA_RETRY_DELAYS": "1",
}
HOSTILE_EXPORTS = {
    "DJANGO_SETTINGS_MODULE": "quiz_backend.settings",
    "ENV_FILE": ".env",
    "DEBUG": "true",
    "SECRET_KEY": "exported-secret-key",
    "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "DEMO_ADMIN_PASSWORD": "exported-admin-password",
    "DATABASE_URL": "postgres://nobody@127.0.0.1:1/nowhere",
    "SITE_URL": "http://127.0.0.1:8600",
    "PINTEREST_API_BASE_URL": "http://127.0.0.1:8625/pinterest/v5",
    "FACEBOOK_GRAPH_API_BASE_URL": "http://127.0.0.1:8625/facebook/v26.0",
    "PINTEREST_PIN_URL": "http://127.0.0.1:8625/pin/{id}/",
    "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",
    "CELERY_TASK_ALWAYS_EAGER": "false",
    "SOCIAL_MEDIA_AUTO_PUBLISH": "false",
    "REDIS_CACHE_URL": "redis://127.0.0.1:1/1",
    "HTTPS_PROXY": "http://127.0.0.1:1",
    "https_proxy": "http://127.0.0.1:1",
    # The port scripts/run's site listens on: a live server there would collide with it.
    "DJANGO_LIVE_TEST_SERVER_ADDRESS": "127.0.0.1:8000",
}
# Each would fail with the hostile .env above if the suite read it: the admin password,
# the secrets a production start must refuse to run without, the platform URLs.
PREVIOUSLY_FAILING = [
    "tests/e2e/test_setup_files.py::test_load_demo_data_is_idempotent_and_points_at_the_emulator",
    "tests/test_deploy_checks.py::test_a_missing_secret_stops_start_up_when_debug_is_off",
    "social_media/tests/test_smoke.py",
]


@pytest.fixture(scope="module")
def hostile_copy(tmp_path_factory) -> Path:
    """A copy of the repository with a hostile .env at its root."""
    copy = tmp_path_factory.mktemp("hostile") / "repo"
    shutil.copytree(REPO, copy, ignore=COPY_IGNORED)
    lines = [f"{name}={value}" for name, value in HOSTILE_ENV_FILE.items()]
    (copy / ".env").write_text("\n".join(lines) + "\n")
    return copy


def hostile_environ(copy: Path, **extra: str) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    environ.pop("TEST_DATABASE_URL", None)  # SQLite in memory: no shared database needed
    environ |= HOSTILE_EXPORTS | {"PYTHONPATH": str(copy), "LOG_DIR": str(copy / "hostile-logs")}
    return environ | extra


SHOW_SETTINGS = """
import json, django
from django.conf import settings
django.setup()
names = ["DEBUG", "SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "SITE_URL", "PINTEREST_API_BASE_URL",
         "FACEBOOK_GRAPH_API_BASE_URL", "PINTEREST_PIN_URL", "CELERY_BROKER_URL",
         "CELERY_TASK_ALWAYS_EAGER", "SOCIAL_MEDIA_AUTO_PUBLISH", "FACEBOOK_APP_SECRET",
         "LANGUAGE_CODE", "SOCIAL_MEDIA_RETRY_DELAYS", "ALLOW_PRIVATE_WEBHOOK_URLS"]
values = {name: getattr(settings, name) for name in names}
values["LOG_DIR"] = str(settings.LOG_DIR)
values["CELERY_BROKER_DIR"] = str(settings.CELERY_BROKER_DIR)
values["MEDIA_ROOT"] = str(settings.MEDIA_ROOT)
values["DATABASE_ENGINE"] = settings.DATABASES["default"]["ENGINE"]
values["CACHE"] = settings.CACHES["default"]["BACKEND"]
import os
values["environ"] = {k: os.environ.get(k) for k in ("HTTPS_PROXY", "https_proxy",
                     "DEMO_ADMIN_PASSWORD", "DATABASE_URL",
                     "DJANGO_LIVE_TEST_SERVER_ADDRESS")}
print(json.dumps(values))
"""


def show_settings(copy: Path, environ: dict[str, str]) -> dict:
    environ = environ | {"DJANGO_SETTINGS_MODULE": "quiz_backend.test_settings"}
    result = subprocess.run(  # noqa: S603 - our interpreter, fixed script
        [sys.executable, "-c", SHOW_SETTINGS],
        cwd=copy,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_test_settings_ignore_a_hostile_env_file_and_exported_variables(hostile_copy):
    values = show_settings(hostile_copy, hostile_environ(hostile_copy))

    assert values["DEBUG"] is False
    assert values["SECRET_KEY"] == hermetic.TEST_SECRET_KEY
    assert values["FIELD_ENCRYPTION_KEYS"] == hermetic.TEST_FIELD_ENCRYPTION_KEYS.split(",")
    assert values["SITE_URL"] == "https://quiz.example.com"
    assert values["PINTEREST_API_BASE_URL"] == "https://api.pinterest.com/v5"
    assert values["FACEBOOK_GRAPH_API_BASE_URL"] == "https://graph.facebook.com/v26.0"
    assert values["PINTEREST_PIN_URL"] == "https://www.pinterest.com/pin/{id}/"
    assert values["CELERY_BROKER_URL"] == "filesystem://"
    assert values["CELERY_TASK_ALWAYS_EAGER"] is True
    assert values["SOCIAL_MEDIA_AUTO_PUBLISH"] is True
    assert values["FACEBOOK_APP_SECRET"] == ""  # only in the .env
    assert values["LANGUAGE_CODE"] == "ru"
    assert values["SOCIAL_MEDIA_RETRY_DELAYS"] == [30, 120, 600, 3600, 10800]
    assert values["ALLOW_PRIVATE_WEBHOOK_URLS"] is False
    assert values["LOG_DIR"] == str(hostile_copy / "var" / "test-logs")
    assert values["CELERY_BROKER_DIR"] == str(hostile_copy / "var" / "test-celery-broker")
    # Not media/, where the local site's renders are.
    assert values["MEDIA_ROOT"] == str(hostile_copy / "var" / "test-media")
    assert values["DATABASE_ENGINE"] == "django.db.backends.sqlite3"
    assert values["CACHE"].endswith("LocMemCache")
    # Gone from the process too, so nothing the tests start can see them.
    assert values["environ"] == {
        "HTTPS_PROXY": None,
        "https_proxy": None,
        "DEMO_ADMIN_PASSWORD": None,
        "DATABASE_URL": f"sqlite:///{hostile_copy / 'var' / 'test.sqlite3'}",
        "DJANGO_LIVE_TEST_SERVER_ADDRESS": None,
    }
    assert not (hostile_copy / "hostile-logs").exists()


def test_the_test_inputs_are_the_only_way_in(hostile_copy, tmp_path):
    overrides = {"SITE_URL": "http://127.0.0.1:9", "SOCIAL_MEDIA_RETRY_DELAYS": "1,1"}
    environ = hostile_environ(
        hostile_copy,
        TEST_DATABASE_URL=f"sqlite:///{tmp_path / 'chosen.sqlite3'}",
        TEST_SETTINGS_OVERRIDES=json.dumps(overrides),
    )

    values = show_settings(hostile_copy, environ)

    assert values["environ"]["DATABASE_URL"] == f"sqlite:///{tmp_path / 'chosen.sqlite3'}"
    assert values["SITE_URL"] == "http://127.0.0.1:9"
    assert values["SOCIAL_MEDIA_RETRY_DELAYS"] == [1, 1]
    assert values["SECRET_KEY"] == hermetic.TEST_SECRET_KEY


def test_previously_failing_tests_pass_with_a_hostile_env_file(hostile_copy):
    """Before the suite was hermetic, all three failed after ``scripts/run`` wrote .env."""
    result = subprocess.run(  # noqa: S603 - our interpreter, fixed arguments
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *PREVIOUSLY_FAILING],
        cwd=hostile_copy,
        env=hostile_environ(hostile_copy),
        capture_output=True,
        text=True,
        timeout=300,
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert re.search(r"\b4 passed\b", output), output[-2000:]
    assert "ignored from the environment: " in output  # the report header names them
    assert not (hostile_copy / "hostile-logs").exists()


def test_subprocesses_get_the_hermetic_environment(monkeypatch):
    monkeypatch.setenv("DEMO_ADMIN_PASSWORD", "exported")
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:1")

    environ = hermetic.subprocess_environ({"CELERY_BROKER_URL": "redis://127.0.0.1:7/0"}, X="1")

    assert "DEMO_ADMIN_PASSWORD" not in environ and "http_proxy" not in environ
    assert "CELERY_BROKER_URL" not in environ  # only through the explicit overrides
    assert json.loads(environ["TEST_SETTINGS_OVERRIDES"]) == {
        "CELERY_BROKER_URL": "redis://127.0.0.1:7/0"
    }
    assert environ["DJANGO_SETTINGS_MODULE"] == "quiz_backend.test_settings"
    assert environ["X"] == "1"
    with pytest.raises(ImproperlyConfigured, match="nothing reads"):
        hermetic.subprocess_environ({"CELERY_BROKER": "typo"})


def test_production_subprocesses_read_no_env_file_and_only_what_is_given(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "exported")
    monkeypatch.setenv("TEST_DATABASE_URL", "sqlite:///x")

    environ = hermetic.production_environ(DEBUG="false")

    assert environ["ENV_FILE"] == ""
    assert environ["DJANGO_SETTINGS_MODULE"] == "quiz_backend.settings"
    assert environ["DEBUG"] == "false"
    assert "SECRET_KEY" not in environ and "TEST_DATABASE_URL" not in environ


@pytest.mark.parametrize(
    "raw, message",
    [
        ("{not json", "must be a JSON object"),
        ('["SITE_URL"]', "must map variable names to strings"),
        ('{"SITE_URL": 1}', "must map variable names to strings"),
        ('{"HOME": "/tmp"}', "nothing reads"),
    ],
)
def test_malformed_overrides_stop_start_up_with_a_clear_message(raw, message):
    environ = {"TEST_SETTINGS_OVERRIDES": raw, "SECRET_KEY": "kept?"}
    with pytest.raises(ImproperlyConfigured, match=message):
        hermetic.apply(environ)


def test_apply_sets_the_test_values_over_anything_exported():
    environ = {"SECRET_KEY": "exported", "MEDIA_ROOT": "/srv/media", "HOME": "/home/dev"}

    hermetic.apply(environ)

    assert environ["SECRET_KEY"] == hermetic.TEST_SECRET_KEY
    assert environ["ENV_FILE"] == ""
    assert environ["MEDIA_ROOT"] == str(hermetic.VAR_DIR / "test-media")  # not /srv/media
    assert environ["HOME"] == "/home/dev"  # not the project's: left alone


def test_a_reader_refuses_a_variable_missing_from_the_list():
    with pytest.raises(LookupError, match=r"quiz_backend\.env\.VARIABLES"):
        env_str("NOT_A_LISTED_VARIABLE")


def test_the_code_reads_the_environment_only_through_the_listed_variables():
    """Every ``env_*("NAME")`` in the product names a listed variable, and no module reads
    ``os.environ`` behind the list's back (the test settings could not scrub it)."""
    readers = re.compile(r'env_(?:str|bool|int|list|int_list)\(\s*"([A-Z0-9_]+)"')
    direct = re.compile(r"os\.(?:environ|getenv)")
    allowed_direct = {"quiz_backend/env.py", "quiz_backend/hermetic.py"}
    settings_module = re.compile(r'os\.environ\.setdefault\("DJANGO_SETTINGS_MODULE"')
    read: set[str] = set()
    sneaky: list[str] = []
    for path in REPO.rglob("*.py"):
        relative = path.relative_to(REPO).as_posix()
        if relative.startswith((".venv/", "tests/", "bench/")) or "/tests/" in relative:
            continue
        source = path.read_text()
        read |= set(readers.findall(source))
        lines = [line for line in source.splitlines() if direct.search(line)]
        if relative not in allowed_direct:
            sneaky += [
                f"{relative}: {line.strip()}" for line in lines if not settings_module.search(line)
            ]
    assert read - VARIABLES == set()
    assert sneaky == []


# --- What a local run writes stays in ignored places ----------------------------------------

LOCAL_STATE = """
import json, django
from django.conf import settings
django.setup()
from quiz_backend.celery import app
app.loader.import_default_modules()
options = app.conf.broker_transport_options
print(json.dumps({"broker": str(settings.CELERY_BROKER_DIR), "logs": str(settings.LOG_DIR),
                  "media": str(settings.MEDIA_ROOT),
                  "database": str(settings.DATABASES["default"]["NAME"]),
                  "folders": [v for k, v in options.items() if "folder" in k]}))
"""


def test_the_local_run_writes_only_to_ignored_places(hostile_copy, tmp_path):
    """With the production defaults (what scripts/run uses), every folder and file the site,
    the worker and the embedded broker write is one .gitignore covers.

    Run in the copy: the embedded broker creates its folders on start, and this test must
    not create (or touch) the real checkout's var/celery-broker, which a local run uses."""
    environ = hermetic.production_environ(DEBUG="true", PYTHONPATH=str(hostile_copy))
    local_broker = REPO / "var" / "celery-broker"
    local_broker_existed = local_broker.exists()
    result = subprocess.run(  # noqa: S603 - our interpreter, fixed script
        [sys.executable, "-c", LOCAL_STATE],
        cwd=tmp_path,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    paths = json.loads(result.stdout.strip().splitlines()[-1])

    var = hostile_copy / "var"
    assert Path(paths["broker"]) == var / "celery-broker"
    assert all(Path(folder).is_relative_to(Path(paths["broker"])) for folder in paths["folders"])
    assert len(paths["folders"]) >= 4  # in, out, processed, control
    assert Path(paths["logs"]) == hostile_copy / "quiz_backend_logs"  # documented; ignored below
    ignored = set((REPO / ".gitignore").read_text().split())
    # ...and what the test run writes outside var/: browser screenshots, Hypothesis' cache.
    expected = {"var/", "quiz_backend_logs/", "media/", "db.sqlite3*", ".env"}
    assert expected | {"test-artifacts/", ".hypothesis/"} <= ignored
    assert Path(paths["media"]) == hostile_copy / "media"
    assert Path(paths["database"]) == hostile_copy / "db.sqlite3"
    assert not list(tmp_path.iterdir())  # nothing relative to the working directory
    assert local_broker.exists() == local_broker_existed
