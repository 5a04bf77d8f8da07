"""Publishing services: which posts a task needs, and handing them to workers.

The ``SocialMediaPost`` rows are the outbox. They are written in the caller's
transaction; workers are told about them only after it commits, and the relay
(``delivery.posts_relay``) finds any that a lost message left behind.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import TypeGuard

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from quiz_backend import sql as fast_sql
from social_media import background, pacing, target_cache
from social_media.targets import Targets, preloaded_targets
from tasks.models import PostStatus, SocialMediaPost, Task
from webhooks.models import Webhook

logger = logging.getLogger("social_media")


@dataclass
class PublishSummary:
    """What a publish request did, per platform."""

    created: Counter = field(default_factory=Counter)
    retried: Counter = field(default_factory=Counter)
    skipped_published: Counter = field(default_factory=Counter)
    skipped_in_flight: Counter = field(default_factory=Counter)
    scheduled: Counter = field(default_factory=Counter)  # of ``created``: due later
    tasks: int = 0
    tasks_sent: set[int] = field(default_factory=set)  # a post of theirs goes out now
    tasks_without_platform: int = 0

    def platforms(self) -> list[str]:
        keys = set(self.created) | set(self.retried)
        keys |= set(self.skipped_published) | set(self.skipped_in_flight)
        return sorted(keys)

    def sent_now(self, platform: str) -> tuple[int, int]:
        """(new, retried) posts of ``platform`` handed to workers now, not scheduled."""
        return self.created[platform] - self.scheduled[platform], self.retried[platform]


def publish_to_social_media(
    task: Task, *, retry_failed: bool = False, new_task: bool = False
) -> PublishSummary:
    """Create the missing posts of a published task and send them after commit.

    ``new_task``: the task was created in the current transaction (see ``publish_tasks``).
    """
    return publish_tasks([task], retry_failed=retry_failed, new_tasks=new_task)


def publish_tasks(
    tasks: Iterable[Task],
    *,
    retry_failed: bool = False,
    targets: Targets | None = None,
    new_tasks: bool = False,
) -> PublishSummary:
    """Publish many tasks with a constant number of queries.

    Creates one pending post per (task, active platform) that has none, moves
    failed posts back to pending when ``retry_failed``, and enqueues due posts
    once the surrounding transaction commits. With ``new_tasks`` (the tasks were
    created in this transaction, so no other transaction can hold posts for
    them) the look-ups are skipped: one INSERT, targets aside.
    """
    tasks = list(tasks)
    summary = PublishSummary(tasks=len(tasks))
    if not tasks:
        return summary
    # The fingerprint the in-memory targets must still match (new tasks: checked by
    # the outbox INSERT itself, see ``_insert_checked``).
    expected: str | None = None
    if targets is None:
        targets = preloaded_targets()
    if targets is None and target_cache.supported():
        cached = target_cache.current() if new_tasks else None
        if cached is None:
            cached = target_cache.snapshot(target_cache.fingerprint())
        targets, expected = cached.targets, cached.fingerprint
    targets = targets or Targets.load()
    now = timezone.now()
    existing: dict[int, dict[str, SocialMediaPost]] = defaultdict(dict)
    if not new_tasks:
        for post in SocialMediaPost.objects.filter(task__in=tasks).only(
            "id", "task_id", "platform", "status"
        ):
            existing[post.task_id][post.platform] = post

    new_posts: list[SocialMediaPost] = []
    retry_ids: list[int] = []
    for task in tasks:
        wanted = targets.for_task(task)
        due = task.publish_date if task.publish_date and task.publish_date > now else now
        if wanted:
            logger.info("🌐 Автопубликация задачи %s в соцсети: %s", task.pk, ", ".join(wanted))
        else:
            logger.info("🌐 Задача %s: нет активных соцсетей, публиковать некуда", task.pk)
            summary.tasks_without_platform += 1
        for platform, target in wanted.items():
            known = existing[task.pk].get(platform)
            if known is None:
                if due > now:
                    summary.scheduled[platform] += 1
                else:
                    summary.tasks_sent.add(task.pk)
                new_posts.append(
                    SocialMediaPost(
                        task=task,
                        platform=platform,
                        next_attempt_at=due,
                        webhook=target if _is_webhook(target) else None,
                    )
                )
                summary.created[platform] += 1
            elif known.status == PostStatus.PUBLISHED:
                summary.skipped_published[platform] += 1
            elif known.status == PostStatus.FAILED and retry_failed:
                retry_ids.append(known.pk)
                summary.retried[platform] += 1
                summary.tasks_sent.add(task.pk)
            else:
                summary.skipped_in_flight[platform] += 1

    pacing.plan_new(new_posts, targets, now, summary)  # paced targets: their next free slots
    if new_tasks:
        # Stamped as handed over now: the ids come back from the INSERT, and the
        # message leaves right after commit.
        for post in new_posts:
            if post.next_attempt_at is not None and post.next_attempt_at <= now:
                post.enqueued_at = now
        if expected is not None:
            try:
                ids, found = _insert_checked(new_posts)
            except IntegrityError:
                # Outside a transaction the INSERT is checked at once: a webhook this
                # process still knew was deleted. Nothing was written; look again.
                if connection.in_atomic_block:
                    raise
                ids, found = [], target_cache.fingerprint()
                if found == expected:
                    raise
            if found != expected:
                # The targets changed since this process loaded them: start again
                # from the current ones (this transaction's rows are replaced).
                SocialMediaPost.objects.filter(pk__in=ids)._raw_delete(connection.alias)
                fresh = target_cache.snapshot(found)
                return publish_tasks(
                    tasks, retry_failed=retry_failed, targets=fresh.targets, new_tasks=True
                )
            queued = [pk for pk, post in zip(ids, new_posts, strict=True) if post.enqueued_at]
            enqueue_after_commit(queued, stamped=True)
            return summary
        SocialMediaPost.objects.bulk_create(new_posts)
        if all(post.pk is not None for post in new_posts):
            enqueue_after_commit([p.pk for p in new_posts if p.enqueued_at], stamped=True)
            return summary
    else:
        # A concurrent save of the same task may insert the same rows first: the
        # unique (task, platform) constraint keeps one, and ours are dropped.
        SocialMediaPost.objects.bulk_create(new_posts, ignore_conflicts=True)
    if retry_ids:
        posts_retry(SocialMediaPost.objects.filter(pk__in=retry_ids), enqueue=False)
        pacing.posts_replan(retry_ids, targets=targets)
    # A fresh "now": posts_retry set next_attempt_at a moment after ``now``.
    # Posts already handed to a worker within the lease are not sent again (a
    # re-save would only queue duplicate messages that the claim then refuses).
    fresh_now = timezone.now()
    in_queue = Q(
        enqueued_at__gte=fresh_now - timedelta(seconds=settings.SOCIAL_MEDIA_LEASE_SECONDS)
    )
    due_ids = list(
        SocialMediaPost.objects.filter(
            task__in=tasks, status=PostStatus.PENDING, next_attempt_at__lte=fresh_now
        )
        .exclude(in_queue)
        .values_list("pk", flat=True)
    )
    enqueue_after_commit(due_ids)
    return summary


def _insert_checked(posts: list[SocialMediaPost]) -> tuple[list[int], str]:
    """INSERT the posts and read the targets' fingerprint, in one statement.

    Returns the new ids (in the order of ``posts``) and the fingerprint as the
    INSERT saw it; with no posts, only the fingerprint is read.
    """
    if not posts:
        return [], target_cache.fingerprint()
    opts = SocialMediaPost._meta
    insert, params = fast_sql.insert_rows_sql(list[Model](posts))
    pk = connection.ops.quote_name(str(opts.pk.column))
    # Quoted names (quiz_backend.sql); every value is a parameter.
    sql = (
        f"WITH inserted AS ({insert}) "  # noqa: S608
        f"SELECT (SELECT array_agg({pk} ORDER BY {pk}) FROM inserted), "
        f"{target_cache.fingerprint_sql()}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    ids = [int(pk_value) for pk_value in (row[0] if row and row[0] else [])]
    for post, pk_value in zip(posts, ids, strict=True):
        post.pk = pk_value
        post._state.adding = False
    return ids, str(row[1]) if row else ""


def _is_webhook(target: object) -> TypeGuard[Webhook]:
    return isinstance(target, Webhook)


def posts_retry(posts: QuerySet[SocialMediaPost], *, enqueue: bool = True) -> int:
    """Move failed (or callback-overdue) posts back to pending; return how many moved.

    A conditional UPDATE: a post that a worker holds or that is already published
    is not touched, so a manual retry can never double a post.
    """
    now = timezone.now()
    retryable = Q(status=PostStatus.FAILED) | Q(
        status=PostStatus.PROCESSING, delivered_at__isnull=False, callback_deadline__lt=now
    )
    ids = list(posts.filter(retryable).values_list("pk", flat=True))
    if not ids:
        return 0
    moved = (
        SocialMediaPost.objects.filter(pk__in=ids)
        .filter(retryable)
        .update(
            status=PostStatus.PENDING,
            next_attempt_at=now,
            planned_at=None,
            retry_count=0,
            locked_until=None,
            claim_token=None,
            delivered_at=None,
            callback_deadline=None,
            enqueued_at=None,
            # A new waiting window; the platform state stays, so a multi-step
            # publish resumes (or its platform starts over) from what it knows.
            platform_step="",
            step_deadline=None,
            updated_at=now,
        )
    )
    logger.info("🔁 Повтор публикации: %s пост(ов) %s", moved, ids)
    if enqueue:
        enqueue_after_commit(pacing.posts_replan(ids))
    return moved


def enqueue_after_commit(post_ids: list[int], *, stamped: bool = False) -> None:
    """Once the transaction commits, hand the posts to the broker: from the process's
    sender thread (``SOCIAL_MEDIA_ENQUEUE_IN_BACKGROUND``, so the save does not wait for
    the broker; see ``social_media.background``) or at once."""
    if not post_ids:
        return
    send = partial(enqueue_posts, list(post_ids), stamped=stamped)
    if settings.SOCIAL_MEDIA_ENQUEUE_IN_BACKGROUND:
        transaction.on_commit(partial(background.submit_after_response, send))
    else:
        transaction.on_commit(send)


def enqueue_posts(post_ids: list[int], *, stamped: bool = False) -> int:
    """Hand posts to the broker in one message; on a broker failure leave them to the relay.

    One post travels as ``publish_post``; several as one ``dispatch_posts`` that
    a worker fans out, so a save or a bulk action costs one UPDATE and one broker
    round trip whatever the number of platforms. ``enqueued_at`` is stamped
    before the message leaves (``stamped``: already done when the rows were
    written), so a worker that runs it at once (and reschedules the post) has
    the last word on it.
    """
    from social_media.tasks import dispatch_posts, publish_post

    if not post_ids:
        return 0
    if not stamped:
        SocialMediaPost.objects.filter(pk__in=post_ids).update(enqueued_at=timezone.now())
    try:
        if len(post_ids) == 1:
            publish_post.delay(post_ids[0])
        else:
            dispatch_posts.delay(list(post_ids))
    except Exception as exc:  # broker down: the outbox rows are safe, the relay retries
        SocialMediaPost.objects.filter(pk__in=post_ids, status=PostStatus.PENDING).update(
            enqueued_at=None
        )
        logger.warning(
            "⚠️ Брокер недоступен (%s): посты %s отправит релей", type(exc).__name__, post_ids
        )
        return 0
    return len(post_ids)


def tasks_publish_bulk(queryset: QuerySet[Task]) -> PublishSummary:
    """The admin's bulk action: mark the selected tasks published and publish them.

    Unpublished tasks are switched with one UPDATE (no signal, so nothing is sent
    twice); failed posts are retried, published and in-flight posts are skipped.
    """
    ids = list(queryset.values_list("pk", flat=True))
    with transaction.atomic():
        Task.objects.filter(pk__in=ids, published=False).update(
            published=True, updated_at=timezone.now()
        )
        tasks = list(Task.objects.filter(pk__in=ids).order_by("pk"))
        return publish_tasks(tasks, retry_failed=True)
