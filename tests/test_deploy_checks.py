"""Production settings: ``check --deploy`` is clean, and missing secrets stop start-up."""

from __future__ import annotations

import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from quiz_backend.hermetic import production_environ

ROOT = Path(__file__).resolve().parent.parent


def manage(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """Run manage.py with production settings, exactly the given variables and no .env."""
    environ = production_environ(
        LOG_DIR=str(tmp_path / "logs"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        CELERY_BROKER_DIR=str(tmp_path / "broker"),
        **env,
    )
    return subprocess.run(  # noqa: S603 (our own manage.py, fixed arguments)
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


def production_env(**overrides: str) -> dict[str, str]:
    return {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "quiz.example.com",
    } | overrides


def test_check_deploy_reports_nothing_with_production_settings(tmp_path):
    result = manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    "variable, value, warning",
    [
        ("SECURE_SSL_REDIRECT", "false", "security.W008"),
        ("SESSION_COOKIE_SECURE", "false", "security.W012"),
        ("CSRF_COOKIE_SECURE", "false", "security.W016"),
        ("SECURE_HSTS_SECONDS", "0", "security.W004"),
        ("SECRET_KEY", "short-and-weak", "security.W009"),
    ],
)
def test_check_deploy_notices_a_weakened_setting(tmp_path, variable, value, warning):
    env = production_env(**{variable: value})

    result = manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **env)

    assert result.returncode != 0
    assert warning in result.stdout + result.stderr


@pytest.mark.parametrize("missing", ["SECRET_KEY", "FIELD_ENCRYPTION_KEYS"])
def test_a_missing_secret_stops_start_up_when_debug_is_off(tmp_path, missing):
    env = production_env()
    del env[missing]

    result = manage(tmp_path, "check", **env)

    assert result.returncode != 0
    assert f"{missing} must be set when DEBUG is off" in result.stderr


def test_debug_mode_runs_without_production_secrets(tmp_path):
    result = manage(tmp_path, "check", DEBUG="true")

    assert result.returncode == 0, result.stderr
