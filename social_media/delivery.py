"""Delivering one post: claim it, call the platform, record the attempt, decide.

Every state change is a conditional UPDATE guarded by the worker's claim token,
so two workers, a redelivered message or a manual retry can never both send the
same post.
"""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache
from typing import Any, TypeVar

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from quiz_backend import sql as fast_sql
from quiz_media.models import BrandSettings
from quiz_media.services import brand_preloaded
from quiz_media.specs import MediaRenderError, MediaStorageError
from social_media import pacing, reauth, target_cache
from social_media.captions import CaptionBook, captions_preloaded
from social_media.media import post_media_resolve
from social_media.models import AttemptKind, PublishAttempt
from social_media.platforms.base import RETRYABLE
from social_media.platforms.registry import PLATFORMS, Outcome, PublishResult
from social_media.platforms.spec import Route
from social_media.platforms.webhook import deliver_to_webhook
from social_media.targets import Target, Targets, route_of, targets_preloaded
from tasks.models import PostStatus, SocialMediaPost, Task
from webhooks.models import SocialMediaCredentials, Webhook

logger = logging.getLogger("social_media")

# Celery countdowns longer than this are not used: the wait lives in
# ``next_attempt_at`` and the relay sends the post when it is due.
MAX_COUNTDOWN_SECONDS = 300
RELAY_BATCH = 500
FAILURE_NO_CALLBACK = "no_callback"
FAILURE_WORKER_LOST = "worker_lost"
FAILURE_STEP_TIMEOUT = "step_timeout"
# A waiting post is looked at again after at least this long (and at most MAX_COUNTDOWN_SECONDS).
MIN_STEP_WAIT_SECONDS = 1.0


def max_countdown() -> float:
    """The longest wait handed to Celery; Redis redelivers anything held past its
    visibility timeout, so countdowns stay well inside it."""
    return min(MAX_COUNTDOWN_SECONDS, settings.CELERY_VISIBILITY_TIMEOUT / 2)


def _claimable(now: datetime) -> Q:
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    unlocked = Q(locked_until__isnull=True) | Q(locked_until__lt=now)
    return Q(status=PostStatus.PENDING) & due & unlocked


def _abandoned(now: datetime) -> Q:
    """Held by a worker whose lease ran out (it died or hung mid-publish)."""
    return Q(status=PostStatus.PROCESSING, delivered_at__isnull=True, locked_until__lt=now)


def post_claim(post_id: int) -> tuple[SocialMediaPost, uuid.UUID] | None:
    """Take the post for this worker, or return ``None`` if it is not ours to send."""
    claimed = _claim(post_id)
    return (claimed[0], claimed[1]) if claimed else None


def _claim(post_id: int) -> tuple[SocialMediaPost, uuid.UUID, str | None] | None:
    """The claim, plus the fingerprint of the targets and caption templates (PostgreSQL).

    On PostgreSQL the claim, the post and its task, and the fingerprint come back
    from one statement; the ORM path (other databases, and taking over an
    abandoned post) costs two.
    """
    now = timezone.now()
    token = uuid.uuid4()
    lease = now + timedelta(seconds=settings.SOCIAL_MEDIA_LEASE_SECONDS)
    claim = {
        "status": PostStatus.PROCESSING,
        "claim_token": token,
        "locked_until": lease,
        "attempt_count": F("attempt_count") + 1,
        "updated_at": now,
    }
    if target_cache.supported():
        returned = _claim_returning(post_id, now, claim)
        if returned is not None:
            post, fingerprint = returned
            return post, token, fingerprint
        claimed = 0
    else:
        claimed = SocialMediaPost.objects.filter(pk=post_id).filter(_claimable(now)).update(**claim)
    if not claimed:
        claimed = _reclaim_abandoned(post_id, now, claim)
    if not claimed:
        return None
    post = SocialMediaPost.objects.select_related("task").get(pk=post_id)
    return post, token, None


def _columns(model: type[Any]) -> list[Any]:
    return list(model._meta.concrete_fields)


_CLAIM_SET = ("status", "claim_token", "locked_until", "updated_at")


