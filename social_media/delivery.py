"""Delivering one post: claim it, call the platform, record the attempt, decide.

Every state change is a conditional UPDATE guarded by the worker's claim token,
so two workers, a redelivered message or a manual retry can never both send the
same post.
"""

from __future__ import annotations

import logging
import random
import uuid
from datetime import timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from social_media.models import AttemptKind, PublishAttempt
from social_media.platforms import PLATFORMS, Outcome, PublishResult
from social_media.platforms.base import RETRYABLE
from social_media.targets import Target, Targets
from tasks.models import PostStatus, SocialMediaPost

logger = logging.getLogger("social_media")

# Celery countdowns longer than this are not used: the wait lives in
# ``next_attempt_at`` and the relay sends the post when it is due.
MAX_COUNTDOWN_SECONDS = 300
RELAY_BATCH = 500


def _claimable(now) -> Q:
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    unlocked = Q(locked_until__isnull=True) | Q(locked_until__lt=now)
    return Q(status=PostStatus.PENDING) & due & unlocked


def _abandoned(now) -> Q:
    """Held by a worker whose lease ran out (it died or hung mid-publish)."""
    return Q(status=PostStatus.PROCESSING, delivered_at__isnull=True, locked_until__lt=now)


def post_claim(post_id: int) -> tuple[SocialMediaPost, uuid.UUID] | None:
    """Take the post for this worker, or return ``None`` if it is not ours to send."""
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
    rows = SocialMediaPost.objects.filter(pk=post_id)
    claimed = rows.filter(_claimable(now)).update(**claim)
    if not claimed:
        # The last holder may have sent the request before it died: look first.
        claimed = rows.filter(_abandoned(now)).update(needs_reconcile=True, **claim)
        if claimed:
            logger.warning("♻️ Пост %s: аренда истекла, забираем с проверкой", post_id)
    if not claimed:
        return None
    post = SocialMediaPost.objects.select_related("task", "webhook").get(pk=post_id)
    return post, token


def _target_for(post: SocialMediaPost) -> Target | None:
    return Targets.load().for_task(post.task).get(post.platform)


def post_publish(*, post_id: int) -> SocialMediaPost | None:
    """Claim and send one post; return it in its new state (``None`` if not claimed)."""
    claimed = post_claim(post_id)
    if claimed is None:
        logger.info("Пост %s уже обрабатывается или не готов к отправке — пропуск", post_id)
        return None
    post, token = claimed
    platform = PLATFORMS.get(post.platform)
    target = _target_for(post) if platform else None
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

    if post.needs_reconcile:
        found = _attempt(post, AttemptKind.RECONCILE, lambda: platform.reconcile(post, target))
        if found is not None:
            if found.outcome != Outcome.SUCCESS:
                # The lookup failed: try again later, still looking first.
                found = PublishResult(
                    Outcome.UNKNOWN if found.outcome in RETRYABLE else found.outcome,
                    http_status=found.http_status,
                    error_message=found.error_message,
                    retry_after=found.retry_after,
                )
            return _apply(post, token, found, target=target)
    result = _attempt(post, AttemptKind.PUBLISH, lambda: platform.publish(post, target))
    return _apply(post, token, result, target=target)


