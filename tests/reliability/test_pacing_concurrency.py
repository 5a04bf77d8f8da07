"""Two editors and many workers planning one paced target at once: PostgreSQL's row
locks and the slot table's constraints decide, never two posts in one slot, never over the cap.
"""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import timedelta

import pytest

from social_media.models import PublishSlot
from social_media.services import posts_retry, tasks_publish_bulk
from tasks.models import PostStatus, SocialMediaPost, Task
from tests.factories import PinterestCredentialsFactory, TaskFactory
from tests.reliability.helpers import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def broker(monkeypatch) -> list[int]:
    """The broker is the boundary: messages are recorded, nothing is sent."""
    from social_media import tasks as celery_tasks

    sent: list[int] = []
    monkeypatch.setattr(celery_tasks.publish_post, "delay", sent.append)
    monkeypatch.setattr(celery_tasks.dispatch_posts, "delay", sent.extend)
    return sent


THREADS = 12
GAP = 600
CAP = 8


def _assert_paced() -> None:
    slots = list(PublishSlot.objects.order_by("at"))
    times = [s.at for s in slots]
    assert len(set(times)) == len(times)
    assert all(b - a >= timedelta(seconds=GAP) for a, b in itertools.pairwise(times))
    assert max(Counter(s.day for s in slots).values()) <= CAP
    posts = {(p.task_id, p.platform): p for p in SocialMediaPost.objects.all()}
    assert len(posts) == len(slots)
    assert [posts[(s.task_id, s.platform)].next_attempt_at for s in slots] == times


def test_editors_publishing_different_tasks_at_once_never_share_a_slot(broker):
    PinterestCredentialsFactory(min_gap_seconds=GAP, daily_cap=CAP)
    tasks = [[TaskFactory() for _ in range(3)] for _ in range(THREADS)]

    errors = run_at_once(
        lambda i: tasks_publish_bulk(Task.objects.filter(pk__in=[t.pk for t in tasks[i]])), THREADS
    )

    assert errors == []
    assert SocialMediaPost.objects.count() == THREADS * 3
    _assert_paced()
    assert len(broker) == 1  # only the first slot is due now


def test_editors_publishing_the_same_tasks_at_once_plan_each_post_once():
    PinterestCredentialsFactory(min_gap_seconds=GAP, daily_cap=CAP)
    ids = [TaskFactory().pk for _ in range(10)]

    errors = run_at_once(lambda _: tasks_publish_bulk(Task.objects.filter(pk__in=ids)), THREADS)

    assert errors == []
    assert SocialMediaPost.objects.count() == 10
    assert PublishSlot.objects.count() == 10
    _assert_paced()


def test_retries_planned_at_once_keep_the_pace():
    PinterestCredentialsFactory(min_gap_seconds=GAP, daily_cap=CAP)
    tasks_publish_bulk(Task.objects.filter(pk__in=[TaskFactory().pk for _ in range(THREADS)]))
    SocialMediaPost.objects.update(status=PostStatus.FAILED)
    posts = list(SocialMediaPost.objects.order_by("pk"))

    errors = run_at_once(
        lambda i: posts_retry(SocialMediaPost.objects.filter(pk=posts[i].pk)), THREADS
    )

    assert errors == []
    assert SocialMediaPost.objects.filter(status=PostStatus.PENDING).count() == THREADS
    _assert_paced()
