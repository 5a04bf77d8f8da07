"""TikTok: a Content Posting API direct post (API route) or a Make.com scenario (webhook)."""

from __future__ import annotations

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
)
from social_media.platforms.spec import Route
from social_media.platforms.tiktok import conf, connection, metrics, oauth, publishing
from social_media.platforms.tiktok.privacy import LEVELS

if TYPE_CHECKING:
    from social_media.media import PostMedia
    from tasks.models import SocialMediaPost
    from webhooks.models import SocialMediaCredentials

MB = 1024 * 1024
GB = 1024 * MB
EXTRA_KEYS = ("open_id", "privacy_level", "pull_from_url", "app_audited")
OPEN_ID_MAX = 128


def _open_id_problem(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return str(_('TikTok needs {"open_id": "…"} (the open_id TikTok returned with the token).'))
    text = value.strip()
    if len(text) > OPEN_ID_MAX or not text.isascii() or any(c.isspace() for c in text):
        return str(_("TikTok open_id must be at most 128 ASCII characters without spaces."))
    return None


class TikTokPlatform(BasePlatform):
    key = "tiktok"
    label = "TikTok"
    # The Content Posting API with a credential, or the Make.com scenario with a webhook.
    routes = (Route.WEBHOOK, Route.API)
    text_limits = conf.TEXT_LIMITS
    settings = conf.SETTINGS
    secret_patterns = conf.SECRET_PATTERNS
    metrics_batch_size = metrics.BATCH_SIZE
    extra_data_help = _(
        'TikTok: {"open_id": "…"}; optional "privacy_level" (PUBLIC_TO_EVERYONE, '
        'FOLLOWER_OF_CREATOR, MUTUAL_FOLLOW_FRIENDS or SELF_ONLY), "pull_from_url": true when '
        'the media domain is verified with TikTok, "app_audited": false while the app is '
        "not audited (posts are then private)."
    )
    demo_credential = DemoCredential(
        extra_data={"open_id": "-000quizdemoOpenId"},
        access_token="act.demo-emulator-access-token-0123456789",  # noqa: S106
    )
    suggested_pace = SuggestedPace(7200, 5)  # daily per-creator cap, unpublished
    # TikTok Content Posting API: MP4 (H.264 recommended), at most 4 GB; every creator may
    # post 3 minutes (no documented minimum); creator info gives the account's own cap.
    media_requirements = (MediaSpec("video", 1080, 1920, "mp4", 4 * GB, max_duration=180.0),)

    def validate_extra_data(self, extra_data: dict[str, Any]) -> None:
        problems = []
        unknown = sorted(set(extra_data) - set(EXTRA_KEYS))
        if unknown:
            problems.append(
                _("TikTok extra data takes only %(allowed)s; unknown: %(unknown)s.")
                % {"allowed": ", ".join(EXTRA_KEYS), "unknown": ", ".join(unknown)}
            )
        open_id = _open_id_problem(extra_data.get("open_id"))
        if open_id:
            problems.append(open_id)
        level = extra_data.get("privacy_level")
        if level is not None and level not in LEVELS:
            problems.append(
                _("TikTok privacy_level must be one of %(levels)s.") % {"levels": ", ".join(LEVELS)}
            )
        for name in ("pull_from_url", "app_audited"):
            if name in extra_data and not isinstance(extra_data[name], bool):
                problems.append(_("TikTok %(name)s must be true or false.") % {"name": name})
        if problems:
            raise ValidationError({"extra_data": problems})

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
        return connection.test_tiktok(credential)

    # refresh_possible and refresh_token: BasePlatform's, through connect.PROVIDER.

    def refresh_expiring_tokens(self) -> dict[str, int] | None:
        return oauth.credentials_refresh_expiring()

    def read_metrics(
        self, posts: list[SocialMediaPost], target: SocialMediaCredentials
    ) -> MetricsBatch:
        return metrics.read_metrics(posts, target)


PLATFORM = TikTokPlatform()