def _attempt(post: SocialMediaPost, kind: str, call) -> PublishResult | None:
    attempt = PublishAttempt.objects.create(
        post=post, number=post.attempt_count, kind=kind, started_at=timezone.now()
    )
    try:
        result = call()
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
    attempt.save()
    return result


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
    post: SocialMediaPost, token: uuid.UUID, result: PublishResult, *, target: Target | None
) -> SocialMediaPost:
    now = timezone.now()
    ours = SocialMediaPost.objects.filter(pk=post.pk, claim_token=token)
    release = {"claim_token": None, "locked_until": None, "updated_at": now}
    label = post.get_platform_display()
    outcome = result.outcome

    if outcome == Outcome.SUCCESS:
        ours.update(
            status=PostStatus.PUBLISHED,
            post_id=result.post_id[:255],
            post_url=result.post_url[:2048],
            published_at=now,
            error_message="",
            failure_kind="",
            needs_reconcile=False,
            next_attempt_at=None,
            **release,
        )
        logger.info("✅ Задача %s опубликована в %s: %s", post.task_id, label, result.post_url)
    elif outcome == Outcome.ACCEPTED:
        ours.update(
            status=PostStatus.PROCESSING,
            delivered_at=now,
            callback_deadline=now + timedelta(seconds=settings.SOCIAL_MEDIA_CALLBACK_TIMEOUT),
            webhook=target,
            error_message="",
            failure_kind="",
            needs_reconcile=False,
            next_attempt_at=None,
            **release,
        )
        logger.info("📨 Задача %s передана в webhook для %s, ждём callback", post.task_id, label)
    elif outcome in RETRYABLE:
        retry_number = post.retry_count + 1
        delay = retry_delay(retry_number, result.retry_after)
        if delay is None:
            message = f"{result.error_message} Gave up after {post.attempt_count} attempts."
            ours.update(
                status=PostStatus.FAILED,
                error_message=message,
                failure_kind=outcome,
                retry_count=retry_number,
                next_attempt_at=None,
                **release,
            )
            logger.error("❌ Задача %s, %s: %s", post.task_id, label, message)
        else:
            when = now + timedelta(seconds=delay)
            message = (
                f"{result.error_message} Retry {retry_number} of "
                f"{len(settings.SOCIAL_MEDIA_RETRY_DELAYS)} at {when:%Y-%m-%d %H:%M:%S} UTC."
            )
            updated = ours.update(
                status=PostStatus.PENDING,
                error_message=message,
                failure_kind=outcome,
                retry_count=retry_number,
                next_attempt_at=when,
                needs_reconcile=(outcome == Outcome.UNKNOWN and post.webhook_id is None),
                enqueued_at=None,
                **release,
            )
            logger.warning("⏳ Задача %s, %s: %s", post.task_id, label, message)
            if updated and delay <= MAX_COUNTDOWN_SECONDS:
                _schedule(post.pk, delay)
    else:  # PERMANENT or AUTH
        ours.update(
            status=PostStatus.FAILED,
            error_message=result.error_message,
            failure_kind=outcome,
            retry_count=post.retry_count + 1,
            next_attempt_at=None,
            **release,
        )
        logger.error("❌ Задача %s, %s: %s", post.task_id, label, result.error_message)
        if outcome == Outcome.AUTH and target is not None and hasattr(target, "needs_reconnect"):
            type(target).objects.filter(pk=target.pk).update(
                needs_reconnect=True, last_error=result.error_message, updated_at=now
            )
            logger.error("🔑 %s: токен отклонён, нужна переподключение", target)
    post.refresh_from_db()
    return post


def _schedule(post_id: int, delay: float) -> None:
    from social_media.tasks import publish_post

    if settings.CELERY_TASK_ALWAYS_EAGER:
        return  # eager mode cannot wait; the relay (or a test) sends it when due
    try:
        publish_post.apply_async((post_id,), countdown=delay)
        SocialMediaPost.objects.filter(pk=post_id).update(enqueued_at=timezone.now())
    except Exception as exc:
        logger.warning(
            "⚠️ Брокер недоступен (%s): пост %s отправит релей", type(exc).__name__, post_id
        )


def posts_relay() -> dict[str, int]:
    """Periodic safety net: enqueue due posts nobody is working on, close overdue callbacks."""
    from social_media.services import enqueue_posts

    now = timezone.now()
    stale = now - timedelta(seconds=settings.SOCIAL_MEDIA_LEASE_SECONDS)
    not_in_queue = Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=stale)
    due = list(
        SocialMediaPost.objects.filter((_claimable(now) & not_in_queue) | _abandoned(now))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:RELAY_BATCH]
    )
    sent = enqueue_posts(due) if due else 0
    overdue = SocialMediaPost.objects.filter(
        status=PostStatus.PROCESSING, delivered_at__isnull=False, callback_deadline__lt=now
    )
    minutes = settings.SOCIAL_MEDIA_CALLBACK_TIMEOUT // 60
    expired = overdue.update(
        status=PostStatus.FAILED,
        failure_kind="no_callback",
        error_message=(
            f"The webhook scenario accepted the post but sent no callback within {minutes} min. "
            "Check the scenario, then retry."
        ),
        retry_count=F("retry_count") + 1,
        updated_at=now,
    )
    if sent or expired:
        logger.info("🔄 Релей: отправлено %s, просрочено callback %s", sent, expired)
    return {"enqueued": sent, "callbacks_expired": expired}
