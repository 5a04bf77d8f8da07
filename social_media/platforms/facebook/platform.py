"""Facebook: a page photo post (task with an image) or a feed post, Graph API."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from quiz_media.specs import MediaSpec
from social_media.captions import content_for
from social_media.http import ApiError
from social_media.platforms.base import (
    BasePlatform,
    ConnectionVerdict,
    DemoCredential,
    MetricsBatch,
    Outcome,
    PublishResult,
    SuggestedPace,
    TaskImageRule,
    is_ascii_digits,
)
from social_media.platforms.facebook import conf, connection, metrics
from social_media.platforms.facebook.client import NO_PAGE, POST_URL, GraphClient, _field, page_of
from social_media.platforms.lookup import MAX_LOOKUP_PAGES, all_older, lookup_cutoff
from social_media.platforms.spec import Route

if TYPE_CHECKING:
    from social_media.media import PostMedia
    from tasks.models import SocialMediaPost
    from webhooks.models import SocialMediaCredentials

logger = logging.getLogger(__name__)


# "Photos must be under 10 MB" (Graph API photo reference); kept a little under it.
PHOTO_MAX_BYTES = 10_000_000


class FacebookPlatform(BasePlatform):
    key = "facebook"
    label = "Facebook"
    routes = (Route.API,)
    text_limits = conf.TEXT_LIMITS
    suggested_pace = SuggestedPace(1800, 12)  # error 368 on bursts
    settings = conf.SETTINGS
    secret_patterns = conf.SECRET_PATTERNS
    demo_credential = DemoCredential(
        extra_data={"page_id": "104512345678901"},
        access_token="EAAB-demo-emulator-page-token",  # noqa: S106
    )
    # A 1.91:1 card (1200 x 628, Facebook's shared-image shape); the task's own image
    # is used when it is 1.91:1 or square. See docs/media.md.
    media_requirements = (MediaSpec("question_card", 1200, 628, "png", PHOTO_MAX_BYTES),)
    task_image_rule = TaskImageRule(
        formats=("JPEG", "PNG"),
        aspect_ratios=(1.91, 1.0),
        max_bytes=PHOTO_MAX_BYTES,
        min_width=600,
        min_height=314,
    )

    def validate_extra_data(self, extra_data: dict[str, Any]) -> None:
        page_id = str(extra_data.get("page_id", "")).strip()
        if not page_id:
            raise ValidationError({"extra_data": _('Facebook needs {"page_id": "…"}.')})
        if not is_ascii_digits(page_id):
            raise ValidationError({"extra_data": _("Facebook page_id must contain only digits.")})

    def publish(
        self, post: SocialMediaPost, target: SocialMediaCredentials, media: PostMedia
    ) -> PublishResult:
        page_id = page_of(target)
        if not page_id:
            return PublishResult(Outcome.PERMANENT, error_message=NO_PAGE)
        content = content_for(post.task, self.key)
        client = GraphClient(token=target.access_token)
        try:
            if media.image is not None:
                answer = client.publish_photo(
                    page_id=page_id, image_url=media.image.url, caption=content.description
                )
                post_id = _field(answer, "post_id") or _field(answer, "id")
            else:
                answer = client.publish_feed_post(
                    page_id=page_id, message=content.description, link=content.link
                )
                post_id = _field(answer, "id")
        except ApiError as error:
            return error.to_result()
        status, excerpt = client.last_status, client.last_excerpt
        if not post_id:
            return PublishResult(
                Outcome.UNKNOWN,
                http_status=status,
                error_message="Facebook: the answer has no post id; the post may exist.",
                response_excerpt=excerpt,
            )
        try:
            post_url = client.get_permalink(post_id=post_id) or POST_URL.format(id=post_id)
        except ApiError:
            post_url = POST_URL.format(id=post_id)  # the post exists; the link is a bonus
        return PublishResult(
            Outcome.SUCCESS,
            post_id=post_id,
            post_url=post_url,
            http_status=status,
            response_excerpt=excerpt,
        )

    def reconcile(
        self, post: SocialMediaPost, target: SocialMediaCredentials
    ) -> PublishResult | None:
        page_id = page_of(target)
        if not page_id:
            return PublishResult(Outcome.PERMANENT, error_message=NO_PAGE)
        client = GraphClient(token=target.access_token)
        # The task link, not followed by another digit (task 1 is not task 12).
        link = re.compile(re.escape(post.task.public_url) + r"(?!\d)")
        cutoff = lookup_cutoff(post)
        after = ""
        for _page in range(MAX_LOOKUP_PAGES):
            try:
                posts, following = client.recent_posts(page_id=page_id, after=after)
            except ApiError as error:
                return error.to_result()
            for item in posts:
                if link.search(str(item.get("message") or "")) and item.get("id"):
                    return PublishResult(
                        Outcome.SUCCESS,
                        post_id=str(item["id"]),
                        post_url=str(item.get("permalink_url") or POST_URL.format(id=item["id"])),
                        http_status=client.last_status,
                    )
            if not following or following == after or all_older(posts, "created_time", cutoff):
                return None  # the end of the page's posts, or posts older than ours
            after = following
        logger.warning(
            "🔎 Facebook: пост %s не найден на %d страницах ленты — отправляем снова",
            post.pk,
            MAX_LOOKUP_PAGES,
        )
        return None

    def test_connection(
        self, credential: SocialMediaCredentials
    ) -> tuple[ConnectionVerdict, str | None]:
        return connection.test_facebook(credential)

    metrics_batch_size = metrics.BATCH_SIZE

    def read_metrics(
        self, posts: list[SocialMediaPost], target: SocialMediaCredentials
    ) -> MetricsBatch:
        return metrics.read_facebook_metrics(posts, target)


PLATFORM = FacebookPlatform()
