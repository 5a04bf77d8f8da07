"""YouTube Shorts: the vertical video uploaded with ``videos.insert`` (Data API v3), or a
Make.com / Zapier scenario (the webhook route, served by the shared webhook delivery).

Publishing is a few steps, each a call of ``publish`` (``post.platform_state`` says where
the post is): start a resumable upload session (stored, encrypted, in the state before a
byte is sent, and one ``videos.insert`` call of the day's quota), then send the file in
chunks, resuming from what Google holds after any interruption, until Google answers
with the video resource. See ``upload.py`` for the wire.
"""

from __future__ import annotations

import re
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
    RefreshResult,
    SuggestedPace,
)
from social_media.platforms.spec import Route
from social_media.platforms.youtube_shorts import (
    conf,
    connection,
    metrics,
    oauth,
    publishing,
    quota_usage,
)

if TYPE_CHECKING:
    from social_media.media import PostMedia
    from tasks.models import SocialMediaPost
    from webhooks.models import SocialMediaCredentials

MB = 1024 * 1024
GB = 1024 * MB
CHANNEL_ID = re.compile(r"^UC[A-Za-z0-9_-]{22}$")
PRIVACY = ("public", "unlisted", "private")
EXTRA_KEYS = {"channel_id", "privacy_status", "made_for_kids"}
DEMO_CHANNEL = "UCquizDemoChannel0000001"  # the emulator's channel


class YouTubeShortsPlatform(BasePlatform):
    key = "youtube_shorts"
    label = "YouTube Shorts"
    routes = (Route.WEBHOOK, Route.API)
    text_limits = conf.TEXT_LIMITS
    suggested_pace = SuggestedPace(3600, 6)  # upload quota, 24 h upload cap
    settings = conf.SETTINGS
    secret_patterns = conf.SECRET_PATTERNS
    metrics_batch_size = metrics.BATCH_SIZE
    extra_data_help = _(
        'YouTube Shorts: {"channel_id": "UC…", "privacy_status": "public" (or "unlisted", '
        '"private"), optionally "made_for_kids": true.'
    )
    demo_credential = DemoCredential(
        extra_data={"channel_id": DEMO_CHANNEL, "privacy_status": "public"},
        access_token="ya29.demo_emulator_access_token",  # noqa: S106
    )
    # YouTube: square or vertical videos up to 3 minutes are Shorts; uploads up to 256 GiB.
    media_requirements = (MediaSpec("video", 1080, 1920, "mp4", 256 * GB, max_duration=180.0),)

    def validate_extra_data(self, extra_data: dict[str, Any]) -> None:
        unknown = sorted(set(extra_data) - EXTRA_KEYS)
        if unknown:
            raise ValidationError(
                {
                    "extra_data": _(
                        "YouTube Shorts does not know %(keys)s; use channel_id, "
                        "privacy_status and made_for_kids."
                    )
                    % {"keys": ", ".join(unknown)}
                }
            )
        channel_id = extra_data.get("channel_id")
        if not isinstance(channel_id, str) or not channel_id.strip():
            raise ValidationError({"extra_data": _('YouTube Shorts needs {"channel_id": "UC…"}.')})
        if not CHANNEL_ID.match(channel_id.strip()):
            raise ValidationError(
                {
                    "extra_data": _(
                        "The YouTube channel_id is “UC” and 22 letters, digits, “-” or “_” "
                        "(YouTube Studio → Settings → Channel → Advanced settings)."
                    )
                }
            )
        privacy = extra_data.get("privacy_status", "public")
        if privacy not in PRIVACY:
            raise ValidationError(
                {
                    "extra_data": _(
                        "The YouTube privacy_status is “public”, “unlisted” or “private”."
                    )
                }
            )
        if not isinstance(extra_data.get("made_for_kids", False), bool):
            raise ValidationError({"extra_data": _("The YouTube made_for_kids is true or false.")})

    def publish(
        self, post: SocialMediaPost, target: SocialMediaCredentials, media: PostMedia
    ) -> PublishResult:
        return publishing.publish(post, target, media)

    def reconcile(
        self, post: SocialMediaPost, target: SocialMediaCredentials
    ) -> PublishResult | None:
        return publishing.reconcile(post, target)

    def test_connection(
        self, credential: SocialMediaCredentials
    ) -> tuple[ConnectionVerdict, str | None]:
        return connection.test_youtube(credential)

    def read_metrics(
        self, posts: list[SocialMediaPost], target: SocialMediaCredentials
    ) -> MetricsBatch:
        return metrics.read_metrics(posts, target)

    def quota_today(self, credential: SocialMediaCredentials) -> tuple[int, int]:
        return quota_usage.uses_today(credential), quota_usage.daily_limit()

    def refresh_possible(self, credential: SocialMediaCredentials) -> bool:
        return oauth.refresh_possible(credential)

    def refresh_token(
        self, credential: SocialMediaCredentials, stale_token: str | None = None
    ) -> RefreshResult:
        return oauth.credential_refresh_token(credential=credential, stale_token=stale_token)

    def refresh_expiring_tokens(self) -> dict[str, int]:
        return oauth.credentials_refresh_expiring()


PLATFORM = YouTubeShortsPlatform()