def _claimable_update_sql(
    post_id: int, now: datetime, claim: dict[str, Any]
) -> tuple[str, tuple[Any, ...]]:
    """The claim as SQL text: ``rows.filter(pk=post_id).filter(_claimable(now)).update(**claim)``
    (``attempt_count`` incremented), without the ORM's compiler (see ``quiz_backend.sql``).
    ``test_claim_sql.py`` holds it to ``_claimable``."""
    values = {name: claim[name] for name in _CLAIM_SET}
    _, set_params = fast_sql.update_sql(SocialMediaPost, {"id": post_id}, values)
    return _claim_update_text(), (*set_params, str(PostStatus.PENDING), now, now)


@cache
def _claim_update_text() -> str:
    column = {f.name: connection.ops.quote_name(f.column) for f in _columns(SocialMediaPost)}
    set_sql = fast_sql.update_text(SocialMediaPost, _CLAIM_SET, ("id",))
    head, where = set_sql.split(" WHERE ", 1)
    return (
        f"{head}, {column['attempt_count']} = {column['attempt_count']} + 1 WHERE {where} "
        f"AND {column['status']} = %s "
        f"AND ({column['next_attempt_at']} IS NULL OR {column['next_attempt_at']} <= %s) "
        f"AND ({column['locked_until']} IS NULL OR {column['locked_until']} < %s)"
    )


@cache
def _claim_returning_plan() -> tuple[str, list[tuple[int, list[Any]]], list[str], list[str]]:
    """The claim statement's text and how to turn its row into a post and its task:
    the converters of the columns that have any, and the attribute names. Built once."""
    quote = connection.ops.quote_name
    post_fields, task_fields = _columns(SocialMediaPost), _columns(Task)
    returning = ", ".join(quote(f.column) for f in post_fields)
    selected = ", ".join(
        [f"claimed.{quote(f.column)}" for f in post_fields]
        + [f"task.{quote(f.column)}" for f in task_fields]
    )
    task_id = quote(str(SocialMediaPost._meta.get_field("task").column))
    task_pk = quote(str(Task._meta.get_field("id").column))
    # Quoted identifiers and Django-compiled SQL; every value is a parameter.
    sql = (
        f"WITH claimed AS ({_claim_update_text()} RETURNING {returning}) "  # noqa: S608
        f"SELECT {selected}, {target_cache.fingerprint_sql()} FROM claimed "
        f"JOIN {quote(Task._meta.db_table)} task ON task.{task_pk} = claimed.{task_id}"
    )
    converters = []
    for index, db_field in enumerate([*post_fields, *task_fields]):
        found = [
            *connection.ops.get_db_converters(db_field),
            *db_field.get_db_converters(connection),
        ]
        if found:
            converters.append((index, found))
    return (
        sql,
        converters,
        [f.attname for f in post_fields],
        [f.attname for f in task_fields],
    )


def _claim_returning(
    post_id: int, now: datetime, claim: dict[str, Any]
) -> tuple[SocialMediaPost, str] | None:
    """One round trip: the conditional claim UPDATE, the post and task it returns."""
    sql, converters, post_names, task_names = _claim_returning_plan()
    _, params = _claimable_update_sql(post_id, now, claim)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row)
    fields = [*_columns(SocialMediaPost), *_columns(Task)]
    for index, found in converters:
        for convert in found:
            values[index] = convert(values[index], fields[index], connection)
    split = len(post_names)
    alias = connection.alias
    post = SocialMediaPost.from_db(alias, post_names, values[:split])
    post.task = Task.from_db(alias, task_names, values[split : split + len(task_names)])
    return post, str(values[-1])


def _targets_and_captions(
    fingerprint: str | None,
) -> tuple[Targets, CaptionBook | None, BrandSettings | None]:
    """The active targets, caption templates and brand settings; reloaded only when the
    fingerprint changed."""
    if fingerprint is None:
        return Targets.load(), None, None
    loaded = target_cache.snapshot(fingerprint)
    return loaded.targets, loaded.captions, loaded.brand


