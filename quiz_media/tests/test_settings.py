"""The media settings read from the environment (each checked in a fresh interpreter)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.storage import default_storage

from quiz_backend.hermetic import subprocess_environ
from quiz_media.services import media_public_url

ROOT = Path(__file__).resolve().parents[2]
PRINT = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps({'storage': settings.STORAGES['default'], "
    "'public': settings.MEDIA_PUBLIC_URL}))"
)


def load_settings(**settings: str) -> subprocess.CompletedProcess[str]:
    """The test settings in a fresh interpreter, with ``settings`` as environment variables."""
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", PRINT],
        cwd=ROOT,
        env=subprocess_environ(settings),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_defaults_keep_files_on_disk_and_serve_them_from_the_site():
    result = load_settings()
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["storage"] == {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {},
    }
    assert values["public"] == "https://quiz.example.com/media/"


def test_a_storage_backend_and_public_url_from_the_environment():
    result = load_settings(
        MEDIA_STORAGE_BACKEND="django.core.files.storage.InMemoryStorage",
        MEDIA_STORAGE_OPTIONS='{"base_url": "https://cdn.example.com/m/"}',
        MEDIA_PUBLIC_URL="https://cdn.example.com/m",
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["storage"] == {
        "BACKEND": "django.core.files.storage.InMemoryStorage",
        "OPTIONS": {"base_url": "https://cdn.example.com/m/"},
    }
    assert values["public"] == "https://cdn.example.com/m/"


@pytest.mark.parametrize(
    "env, message",
    [
        ({"MEDIA_STORAGE_OPTIONS": "{bucket: x}"}, "MEDIA_STORAGE_OPTIONS must be a JSON object"),
        ({"MEDIA_STORAGE_OPTIONS": "[1]"}, "MEDIA_STORAGE_OPTIONS must be a JSON object"),
        ({"QUIZ_MEDIA_ACCENT_COLOR": "orange"}, "QUIZ_MEDIA_ACCENT_COLOR must be a colour"),
    ],
)
def test_malformed_media_settings_stop_start_up_with_a_clear_message(env, message):
    result = load_settings(**env)
    assert result.returncode != 0
    assert message in result.stderr


@pytest.mark.django_db
def test_renders_work_with_another_storage_backend(settings):
    from quiz_media.services import render
    from quiz_media.tests.helpers import SMALL_CARD
    from tests.factories import TaskFactory

    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    settings.MEDIA_PUBLIC_URL = "https://cdn.example.com/m/"
    media = render(TaskFactory(), SMALL_CARD)
    assert default_storage.exists(media.name)
    assert media.url == f"https://cdn.example.com/m/{media.name}"
    assert media_public_url("renders/a b.png") == "https://cdn.example.com/m/renders/a%20b.png"


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("/media/", "must be an absolute http(s) URL"),
        ("cdn.example.com/m/", "must be an absolute http(s) URL"),
        ("ftp://cdn.example.com/m/", "must be an absolute http(s) URL"),
        ("https://user:s3cr3t-token@cdn.example.com/m/", "must not carry credentials"),
        ("https://cdn.example.com/m/?X-Amz-Signature=s3cr3t-token", "must not carry credentials"),
    ],
)
def test_a_public_url_that_is_not_absolute_or_carries_a_secret_is_refused(value, words):
    result = load_settings(MEDIA_PUBLIC_URL=value)

    assert result.returncode != 0
    assert words in result.stderr
    assert "s3cr3t-token" not in result.stderr  # the refusal does not repeat a secret
