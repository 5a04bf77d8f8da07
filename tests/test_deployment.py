"""docker-compose.yml and Dockerfile stay consistent with the settings.

Docker does not run on the CI machines, so these tests read the files: the
compose file parses, every variable it or the image sets is one the settings
(or gunicorn) actually read, and the services are wired as docs/operations.md says.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = ("migrate", "web", "worker", "beat")
# Read by the programs themselves, not by Django settings.
RUNTIME_VARIABLES = {"WEB_CONCURRENCY", "DJANGO_SETTINGS_MODULE", "PATH"}
PYTHON_VARIABLES = {"PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED"}
PIP_VARIABLES = {"PIP_DISABLE_PIP_VERSION_CHECK", "PIP_NO_CACHE_DIR"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def settings_variables() -> set[str]:
    source = (ROOT / "quiz_backend" / "settings.py").read_text()
    return set(re.findall(r"env_\w+\(\s*\"([A-Z0-9_]+)\"", source))


def test_every_variable_compose_sets_is_read_by_the_settings(compose, settings_variables):
    for name in APP_SERVICES:
        environment = compose["services"][name]["environment"]
        unknown = set(environment) - settings_variables - RUNTIME_VARIABLES
        assert not unknown, f"{name} sets variables nothing reads: {sorted(unknown)}"


def test_every_variable_the_image_sets_is_read(settings_variables):
    dockerfile = (ROOT / "Dockerfile").read_text()
    names = set(re.findall(r"(?:ENV|RUN)\s+([A-Z][A-Z0-9_]+)=", dockerfile))
    names |= set(re.findall(r"^\s+([A-Z][A-Z0-9_]+)=", dockerfile, flags=re.MULTILINE))
    assert {"LOG_DIR", "MEDIA_ROOT", "SECRET_KEY", "FIELD_ENCRYPTION_KEYS"} <= names
    unknown = names - settings_variables - RUNTIME_VARIABLES - PYTHON_VARIABLES - PIP_VARIABLES
    assert not unknown, f"the Dockerfile sets variables nothing reads: {sorted(unknown)}"


def test_app_services_read_dotenv_and_wait_for_healthy_backends(compose):
    services = compose["services"]
    for name in APP_SERVICES:
        service = services[name]
        assert service["env_file"] == ".env"
        assert service["depends_on"]["postgres"] == {"condition": "service_healthy"}
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["redis"] == {"condition": "service_healthy"}
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
    assert services["migrate"]["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert services["postgres"]["image"] == "postgres:16"
    assert services["redis"]["image"] == "redis:7"
    for name in ("postgres", "redis", "web", "worker"):
        assert services[name]["healthcheck"]["test"]
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])


def test_exactly_one_beat_and_the_documented_commands(compose):
    commands = {name: " ".join(s.get("command", [])) for name, s in compose["services"].items()}
    beats = [name for name, command in commands.items() if " beat" in command]
    assert beats == ["beat"]
    assert "deploy" not in compose["services"]["beat"]
    assert commands["beat"].startswith("celery -A quiz_backend beat --loglevel=INFO")
    assert commands["worker"].startswith("celery -A quiz_backend worker --loglevel=INFO")
    assert commands["web"].startswith("gunicorn quiz_backend.wsgi:application")


def test_volumes_keep_database_media_and_logs(compose):
    assert {"pgdata", "media", "logs"} <= set(compose["volumes"])
    web_volumes = compose["services"]["web"]["volumes"]
    assert "media:/data/media" in web_volumes and "logs:/data/logs" in web_volumes


def test_image_is_multi_stage_non_root_and_collects_static():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM python:3\.11-slim", dockerfile, flags=re.MULTILINE)) == 2
    assert "COPY --from=build /opt/venv /opt/venv" in dockerfile
    assert re.search(r"^USER app$", dockerfile, flags=re.MULTILINE)
    assert "collectstatic --noinput" in dockerfile
    assert dockerfile.index("collectstatic") < dockerfile.index("USER app")


def test_build_context_leaves_out_secrets_and_local_state():
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".env", ".git", ".venv", "db.sqlite3*", "var/"} <= set(ignored)


def test_every_variable_compose_interpolates_is_documented_in_env_example():
    text = (ROOT / "docker-compose.yml").read_text()
    interpolated = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", text))
    documented = set(
        re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M)
    )
    assert {"POSTGRES_PASSWORD", "WEB_CONCURRENCY"} <= interpolated
    assert not interpolated - documented, sorted(interpolated - documented)