def _reclaim_abandoned(post_id: int, now: datetime, claim: dict[str, Any]) -> int:
    """Take over a post whose worker died mid-publish; it counts as a failed attempt.

    The dead worker may have sent the request, so the new holder looks on the
    platform first (``needs_reconcile``). A post that kills its worker every time
    is not retried forever: once the retries are used up it fails with a reason.
    """
    abandoned = SocialMediaPost.objects.filter(pk=post_id).filter(_abandoned(now))
    budget = len(settings.SOCIAL_MEDIA_RETRY_DELAYS)
    lost = "The worker stopped while publishing (its lease expired)."
    claimed = abandoned.filter(retry_count__lt=budget).update(
        needs_reconcile=True,
        retry_count=F("retry_count") + 1,
        failure_kind=FAILURE_WORKER_LOST,
        error_message=f"{lost} Checking the platform before sending again.",
        **claim,
    )
    if claimed:
        logger.warning("♻️ Пост %s: аренда истекла, забираем с проверкой", post_id)
        return claimed
    gave_up = abandoned.update(
        status=PostStatus.FAILED,
        retry_count=F("retry_count") + 1,
        failure_kind=FAILURE_WORKER_LOST,
        error_message=f"{lost} Gave up after {budget + 1} attempts; the post may exist on "
        "the platform: check it before retrying.",
        claim_token=None,
        locked_until=None,
        next_attempt_at=None,
        updated_at=now,
    )
    if gave_up:
        logger.error("❌ Пост %s: воркер падал при каждой попытке — отказ", post_id)
    return 0


def _target_for(post: SocialMediaPost, targets: Targets | None = None) -> Target | None:
    if targets is None:
        targets = Targets.load(kind=PLATFORMS[post.platform].only_route)
    target = targets.for_task(post.task).get(post.platform)
    if isinstance(target, Webhook) and target.pk == post.webhook_id:
        post.webhook = target  # already loaded: no query if the platform code reads it
    return target


def post_publish(*, post_id: int) -> SocialMediaPost | None:
    """Claim and send one post; return it in its new state (``None`` if not claimed)."""
    claimed = _claim(post_id)
    if claimed is None:
        logger.info("Пост %s уже обрабатывается или не готов к отправке — пропуск", post_id)
        return None
    post, token, fingerprint = claimed
    targets, book, brand = _targets_and_captions(fingerprint)
    with targets_preloaded(targets), captions_preloaded(book), brand_preloaded(brand):
        return _publish_claimed(post, token)


def _publish_claimed(post: SocialMediaPost, token: uuid.UUID) -> SocialMediaPost:
    platform = PLATFORMS.get(post.platform)
    target = _target_for(post, Targets.load()) if platform else None
    if platform is None or target is None:
        result = PublishResult(
            Outcome.PERMANENT,
            error_message=f"No active credentials or webhook for {post.platform} any more.",
        )
        return _apply(post, token, result, target=None)
    if getattr(target, "needs_reconnect", False):
        result = PublishResult(
            Outcome.AUTH,
            error_message=f"{target} needs reconnection: the platform rejected its token. "
            "Replace the token in the admin, then retry.",
        )
        return _apply(post, token, result, target=target)

    route = route_of(target)
    if post.needs_reconcile and route == Route.API:
        found, attempt = _attempt(
            post, AttemptKind.RECONCILE, lambda: platform.reconcile(post, target), route=route
        )
        if found is not None:
            if found.outcome != Outcome.SUCCESS:
                # The lookup failed: try again later, still looking first.
                found = PublishResult(
                    Outcome.UNKNOWN if found.outcome in RETRYABLE else found.outcome,
                    http_status=found.http_status,
                    error_message=found.error_message,
                    retry_after=found.retry_after,
                )
            return _apply(post, token, found, target=target, attempt=attempt)
        attempt.save()  # not found: record the lookup, then send
    result, attempt = _attempt(
        post,
        AttemptKind.PUBLISH,
        lambda: reauth.send_refreshing(target, lambda: _publish_with_media(post, target)),
        route=route,
    )
    return _apply(post, token, result, target=target, attempt=attempt)


def _publish_with_media(post: SocialMediaPost, target: Target) -> PublishResult:
    """Resolve the media the platform requires (render or reuse), then send it by the
    target's route: the platform's API for a credential, the scenario for a webhook.

    A medium that cannot be made, or does not fit the platform, fails this post
    only, permanently: nothing is sent and retrying would make the same file. A
    storage that cannot be reached is transient: the post waits for it and retries.
    """
    platform = PLATFORMS[post.platform]
    try:
        media = post_media_resolve(task=post.task, platform=platform)
    except MediaStorageError as error:
        return PublishResult(Outcome.TRANSIENT, error_message=f"{platform.label}: {error}")
    except MediaRenderError as error:
        return PublishResult(Outcome.PERMANENT, error_message=f"{platform.label}: {error}")
    if route_of(target) == Route.WEBHOOK:
        assert isinstance(target, Webhook)
        return deliver_to_webhook(platform.key, post, target, media)
    return platform.publish(post, target, media)


