"""Outcome classes against the platform emulator's Pinterest, tasks run in-process.

The clock is moved with time-machine: retries are due by ``next_attempt_at`` and
the relay (``social_media.relay_due_posts``) is what sends them.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from social_media.delivery import post_publish
from social_media.models import PublishAttempt
from social_media.tasks import relay_due_posts
from tasks.models import SocialMediaPost
from tests.factories import TaskFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_429_with_retry_after_is_not_retried_before_it(settings, pinterest, emulator):
    settings.SOCIAL_MEDIA_RETRY_DELAYS = [1, 1, 1]  # the schedule alone would retry in ~1 s
    emulator.fault("pinterest", "rate_limit", retry_after=30, on="create")
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        TaskFactory(published=True)
        post = SocialMediaPost.objects.get()
        assert post.status == "pending"
        assert post.failure_kind == "rate_limited"
        assert post.next_attempt_at is not None
        assert post.next_attempt_at >= start + timedelta(seconds=30)

        for seconds in (1, 10, 29):
            clock.move_to(start + timedelta(seconds=seconds))
            assert relay_due_posts() == {"due": 0, "enqueued": 0, "callbacks_expired": 0}
            assert post_publish(post_id=post.pk) is None  # a stray message is refused too
        assert emulator.create_count("pinterest") == 1

        clock.move_to(start + timedelta(seconds=31))
        assert relay_due_posts()["enqueued"] == 1

    post.refresh_from_db()
    assert post.status == "published"
    assert post.retry_count == 1
    assert emulator.create_count("pinterest") == 2


def test_read_timeout_after_the_pin_was_created_is_reconciled_not_resent(
    settings, pinterest, emulator
):
    settings.SOCIAL_MEDIA_HTTP_TIMEOUT = 1
    # Creates the pin, then answers too late.
    emulator.fault("pinterest", "timeout", seconds=3, process="before", on="create")

    TaskFactory(published=True)
    emulator.release()

    post = SocialMediaPost.objects.get()
    assert post.status == "pending"
    assert post.failure_kind == "unknown"
    assert post.needs_reconcile
    assert post.next_attempt_at is not None
    with time_machine.travel(post.next_attempt_at + timedelta(seconds=1), tick=False):
        relay_due_posts()

    post.refresh_from_db()
    assert post.status == "published"
    assert post.post_id == emulator.pins[0]["id"]
    assert len(emulator.pins) == 1
    assert emulator.create_count("pinterest") == 1
    assert len(emulator.requests("pinterest", method="GET", path="/boards/")) == 1
    kinds = list(PublishAttempt.objects.order_by("number").values_list("kind", "outcome"))
    assert kinds == [("publish", "unknown"), ("reconcile", "success")]


def test_read_timeout_before_the_pin_was_created_is_sent_once_more(settings, pinterest, emulator):
    settings.SOCIAL_MEDIA_HTTP_TIMEOUT = 1
    # Loses the request: nothing created, no answer in time.
    emulator.fault("pinterest", "timeout", seconds=3, process="never", on="create")

    TaskFactory(published=True)
    emulator.release()
    post = SocialMediaPost.objects.get()
    assert post.next_attempt_at is not None
    with time_machine.travel(post.next_attempt_at + timedelta(seconds=1), tick=False):
        relay_due_posts()

    post.refresh_from_db()
    assert post.status == "published"
    assert len(emulator.pins) == 1
    assert emulator.create_count("pinterest") == 2
    kinds = list(PublishAttempt.objects.order_by("number", "id").values_list("kind", "outcome"))
    assert kinds == [("publish", "unknown"), ("reconcile", "not_found"), ("publish", "success")]


def test_expired_token_fails_at_once_flags_the_credential_and_never_retries(pinterest, emulator):
    emulator.fault("pinterest", "expired_token", on="create")

    TaskFactory(published=True)

    post = SocialMediaPost.objects.get()
    assert post.status == "failed"
    assert post.failure_kind == "auth"
    assert post.next_attempt_at is None
    assert "Authentication failed" in post.error_message
    pinterest.refresh_from_db()
    assert pinterest.needs_reconnect
    assert pinterest.access_token not in pinterest.last_error

    with time_machine.travel(timezone.now() + timedelta(hours=5), tick=False):
        assert relay_due_posts()["due"] == 0
        # A new task is refused without a network call until the token is replaced.
        TaskFactory(published=True)
    assert emulator.create_count("pinterest") == 1
    assert list(SocialMediaPost.objects.values_list("status", flat=True)) == ["failed"] * 2


def test_retries_are_bounded_then_the_post_fails_with_the_reason(settings, pinterest, emulator):
    settings.SOCIAL_MEDIA_RETRY_DELAYS = [30, 120]
    emulator.fault("pinterest", "status", status=503, count=3, on="create")
    TaskFactory(published=True)
    post = SocialMediaPost.objects.get()
    for _ in range(2):
        assert post.status == "pending"
        assert post.next_attempt_at is not None
        with time_machine.travel(post.next_attempt_at + timedelta(seconds=1), tick=False):
            relay_due_posts()
        post.refresh_from_db()

    assert post.status == "failed"
    assert post.retry_count == 3
    assert "HTTP 503" in post.error_message
    assert "Gave up after 3 attempts" in post.error_message
    assert emulator.create_count("pinterest") == 3


def _as_left_by_a_dead_worker(post: SocialMediaPost) -> None:
    """What a worker killed mid-publish leaves: processing, a claim, a lease in the past."""
    SocialMediaPost.objects.filter(pk=post.pk).update(
        status="processing",
        claim_token=uuid.uuid4(),
        locked_until=timezone.now() - timedelta(seconds=1),
        enqueued_at=None,
    )


def test_a_post_whose_worker_keeps_dying_fails_after_the_retry_budget(
    settings, pinterest, emulator
):
    settings.SOCIAL_MEDIA_RETRY_DELAYS = [30, 120]
    emulator.fault("pinterest", "status", status=503, on="create")
    TaskFactory(published=True)
    post = SocialMediaPost.objects.get()
    SocialMediaPost.objects.filter(pk=post.pk).update(retry_count=2)

    _as_left_by_a_dead_worker(post)
    assert relay_due_posts()["due"] == 1

    post.refresh_from_db()
    assert post.status == "failed"
    assert post.failure_kind == "worker_lost"
    assert "may exist on the platform" in post.error_message
    assert post.claim_token is None
    assert emulator.create_count("pinterest") == 1  # nothing sent blindly


def test_an_abandoned_post_is_reclaimed_with_a_look_first(pinterest, emulator):
    emulator.fault("pinterest", "status", status=503, on="create")
    TaskFactory(published=True)
    post = SocialMediaPost.objects.get()
    _as_left_by_a_dead_worker(post)

    relay_due_posts()

    post.refresh_from_db()
    assert post.status == "published"
    kinds = list(PublishAttempt.objects.order_by("id").values_list("kind", "outcome"))
    assert kinds == [
        ("publish", "transient"),
        ("reconcile", "not_found"),
        ("publish", "success"),
    ]
    assert len(emulator.pins) == 1
