"""VK: a community wall post with the question card (and optionally a poll), VK API.

The publish is several calls, each remembered in the post's state so a retry never
redoes one that succeeded: the card goes through the wall-photo upload
(``photos.getWallUploadServer`` → upload → ``photos.saveWallPhoto``, state ``photo``),
the poll is created (``polls.create``, state ``poll``), then ``wall.post`` attaches them
from the community. An unknown end of ``wall.post`` is reconciled by reading the wall.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from quiz_media.specs import MediaSpec
from social_media.platforms.base import (
    BasePlatform,
    ConnectionVerdict,
    DemoCredential,
    MetricsBatch,
    PublishResult,
    SuggestedPace,
    is_ascii_digits,
)
from social_media.platforms.spec import Route
from social_media.platforms.vk import conf, connection, metrics, publishing
from social_media.platforms.vk.reconcile import find_on_wall

if TYPE_CHECKING:
    from social_media.media import PostMedia
    from tasks.models import SocialMediaPost
    from webhooks.models import SocialMediaCredentials

logger = logging.getLogger(__name__)

MB = 1024 * 1024
EXTRA_KEYS = {"group_id", "poll"}


class VkPlatform(BasePlatform):
    key = "vk"
    label = _("VK")
    routes = (Route.API,)
    text_limits = conf.TEXT_LIMITS
    suggested_pace = SuggestedPace(1800, 24)  # wall cap of 50 posts a day; flood control
    settings = conf.SETTINGS
    secret_patterns = conf.SECRET_PATTERNS
    extra_data_help = _(
        'VK: {"group_id": "123"} (the community id, digits), optionally "poll": true '
        "to attach a poll with the options."
    )
    demo_credential = DemoCredential(
        extra_data={"group_id": "229000001", "poll": True},
        access_token="vk1.a.emulator-user-token",  # noqa: S106 (the emulator's demo token)
    )
    # Wall photos: JPEG, PNG or GIF up to 50 MB (3rd-party limits, facts §5.2); a square
    # card suits VK's feed. See docs/media.md.
    media_requirements = (MediaSpec("question_card", 1080, 1080, "png", 20 * MB),)
    metrics_batch_size = metrics.BATCH_SIZE

    def validate_extra_data(self, extra_data: dict[str, Any]) -> None:
        group_id = str(extra_data.get("group_id", "")).strip()
        if not group_id:
            raise ValidationError({"extra_data": _('VK needs {"group_id": "…"}.')})
        if not is_ascii_digits(group_id) or int(group_id) == 0:
            raise ValidationError(
                {
                    "extra_data": _(
                        "VK group_id must be the community's id in digits, without a minus "
                        "sign or “club” (e.g. 229000001)."
                    )
                }
            )
        if "poll" in extra_data and not isinstance(extra_data["poll"], bool):
            raise ValidationError({"extra_data": _('VK "poll" must be true or false.')})
        unknown = sorted(set(extra_data) - EXTRA_KEYS)
        if unknown:
            raise ValidationError(
                {
                    "extra_data": _("VK extra data takes only group_id and poll, not: %(keys)s.")
                    % {"keys": ", ".join(unknown)}
                }
            )

    def publish(
        self, post: SocialMediaPost, target: SocialMediaCredentials, media: PostMedia
    ) -> PublishResult:
        return publishing.publish(post, target, media)

    def reconcile(
        self, post: SocialMediaPost, target: SocialMediaCredentials
    ) -> PublishResult | None:
        return find_on_wall(post, target)

    def test_connection(
        self, credential: SocialMediaCredentials
    ) -> tuple[ConnectionVerdict, str | None]:
        return connection.test_vk(credential)

    def read_metrics(
        self, posts: list[SocialMediaPost], target: SocialMediaCredentials
    ) -> MetricsBatch:
        return metrics.read_metrics(posts, target)


PLATFORM = VkPlatform()