# A publish always has a result; a lookup may come back empty (``None``).
_Result = TypeVar("_Result", PublishResult, PublishResult | None)


def _attempt(
    post: SocialMediaPost, kind: str, call: Callable[[], _Result], *, route: str
) -> tuple[_Result, PublishAttempt]:
    """Record the attempt's start, make the call; the finished attempt is written by
    the caller (with the post's outcome, in one statement: see ``_apply``)."""
    attempt = PublishAttempt(
        post=post, number=post.attempt_count, kind=kind, route=route, started_at=timezone.now()
    )
    fast_sql.insert(attempt)
    try:
        result = call()
    except SoftTimeLimitExceeded:
        logger.warning("⏱️ Пост %s: мягкий лимит времени задачи истёк", post.pk)
        result = PublishResult(
            Outcome.UNKNOWN,
            error_message="The publish ran past the worker's soft time limit; "
            "the request may have reached the platform.",
        )
    except Exception as exc:  # a bug must not leave the post stuck in processing
        logger.exception("Пост %s: внутренняя ошибка платформы %s", post.pk, post.platform)
        result = PublishResult(
            Outcome.UNKNOWN,
            error_message=f"Internal error while publishing ({type(exc).__name__}).",
        )
    finished = timezone.now()
    attempt.finished_at = finished
    attempt.duration_ms = int((finished - attempt.started_at).total_seconds() * 1000)
    if result is not None:
        attempt.http_status = result.http_status
        attempt.outcome = result.outcome
        attempt.error_message = result.error_message
        attempt.response_excerpt = result.response_excerpt
    else:
        attempt.outcome = "not_found"
        attempt.error_message = "Not on the platform yet; safe to send."
    return result, attempt


_ATTEMPT_RESULT_FIELDS = (
    "finished_at",
    "duration_ms",
    "http_status",
    "outcome",
    "error_message",
    "response_excerpt",
)


def _update_with_attempt(
    where: dict[str, Any], fields: dict[str, Any], attempt: PublishAttempt | None
) -> int:
    """``filter(**where).update(**fields)`` and the finished attempt's row, in one round trip."""
    if attempt is None:
        return SocialMediaPost.objects.filter(**where).update(**fields)
    if connection.vendor != "postgresql":
        attempt.save(update_fields=_ATTEMPT_RESULT_FIELDS)
        return SocialMediaPost.objects.filter(**where).update(**fields)
    attempt_sql, attempt_params = fast_sql.update_sql(
        PublishAttempt,
        {"id": attempt.pk},
        {name: getattr(attempt, name) for name in _ATTEMPT_RESULT_FIELDS},
    )
    post_sql, post_params = fast_sql.update_sql(SocialMediaPost, where, fields)
    with connection.cursor() as cursor:
        cursor.execute(f"WITH finished AS ({attempt_sql}) {post_sql}", attempt_params + post_params)
        return cursor.rowcount


def retry_delay(retry_number: int, retry_after: float | None = None) -> float | None:
    """Seconds before retry ``retry_number`` (1-based), or ``None`` when retries are used up.

    The configured delay with ±20 % jitter, never sooner than ``retry_after``.
    """
    delays = settings.SOCIAL_MEDIA_RETRY_DELAYS
    if retry_number > len(delays):
        return None
    delay = delays[retry_number - 1] * random.uniform(0.8, 1.2)  # noqa: S311
    return max(delay, retry_after or 0.0)


