"""Many callers at once: saves, bulk actions, manual retries, relays.

Real PostgreSQL row locks decide; the fake platform counts network calls.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection

from social_media.services import posts_retry, tasks_publish_bulk
from social_media.tasks import relay_due_posts
from tasks.models import SocialMediaPost, Task
from tests.factories import TaskFactory, WebhookFactory
from tests.reliability.fakes import Answer

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 20


def run_at_once(action: Callable[[int], object]) -> list[BaseException]:
    """Run ``action(i)`` in THREADS threads released together; return their errors."""
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def body(i: int) -> None:
        try:
            barrier.wait()
            action(i)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=body, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors


@pytest.fixture
def hook(fake_platform):
    return WebhookFactory(
        url=f"{fake_platform.url}/hook/make", target_platforms=["instagram", "tiktok"]
    )


def _one_call_per_platform(fake_platform) -> None:
    posts = SocialMediaPost.objects.order_by("platform")
    assert [(p.platform, p.status) for p in posts] == [
        ("instagram", "processing"),
        ("pinterest", "published"),
        ("tiktok", "processing"),
    ]
    assert len(fake_platform.pin_calls()) == 1
    hook_calls = fake_platform.calls("POST", "/hook/")
    assert sorted(c.headers["webhook-id"] for c in hook_calls) == sorted(
        f"msg_{p.delivery_id.hex}" for p in posts if p.platform != "pinterest"
    )


@pytest.mark.allow_private_urls  # the webhook is the fake platform on 127.0.0.1
def test_20_threads_saving_the_same_task(pinterest, hook, fake_platform):
    task = TaskFactory(published=False)

    def save(_: int) -> None:
        mine = Task.objects.get(pk=task.pk)
        mine.published = True
        mine.save()

    assert run_at_once(save) == []
    _one_call_per_platform(fake_platform)


@pytest.mark.allow_private_urls  # the webhook is the fake platform on 127.0.0.1
def test_20_threads_bulk_publishing_the_same_task(pinterest, hook, fake_platform):
    task = TaskFactory(published=False)

    assert run_at_once(lambda _: tasks_publish_bulk(Task.objects.filter(pk=task.pk))) == []
    _one_call_per_platform(fake_platform)


def test_20_threads_retrying_a_failed_post_send_it_once(pinterest, fake_platform):
    fake_platform.script = [Answer(400)]  # permanent: failed at once
    TaskFactory(published=True)
    post = SocialMediaPost.objects.get()
    assert post.status == "failed"

    moved: list[int] = []
    assert run_at_once(lambda _: moved.append(posts_retry(SocialMediaPost.objects.all()))) == []

    post.refresh_from_db()
    assert sum(moved) == 1
    assert post.status == "published"
    assert len(fake_platform.pin_calls()) == 2  # the failed one and the one retry
    assert len(fake_platform.pins) == 1


def test_manual_retry_never_touches_a_post_a_worker_is_publishing(pinterest, fake_platform):
    # A worker holds the post (the platform sits on its request) while staff click retry.
    fake_platform.script = [Answer(201, hold=10)]
    saver = threading.Thread(target=lambda: (TaskFactory(published=True), connection.close()))
    saver.start()
    assert fake_platform.request_arrived.wait(10)

    assert posts_retry(SocialMediaPost.objects.all()) == 0
    assert tasks_publish_bulk(Task.objects.all()).skipped_in_flight["pinterest"] == 1
    assert relay_due_posts()["due"] == 0

    fake_platform.release.set()
    saver.join(20)
    post = SocialMediaPost.objects.get()
    assert post.status == "published"
    assert len(fake_platform.pin_calls()) == 1
