"""Applying a scenario's result callback to its post."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from social_media.platforms.registry import PLATFORMS
from social_media.platforms.spec import Route
from tasks.models import PostStatus, SocialMediaPost

logger = logging.getLogger("social_media")

# A post's status only moves forward: a late or repeated callback never undoes a
# later state. ``published`` is final; ``failed`` may still become ``published``.
_RANK: dict[str, int] = {
    PostStatus.PENDING: 0,
    PostStatus.PROCESSING: 1,
    PostStatus.FAILED: 2,
    PostStatus.PUBLISHED: 3,
}


class CallbackError(Exception):
    """A callback that cannot be applied; ``code`` and ``http_status`` for the answer."""

    def __init__(self, message: str, *, code: str, http_status: int) -> None:
        super().__init__(message)
        self.code = code
        self.http_status = http_status


@dataclass(frozen=True)
class CallbackResult:
    post: SocialMediaPost
    changed: bool


def post_apply_callback(
    *,
    task_id: int,
    platform: str,
    status: str,
    post_url: str = "",
    post_id: str = "",
    error_message: str = "",
    webhook_id: int | None = None,
) -> CallbackResult:
    """Record a scenario's report about (task, platform); raise ``CallbackError`` if refused."""
    platform_obj = PLATFORMS.get(platform)
    if platform_obj is None:
        raise CallbackError(
            gettext("Unknown platform '%(platform)s'.") % {"platform": platform},
            code="unknown_platform",
            http_status=400,
        )
    if not platform_obj.supports(Route.WEBHOOK):
        raise CallbackError(
            gettext(
                "%(platform)s is published through its API; callbacks only update webhook "
                "platforms."
            )
            % {"platform": platform},
            code="not_a_webhook_platform",
            http_status=400,
        )
    # No savepoint: inside the callback view's transaction any refusal rolls
    # back the whole request anyway.
    with transaction.atomic(savepoint=False):
        post = (
            SocialMediaPost.objects.select_for_update()
            .filter(task_id=task_id, platform=platform)
            .first()
        )
        if post is None:
            raise CallbackError(
                gettext("No post for task %(task)s on %(platform)s.")
                % {"task": task_id, "platform": platform},
                code="post_not_found",
                http_status=404,
            )
        if webhook_id is not None and post.webhook_id not in (None, webhook_id):
            raise CallbackError(
                gettext("This webhook does not carry %(platform)s for task %(task)s.")
                % {"task": task_id, "platform": platform},
                code="wrong_webhook",
                http_status=403,
            )
        if _RANK[status] < _RANK[post.status] or (
            status == post.status and status != PostStatus.PUBLISHED
        ):
            return CallbackResult(post=post, changed=False)
        if post.status == PostStatus.PUBLISHED:
            return CallbackResult(post=post, changed=False)  # a repeated "published"
        now = timezone.now()
        post.status = status
        post.locked_until = None
        post.claim_token = None
        post.callback_deadline = None
        fields = ["status", "locked_until", "claim_token", "callback_deadline", "updated_at"]
        if status == PostStatus.PUBLISHED:
            post.post_url = post_url or post.post_url
            post.post_id = post_id or post.post_id
            post.published_at = now
            post.error_message = ""
            post.failure_kind = ""
            fields += ["post_url", "post_id", "published_at", "error_message", "failure_kind"]
        elif status == PostStatus.FAILED:
            post.error_message = (
                error_message or "The scenario reported a failure without a reason."
            )
            post.failure_kind = "callback"
            post.retry_count += 1
            fields += ["error_message", "failure_kind", "retry_count"]
        elif status == PostStatus.PROCESSING:
            # The scenario has it: wait for its final word, but not forever (the
            # relay marks the post once the deadline passes). Any worker claim is
            # void now, so this also stops a lease from being reclaimed.
            post.delivered_at = post.delivered_at or now
            post.callback_deadline = now + timedelta(seconds=settings.SOCIAL_MEDIA_CALLBACK_TIMEOUT)
            post.next_attempt_at = None
            fields += ["delivered_at", "callback_deadline", "next_attempt_at"]
        post.save(update_fields=fields)
    logger.info("📬 Callback: задача %s, %s → %s", task_id, platform, status)
    return CallbackResult(post=post, changed=True)