def _apply(
    post: SocialMediaPost,
    token: uuid.UUID,
    result: PublishResult,
    *,
    target: Target | None,
    attempt: PublishAttempt | None = None,
) -> SocialMediaPost:
    """Record the attempt's outcome on the post, if this worker still holds its claim."""
    now = timezone.now()
    platform = PLATFORMS.get(post.platform)
    label = platform.label if platform is not None else post.get_platform_display()
    outcome = result.outcome
    fields: dict = {"claim_token": None, "locked_until": None, "updated_at": now}
    if target is not None:
        fields["route"] = route_of(target)
    if result.state is not None:
        fields["platform_state"] = result.state
        if not result.state and outcome != Outcome.WAITING:
            # The platform starts over (e.g. its container expired): a new waiting window.
            fields["step_deadline"] = None
    if result.notice:
        fields["notice"] = result.notice
    if outcome != Outcome.WAITING:
        fields["platform_step"] = ""
    delay: float | None = None
    if outcome == Outcome.WAITING and post.step_deadline and now >= post.step_deadline:
        step = result.step or post.platform_step
        message = (
            f"{label} was still not done at the waiting deadline"
            f"{f' ({step})' if step else ''}. Retry to check again or start over."
        )
        fields.update(
            status=PostStatus.FAILED,
            error_message=message,
            failure_kind=FAILURE_STEP_TIMEOUT,
            retry_count=post.retry_count + 1,
            next_attempt_at=None,
            platform_step="",
            step_deadline=None,
        )
        log = (logging.ERROR, "❌ Задача %s, %s: %s", message)
    elif outcome == Outcome.WAITING:
        deadline = post.step_deadline or now + timedelta(
            seconds=result.deadline_seconds or settings.SOCIAL_MEDIA_STEP_DEADLINE_SECONDS
        )
        delay = _step_wait(result.retry_after, until_deadline=(deadline - now).total_seconds())
        fields.update(
            status=PostStatus.PENDING,
            platform_step=(result.step or f"{label} is processing the post")[:255],
            step_deadline=deadline,
            next_attempt_at=now + timedelta(seconds=delay),
            enqueued_at=None,
            error_message="",
            failure_kind="",
            needs_reconcile=False,
        )
        log = (logging.INFO, "⏳ Задача %s, %s: ждём платформу (%s)", fields["platform_step"])
    elif outcome == Outcome.SUCCESS:
        fields.update(
            status=PostStatus.PUBLISHED,
            post_id=result.post_id[:255],
            post_url=result.post_url[:2048],
            published_at=now,
            error_message="",
            failure_kind="",
            needs_reconcile=False,
            next_attempt_at=None,
            step_deadline=None,
            notice=result.notice,
        )
        log = (logging.INFO, "✅ Задача %s опубликована в %s: %s", result.post_url)
    elif outcome == Outcome.ACCEPTED:
        fields.update(
            status=PostStatus.PROCESSING,
            delivered_at=now,
            callback_deadline=now + timedelta(seconds=settings.SOCIAL_MEDIA_CALLBACK_TIMEOUT),
            webhook=target,
            error_message="",
            failure_kind="",
            needs_reconcile=False,
            next_attempt_at=None,
        )
        log = (logging.INFO, "📨 Задача %s передана в webhook для %s, ждём callback%s", "")
    elif outcome in RETRYABLE:
        retry_number = post.retry_count + 1
        delay = retry_delay(retry_number, result.retry_after)
        fields.update(failure_kind=outcome, retry_count=retry_number, enqueued_at=None)
        if delay is None:
            message = f"{result.error_message} Gave up after {post.attempt_count} attempts."
            fields.update(status=PostStatus.FAILED, error_message=message, next_attempt_at=None)
            log = (logging.ERROR, "❌ Задача %s, %s: %s", message)
        else:
            when = now + timedelta(seconds=delay)
            if result.spam and target is not None:  # slowed down: wait for a slot under it
                when = max(when, pacing.spam_retry_at(post, target, now))
                delay = (when - now).total_seconds()
            message = (
                f"{result.error_message} Retry {retry_number} of "
                f"{len(settings.SOCIAL_MEDIA_RETRY_DELAYS)} at {when:%Y-%m-%d %H:%M:%S} UTC."
            )
            fields.update(
                status=PostStatus.PENDING,
                error_message=message,
                next_attempt_at=when,
                # The request may have reached the platform: look before resending.
                # Webhooks resend with the same delivery id instead.
                needs_reconcile=(
                    outcome == Outcome.UNKNOWN
                    and target is not None
                    and route_of(target) == Route.API
                ),
            )
            log = (logging.WARNING, "⏳ Задача %s, %s: %s", message)
    else:  # PERMANENT or AUTH
        fields.update(
            status=PostStatus.FAILED,
            error_message=result.error_message,
            failure_kind=outcome,
            retry_count=post.retry_count + 1,
            next_attempt_at=None,
            step_deadline=None,
        )
        log = (logging.ERROR, "❌ Задача %s, %s: %s", result.error_message)

    updated = _update_with_attempt({"id": post.pk, "claim_token": token}, fields, attempt)
    if not updated:
        # A callback or a manual action changed the post meanwhile; theirs stands.
        logger.warning(
            "Пост %s изменён во время отправки (%s) — результат %s не записан",
            post.pk,
            label,
            outcome,
        )
    else:
        level, text, detail = log
        logger.log(level, text, post.task_id, label, detail)
        if delay is not None and delay <= max_countdown():
            _schedule(post.pk, delay)
    if result.spam and target is not None and outcome not in RETRYABLE:
        pacing.spam_slowdown(target, now, post)  # this post is over; the next ones wait
    if outcome == Outcome.AUTH and isinstance(target, SocialMediaCredentials):
        reauth.flag_needs_reconnect(target, result.error_message, now)
    if updated:
        # What was written is what the post now holds: no query to read it back.
        for name, value in fields.items():
            setattr(post, name, value)
    else:
        post.refresh_from_db()
    return post


