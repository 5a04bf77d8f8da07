"""Two workers rendering the same media at once; the periodic cleanup of old renders."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone

from quiz_media import services
from quiz_media.models import RenderedFile
from quiz_media.services import cleanup_old_renders, render
from quiz_media.tasks import cleanup_old_renders_task
from quiz_media.tests.helpers import SMALL_ANSWER, SMALL_CARD, CountingStorage
from tests.factories import TaskFactory


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_renders_store_one_file_and_one_row(settings, monkeypatch):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "quiz_media.tests.helpers.CountingStorage"},
    }
    CountingStorage.saves = 0
    task = TaskFactory()
    both_rendered = threading.Barrier(2, timeout=30)
    real_produce = services.produce

    def produce_then_wait(*args, **kwargs):
        result = real_produce(*args, **kwargs)
        both_rendered.wait()  # both workers have rendered; now they race to store
        return result

    monkeypatch.setattr(services, "produce", produce_then_wait)
    results, errors = [], []

    def worker():
        try:
            results.append(render(task, SMALL_CARD))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert len(results) == 2 and results[0] == results[1]
    assert RenderedFile.objects.count() == 1
    stored = [p for p in Path(settings.MEDIA_ROOT, "renders").rglob("*") if p.is_file()]
    assert [p.name for p in stored] == [Path(results[0].name).name]
    assert default_storage.size(results[0].name) == results[0].bytes


@pytest.mark.django_db
def test_cleanup_deletes_renders_unused_for_the_retention_period(settings):
    settings.QUIZ_MEDIA_RENDER_RETENTION_DAYS = 30
    task = TaskFactory()
    old = render(task, SMALL_CARD)
    recent = render(task, SMALL_ANSWER)
    RenderedFile.objects.filter(cache_key=old.cache_key).update(
        last_used_at=timezone.now() - timedelta(days=31)
    )
    RenderedFile.objects.filter(cache_key=recent.cache_key).update(
        last_used_at=timezone.now() - timedelta(days=29)
    )
    assert cleanup_old_renders_task.delay().get() == 1
    assert not default_storage.exists(old.name)
    assert default_storage.exists(recent.name)
    assert list(RenderedFile.objects.values_list("cache_key", flat=True)) == [recent.cache_key]
    # The next render of the cleaned-up medium makes it again.
    again = render(task, SMALL_CARD)
    assert again.name == old.name and default_storage.exists(old.name)


@pytest.mark.django_db
def test_reuse_refreshes_last_used_so_cleanup_keeps_it(settings):
    task = TaskFactory()
    media = render(task, SMALL_CARD)
    RenderedFile.objects.update(last_used_at=timezone.now() - timedelta(days=40))
    render(task, SMALL_CARD)  # reused
    assert cleanup_old_renders() == 0
    assert default_storage.exists(media.name)


@pytest.mark.django_db
def test_a_file_the_storage_cannot_delete_keeps_its_row(settings, monkeypatch):
    media = render(TaskFactory(), SMALL_CARD)
    RenderedFile.objects.update(last_used_at=timezone.now() - timedelta(days=400))

    def refuse(name):
        raise OSError("read-only file system")

    monkeypatch.setattr(default_storage, "delete", refuse)
    assert cleanup_old_renders() == 0
    assert RenderedFile.objects.filter(cache_key=media.cache_key).exists()


def test_cleanup_is_in_the_beat_schedule():
    from quiz_backend.celery import RENDER_CLEANUP_INTERVAL, app

    entry = app.conf.beat_schedule["cleanup-old-renders"]
    assert entry["task"] == "quiz_media.cleanup_old_renders"
    assert entry["schedule"] == RENDER_CLEANUP_INTERVAL == 86400
    assert "quiz_media.cleanup_old_renders" in app.tasks
