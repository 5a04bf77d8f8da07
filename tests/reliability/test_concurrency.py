"""Many callers at once: saves, bulk actions, manual retries, relays.

Real PostgreSQL row locks decide; the platform emulator counts network calls.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from social_media.services import posts_retry, tasks_publish_bulk
from social_media.tasks import relay_due_posts
from tasks.models import SocialMediaPost, Task
from tests.factories import TaskFactory, WebhookFactory
from tests.reliability.helpers import run_at_once

# Real concurrency needs row locks: SQLite locks the whole table and fails the writers.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 20


@pytest.fixture
def hook(emulator):
    return WebhookFactory(url=emulator.hook_url("make"), target_platforms=["instagram", "tiktok"])


def _one_call_per_platform(emulator) -> None:
    posts = SocialMediaPost.objects.order_by("platform")
    assert [(p.platform, p.status) for p in posts] == [
        ("instagram", "processing"),
        ("pinterest", "published"),
        ("tiktok", "processing"),
    ]
    assert emulator.create_count("pinterest") == 1
    hook_calls = emulator.creates("make")
    assert sorted(c["headers"]["webhook-id"] for c in hook_calls) == sorted(
        f"msg_{p.delivery_id.hex}" for p in posts if p.platform != "pinterest"
    )


@pytest.mark.allow_private_urls  # the webhook is the emulator on 127.0.0.1
def test_20_threads_saving_the_same_task(pinterest, hook, emulator):
    task = TaskFactory(published=False)

    def save(_: int) -> None:
        mine = Task.objects.get(pk=task.pk)
        mine.published = True
        mine.save()

    assert run_at_once(save, THREADS) == []
    _one_call_per_platform(emulator)


@pytest.mark.allow_private_urls  # the webhook is the emulator on 127.0.0.1
def test_20_threads_bulk_publishing_the_same_task(pinterest, hook, emulator):
    task = TaskFactory(published=False)

    assert run_at_once(lambda _: tasks_publish_bulk(Task.objects.filter(pk=task.pk)), THREADS) == []
    _one_call_per_platform(emulator)


def test_20_threads_retrying_a_failed_post_send_it_once(pinterest, emulator):
    emulator.fault("pinterest", "status", status=400, on="create")  # permanent: failed at once
    TaskFactory(published=True)
    post = SocialMediaPost.objects.get()
    assert post.status == "failed"

    moved: list[int] = []

    def retry(_: int) -> None:
        moved.append(posts_retry(SocialMediaPost.objects.all()))

    assert run_at_once(retry, THREADS) == []

    post.refresh_from_db()
    assert sum(moved) == 1
    assert post.status == "published"
    assert emulator.create_count("pinterest") == 2  # the failed one and the one retry
    assert len(emulator.pins) == 1


def test_manual_retry_never_touches_a_post_a_worker_is_publishing(pinterest, emulator):
    # A worker holds the post (the platform sits on its request) while staff click retry.
    emulator.fault("pinterest", "timeout", seconds=10, process="before", on="create")

    def save() -> None:
        TaskFactory(published=True)
        connection.close()

    saver = threading.Thread(target=save)
    saver.start()
    assert emulator.wait_for_creates("pinterest", timeout=10)

    assert posts_retry(SocialMediaPost.objects.all()) == 0
    assert tasks_publish_bulk(Task.objects.all()).skipped_in_flight["pinterest"] == 1
    assert relay_due_posts()["due"] == 0

    emulator.release()
    saver.join(20)
    post = SocialMediaPost.objects.get()
    assert post.status == "published"
    assert emulator.create_count("pinterest") == 1