def _step_wait(retry_after: float | None, *, until_deadline: float) -> float:
    """Seconds until a waiting post is looked at again: the platform's wish, bounded,
    and never past the deadline (so the last look happens at it)."""
    wanted = retry_after if retry_after is not None else MIN_STEP_WAIT_SECONDS * 5
    wait = min(max(wanted, MIN_STEP_WAIT_SECONDS), max_countdown())
    return max(MIN_STEP_WAIT_SECONDS, min(wait, until_deadline))


def _schedule(post_id: int, delay: float) -> None:
    from social_media.tasks import publish_post

    if settings.CELERY_TASK_ALWAYS_EAGER:
        return  # eager mode cannot wait; the relay (or a test) sends it when due
    # Counted from when the message becomes due, so the relay does not send a
    # second one while this one waits out its countdown. Stamped first: the
    # worker that runs the message has the last word.
    stamp = timezone.now() + timedelta(seconds=delay)
    SocialMediaPost.objects.filter(pk=post_id).update(enqueued_at=stamp)
    try:
        publish_post.apply_async((post_id,), countdown=delay)
    except Exception as exc:
        SocialMediaPost.objects.filter(pk=post_id, enqueued_at=stamp).update(enqueued_at=None)
        logger.warning(
            "⚠️ Брокер недоступен (%s): пост %s отправит релей", type(exc).__name__, post_id
        )


def _relay_batch(now: datetime) -> list[int]:
    """Mark due posts nobody is working on as handed over, and return their ids.

    ``enqueued_at`` is set in the same statement that picks the rows, with
    ``skip_locked``, so two relays running at once never send the same post,
    and a post already in the queue is not sent again until it is stale.
    """
    stale = now - timedelta(seconds=settings.SOCIAL_MEDIA_LEASE_SECONDS)
    not_in_queue = Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=stale)
    with transaction.atomic():
        ids = list(
            SocialMediaPost.objects.select_for_update(skip_locked=True)
            .filter((_claimable(now) | _abandoned(now)) & not_in_queue)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:RELAY_BATCH]
        )
        if ids:
            SocialMediaPost.objects.filter(pk__in=ids).update(enqueued_at=now)
    return ids


def _expire_callbacks(now: datetime) -> int:
    """Webhook posts whose callback is overdue become ``failed`` (retryable), not stuck."""
    minutes = settings.SOCIAL_MEDIA_CALLBACK_TIMEOUT // 60
    return SocialMediaPost.objects.filter(
        status=PostStatus.PROCESSING, delivered_at__isnull=False, callback_deadline__lt=now
    ).update(
        status=PostStatus.FAILED,
        failure_kind=FAILURE_NO_CALLBACK,
        error_message=(
            f"The webhook scenario accepted the post but sent no callback within {minutes} min. "
            "Check the scenario, then retry."
        ),
        retry_count=F("retry_count") + 1,
        updated_at=now,
    )


def posts_relay() -> dict[str, int]:
    """Periodic safety net: enqueue due posts nobody is working on, close overdue callbacks."""
    from social_media.services import enqueue_posts

    now = timezone.now()
    due = _relay_batch(now)
    sent = enqueue_posts(due) if due else 0
    if sent < len(due):
        # The broker refused: give the rest back so the next run sends them.
        SocialMediaPost.objects.filter(pk__in=due[sent:], enqueued_at=now).update(enqueued_at=None)
    expired = _expire_callbacks(now)
    if due or expired:
        logger.info(
            "🔄 Релей: к отправке %s, отправлено %s, просрочено callback %s",
            len(due),
            sent,
            expired,
        )
    return {"due": len(due), "enqueued": sent, "callbacks_expired": expired}
