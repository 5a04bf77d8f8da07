"""Scheduled posts follow their task: a moved date moves them, unpublishing cancels them.

Only posts that have not been sent are touched: pending, never attempted and not
claimed by a worker. Every change is one conditional statement, so a post a
worker has just claimed keeps going and is never cancelled half-way.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from social_media import pacing
from social_media.services import enqueue_after_commit
from tasks.models import PostStatus, SocialMediaPost, Task

logger = logging.getLogger("social_media")

FAILURE_CANCELLED = "cancelled"
CANCELLED_MESSAGE = "Cancelled: the task was unpublished."


def _unsent(task: Task) -> Q:
    """Pending, never attempted, not held by a worker."""
    return Q(task=task, status=PostStatus.PENDING, attempt_count=0, claim_token__isnull=True)


def _waiting_retry(task: Task) -> Q:
    return Q(task=task, status=PostStatus.PENDING, attempt_count__gt=0, claim_token__isnull=True)


def due_time(publish_date: datetime | None, now: datetime) -> datetime:
    """When a task's posts are due: its publish date, or now for an empty or past one."""
    return publish_date if publish_date and publish_date > now else now


def task_posts_reschedule(*, task: Task, enqueue: bool = True) -> int:
    """Move the task's unsent posts to its publish date (now when empty or past).

    Posts that become due are handed to workers after commit unless ``enqueue``
    is false (the caller publishes the task next, which enqueues due posts).
    """
    now = timezone.now()
    due = due_time(task.publish_date, now)
    ids = list(SocialMediaPost.objects.filter(_unsent(task)).values_list("pk", flat=True))
    if not ids:
        return 0
    moved = (
        SocialMediaPost.objects.filter(pk__in=ids)
        .filter(_unsent(task))
        .update(next_attempt_at=due, planned_at=None, enqueued_at=None, updated_at=now)
    )
    ids = pacing.posts_replan(ids)  # the ones still due now (paced targets: their slots)
    if due <= now:
        logger.info("🕒 Задача %s: дата публикации сейчас — отправляем %s пост(ов)", task.pk, moved)
        if enqueue and ids:
            enqueue_after_commit(ids)
    else:
        logger.info(
            "🕒 Задача %s: дата публикации перенесена на %s — перенесено %s пост(ов)",
            task.pk,
            due.isoformat(),
            moved,
        )
    return moved


def task_posts_cancel(*, task: Task) -> tuple[int, int]:
    """Cancel what an unpublished task has not sent; return (deleted, marked failed).

    Never-attempted posts are deleted; posts waiting for a retry become failed
    with a reason. Posts in a worker's hands, delivered or published stay as they are.
    """
    now = timezone.now()
    pacing.task_slots_release(task)
    deleted, _ = SocialMediaPost.objects.filter(_unsent(task)).delete()
    failed = SocialMediaPost.objects.filter(_waiting_retry(task)).update(
        status=PostStatus.FAILED,
        error_message=CANCELLED_MESSAGE,
        failure_kind=FAILURE_CANCELLED,
        next_attempt_at=None,
        enqueued_at=None,
        updated_at=now,
    )
    if deleted or failed:
        logger.info(
            "🚫 Задача %s снята с публикации: удалено неотправленных постов %s, "
            "отменено ожидающих повтора %s",
            task.pk,
            deleted,
            failed,
        )
    return deleted, failed


def task_posts_restore(*, task: Task) -> int:
    """A re-published task takes back the posts its unpublishing cancelled."""
    now = timezone.now()
    cancelled = SocialMediaPost.objects.filter(
        task=task, status=PostStatus.FAILED, failure_kind=FAILURE_CANCELLED
    )
    ids = list(cancelled.values_list("pk", flat=True))
    restored = cancelled.filter(pk__in=ids).update(
        status=PostStatus.PENDING,
        error_message="",
        failure_kind="",
        retry_count=0,
        next_attempt_at=due_time(task.publish_date, now),
        enqueued_at=None,
        updated_at=now,
    )
    if restored:
        pacing.posts_replan(ids)
        logger.info("🔁 Задача %s снова опубликована: возвращено постов %s", task.pk, restored)
    return restored


def task_schedule_sync(
    *, task: Task, was_published: bool, old_publish_date: datetime | None, enqueue: bool = True
) -> None:
    """Keep a saved task's posts in step with its ``published`` flag and publish date."""
    if not task.published:
        if was_published:
            task_posts_cancel(task=task)
        return
    if not was_published:
        task_posts_restore(task=task)
    elif old_publish_date != task.publish_date:
        task_posts_reschedule(task=task, enqueue=enqueue)
