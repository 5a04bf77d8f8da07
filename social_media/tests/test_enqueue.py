"""Which posts a save hands to the broker (the broker is the boundary recorded here)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from social_media import tasks as celery_tasks
from tasks.models import SocialMediaPost
from tests.factories import FacebookCredentialsFactory, PinterestCredentialsFactory, TaskFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sent(monkeypatch):
    """Post ids handed to the broker; nothing runs (as with a worker that is busy)."""
    ids: list[int] = []
    monkeypatch.setattr(celery_tasks.publish_post, "delay", lambda post_id: ids.append(post_id))
    return ids


def test_a_new_post_is_handed_to_the_broker_once(sent):
    PinterestCredentialsFactory()
    task = TaskFactory(published=True)

    post = SocialMediaPost.objects.get(task=task)
    assert sent == [post.pk]
    assert post.enqueued_at is not None


def test_re_saving_does_not_queue_a_post_that_is_already_queued(sent):
    PinterestCredentialsFactory()
    task = TaskFactory(published=True)

    task.explanation = "edited"
    task.save()
    task.save()

    assert len(sent) == 1


def test_a_post_queued_longer_than_the_lease_ago_is_queued_again(sent, settings):
    PinterestCredentialsFactory()
    task = TaskFactory(published=True)
    SocialMediaPost.objects.update(
        enqueued_at=timezone.now() - timedelta(seconds=settings.SOCIAL_MEDIA_LEASE_SECONDS + 1)
    )

    task.save()

    assert len(sent) == 2


def test_several_posts_travel_in_one_message_fanned_out_by_the_worker(monkeypatch):
    dispatched: list[list[int]] = []
    real_delay = celery_tasks.dispatch_posts.delay

    def delay(post_ids: list[int]) -> object:
        dispatched.append(post_ids)
        return real_delay(post_ids)

    monkeypatch.setattr(celery_tasks.dispatch_posts, "delay", delay)
    published: list[int] = []
    monkeypatch.setattr(
        celery_tasks.publish_post, "delay", lambda post_id: published.append(post_id)
    )
    PinterestCredentialsFactory()
    FacebookCredentialsFactory()
    task = TaskFactory(published=True)

    ids = sorted(SocialMediaPost.objects.filter(task=task).values_list("pk", flat=True))
    assert [sorted(batch) for batch in dispatched] == [ids]
    assert sorted(published) == ids


def test_a_broker_failure_leaves_every_post_to_the_relay(monkeypatch):
    def broker_down(post_ids):
        raise ConnectionRefusedError("redis down")

    monkeypatch.setattr(celery_tasks.dispatch_posts, "delay", broker_down)
    PinterestCredentialsFactory()
    FacebookCredentialsFactory()
    task = TaskFactory(published=True)

    posts = SocialMediaPost.objects.filter(task=task)
    assert posts.count() == 2
    assert all(p.status == "pending" and p.enqueued_at is None for p in posts)


def test_a_new_task_is_handed_over_without_look_ups_or_a_stamping_update(sent):
    from social_media import target_cache

    PinterestCredentialsFactory()
    FacebookCredentialsFactory()
    target_cache.snapshot(target_cache.fingerprint())  # the process's copy, loaded once

    with CaptureQueriesContext(connection) as queries:
        task = TaskFactory(published=True)

    statements = [q["sql"].split()[0] for q in queries.captured_queries]
    post_selects = [
        q for q in queries.captured_queries if 'FROM "tasks_socialmediapost"' in q["sql"]
    ]
    assert "UPDATE" not in statements
    assert post_selects == []
    assert len(statements) == 2  # the task's INSERT; the posts' INSERT, which checks the copy
    posts = SocialMediaPost.objects.filter(task=task)
    assert sorted(sent) == sorted(p.pk for p in posts)
    assert all(p.enqueued_at is not None for p in posts)


def test_a_scheduled_new_task_is_not_stamped_or_sent(sent):
    PinterestCredentialsFactory()
    TaskFactory(published=True, publish_date=timezone.now() + timedelta(days=1))

    post = SocialMediaPost.objects.get()
    assert post.enqueued_at is None
    assert sent == []
