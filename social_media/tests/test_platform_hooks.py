"""The generic platform hooks: ``periodic_job`` (one beat task) and ``urls`` (mounted)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from quiz_backend.celery import PLATFORM_JOBS_INTERVAL
from quiz_backend.celery import app as celery_app
from social_media import tasks
from social_media.periodic import platform_jobs_run
from social_media.platforms.base import BasePlatform
from social_media.platforms.registry import PLATFORMS


def test_the_platform_jobs_run_every_minute_on_the_beat_schedule():
    entry = celery_app.conf.beat_schedule["platform-periodic-jobs"]

    assert entry["task"] == tasks.platform_jobs.name == "social_media.platform_jobs"
    assert entry["schedule"] == PLATFORM_JOBS_INTERVAL == 60.0


def test_the_base_platform_has_no_job_and_no_endpoints():
    assert BasePlatform.periodic_job(PLATFORMS["pinterest"]) is None
    assert BasePlatform.urls(PLATFORMS["pinterest"]) == []


@pytest.mark.django_db
def test_one_failing_job_does_not_stop_the_others(monkeypatch):
    keys = list(PLATFORMS)
    broken, working = keys[0], keys[1]

    def explode() -> dict[str, int]:
        raise RuntimeError("boom")

    monkeypatch.setattr(PLATFORMS[broken], "periodic_job", explode)
    monkeypatch.setattr(PLATFORMS[working], "periodic_job", lambda: {"done": 1})

    done = platform_jobs_run()

    assert done[broken] == {"error": 1}
    assert done[working] == {"done": 1}


def test_each_platforms_endpoints_are_mounted_under_api_webhooks():
    mounted = [pattern.name for p in PLATFORMS.values() for pattern in p.urls()]

    assert "telegram-updates" in mounted
    assert reverse("telegram-updates") == "/api/webhooks/telegram-updates/"
