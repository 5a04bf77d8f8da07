"""The outbox and its relay: rollbacks, a broker that is down, no flooding,
overdue callbacks. The broker is a private Redis; tasks that do run, run here."""

from __future__ import annotations

import socket
import time
from datetime import timedelta

import pytest
import redis
import time_machine
from django.db import transaction
from django.utils import timezone

from social_media.callbacks import post_apply_callback
from social_media.services import posts_retry
from social_media.tasks import relay_due_posts
from tasks.models import SocialMediaPost, Task
from tests.factories import TaskFactory, WebhookFactory
from tests.reliability.helpers import RedisServer, free_port, run_at_once

pytestmark = pytest.mark.django_db(transaction=True)


def queued(server: RedisServer) -> int:
    """Messages waiting in the default Celery queue."""
    return redis.Redis.from_url(server.url).llen("celery")


def test_rolled_back_save_leaves_no_rows_and_sends_nothing(
    pinterest, emulator, redis_server, live_broker
):
    live_broker(redis_server.url)

    with pytest.raises(RuntimeError), transaction.atomic():
        TaskFactory(published=True)
        assert SocialMediaPost.objects.count() == 1  # written in the same transaction
        raise RuntimeError("the admin form failed after the save")

    assert Task.objects.count() == 0
    assert SocialMediaPost.objects.count() == 0
    assert queued(redis_server) == 0
    assert emulator.requests() == []

    TaskFactory(published=True)  # the same save, committed: one message
    assert queued(redis_server) == 1


def test_saving_while_the_broker_is_down_is_fast_and_the_relay_sends_later(
    pinterest, emulator, live_broker
):
    server = RedisServer()
    server.port = free_port()  # nothing listens here yet
    live_broker(server.url)

    started = time.monotonic()
    TaskFactory(published=True)
    elapsed = time.monotonic() - started

    assert elapsed < 1.0, f"the save waited {elapsed:.1f} s for the broker"
    post = SocialMediaPost.objects.get()
    assert (post.status, post.enqueued_at) == ("pending", None)
    assert relay_due_posts()["enqueued"] == 0  # still down: nothing lost, nothing marked
    assert SocialMediaPost.objects.get().enqueued_at is None

    server.start()
    try:
        assert relay_due_posts() == {"due": 1, "enqueued": 1, "callbacks_expired": 0}
        assert queued(server) == 1
    finally:
        server.stop()


@pytest.mark.postgres  # two relays racing: select_for_update(skip_locked=True)
def test_the_relay_does_not_flood_the_queue(settings, pinterest, redis_server, live_broker):
    live_broker(redis_server.url)
    settings.SOCIAL_MEDIA_LEASE_SECONDS = 60
    TaskFactory(published=True)  # enqueued on commit; no worker is running
    assert queued(redis_server) == 1

    for _ in range(3):
        assert relay_due_posts()["due"] == 0
    assert queued(redis_server) == 1

    # The message may have been lost (a broker restart without persistence):
    # after the lease the relay sends one more, once, even with two relays racing.
    with time_machine.travel(timezone.now() + timedelta(seconds=61), tick=False):
        results: list[dict] = []
        assert run_at_once(lambda _: results.append(relay_due_posts()), 2) == []
    assert sorted(r["enqueued"] for r in results) == [0, 1]
    assert queued(redis_server) == 2


@pytest.fixture
def hook(emulator):
    return WebhookFactory(url=emulator.hook_url("make"), target_platforms=["instagram"])


@pytest.mark.allow_private_urls  # the webhook is the emulator on 127.0.0.1
def test_overdue_callback_is_marked_then_a_retry_resends_with_the_same_delivery_id(
    settings, hook, emulator
):
    settings.SOCIAL_MEDIA_CALLBACK_TIMEOUT = 600
    TaskFactory(published=True)
    post = SocialMediaPost.objects.get()
    assert post.status == "processing"

    with time_machine.travel(timezone.now() + timedelta(seconds=590), tick=False):
        assert relay_due_posts()["callbacks_expired"] == 0
    with time_machine.travel(timezone.now() + timedelta(seconds=601), tick=False):
        assert relay_due_posts()["callbacks_expired"] == 1
    post.refresh_from_db()
    assert post.status == "failed"
    assert post.failure_kind == "no_callback"
    assert "no callback within 10 min" in post.error_message

    assert posts_retry(SocialMediaPost.objects.all()) == 1
    post.refresh_from_db()
    assert post.status == "processing"
    first, second = (call["headers"] for call in emulator.creates("make"))
    assert first["webhook-id"] == second["webhook-id"]
    assert first["webhook-id"] == f"msg_{post.delivery_id.hex}"


@pytest.mark.allow_private_urls  # the webhook is the emulator on 127.0.0.1
def test_a_processing_callback_still_gets_a_deadline(settings, hook, emulator):
    settings.SOCIAL_MEDIA_CALLBACK_TIMEOUT = 600
    task = TaskFactory(published=True)
    post = SocialMediaPost.objects.get()
    # The delivery's answer was lost, so the post waits for a retry; the
    # scenario then reports "processing" on its own.
    SocialMediaPost.objects.filter(pk=post.pk).update(
        status="pending", delivered_at=None, callback_deadline=None
    )
    post_apply_callback(task_id=task.pk, platform="instagram", status="processing")

    with time_machine.travel(timezone.now() + timedelta(seconds=601), tick=False):
        assert relay_due_posts()["callbacks_expired"] == 1
    post.refresh_from_db()
    assert post.status == "failed"
    assert post.failure_kind == "no_callback"


def test_saving_while_the_broker_hangs_is_bounded(pinterest, emulator, live_broker):
    # A "Redis" that accepts connections and never answers.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    live_broker(f"redis://127.0.0.1:{listener.getsockname()[1]}/0")
    try:
        started = time.monotonic()
        TaskFactory(published=True)
        elapsed = time.monotonic() - started
    finally:
        listener.close()

    assert elapsed < 4.5, f"the save waited {elapsed:.1f} s for a hung broker"
    assert SocialMediaPost.objects.get().enqueued_at is None  # the relay will send it
